// --cache-from with an image the real docker engine's legacy builder made
// (when one answers on /var/run/docker.sock), as a pull would bring it: its
// ENV, ARG, RUN and CMD steps serve berth's build, which ends on docker's own
// image ID, as docker's --cache-from does. The base image is imported into
// docker from berth's busybox tarball under a unique tag; everything made in
// docker is removed afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { TestDaemon, isRoot, useDaemon, ok, REPO, which, type RunResult } from '../helpers/daemon.js';
import { dockerUp, realDocker } from '../helpers/realdocker.js';

const baseSkip = !isRoot() ? 'needs root' : !which('busybox') ? 'needs busybox-static' : false;
const skip = baseSkip || (!dockerUp ? 'no docker engine answers on /var/run/docker.sock' : false);
let d: TestDaemon;
useDaemon(baseSkip, (x) => (d = x));

test('--cache-from an image docker built: every step is taken and the result is docker\'s image', { skip, timeout: 300_000 }, () => {
  const base = `berth-cachefrom-base:${process.pid}`;
  const made = `berth-cachefrom-made:${process.pid}`;
  const bbtar = path.join(d.root, 'bb.tar');
  ok({ ...spawnSync('bash', [path.join(REPO, 'scripts/busybox-rootfs.sh'), path.join(d.root, 'bb'), bbtar], { encoding: 'utf8' }), code: 0 } as RunResult, 'rootfs');
  const ctx = path.join(d.root, 'ctx');
  mkdirSync(ctx, { recursive: true });
  writeFileSync(path.join(ctx, 'Dockerfile'), `FROM ${base}\nENV A=1\nARG V=2\nRUN echo "$V" > /v\nCMD ["sh"]\n`);
  try {
    ok(realDocker(['import', bbtar, base]), 'docker import');
    ok(realDocker(['build', '-t', made, ctx]), 'docker build');
    const dockerId = ok(realDocker(['image', 'inspect', '--format', '{{.Id}}', made]), 'inspect').trim();
    const tar = path.join(d.root, 'made.tar');
    ok(realDocker(['save', '-o', tar, made, base]), 'docker save');
    ok(d.berth(['load', '-i', tar]), 'berth load');
    const out = ok(d.berth(['build', '--cache-from', made, '-t', 'mine:1', ctx]), 'berth build --cache-from');
    assert.equal(out.match(/---> Using cache\n/g)?.length, 4, out);
    assert.match(out, new RegExp(`Successfully built ${dockerId.slice(7, 19)}\\n`));
    const id = JSON.parse(ok(d.berth(['image', 'inspect', '--format', '{{json .Id}}', 'mine:1']), 'inspect')) as string;
    assert.equal(id, dockerId);
  } finally {
    realDocker(['rmi', '-f', made]);
    realDocker(['rmi', '-f', base]);
  }
});
