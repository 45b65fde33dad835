// Differential: the same Dockerfile and context built by berthd and by the
// real docker engine's legacy builder (when one answers on
// /var/run/docker.sock) give the same file tree (path, type, mode, owner,
// content, link target; dev, proc, sys and .dockerenv ignored) and the same
// config fields. The base image is imported into both from one tarball under
// a unique tag, and removed from docker afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { TestDaemon, isRoot, useDaemon, ok, REPO, which, type RunResult } from '../helpers/daemon.js';
import { dockerUp, realDocker } from '../helpers/realdocker.js';
import { mergedTree, savedImage } from '../helpers/imagetree.js';

const baseSkip = !isRoot() ? 'needs root' : !which('busybox') ? 'needs busybox-static' : false;
const skip = baseSkip || (!dockerUp ? 'no docker engine answers on /var/run/docker.sock' : false);
let d: TestDaemon;
useDaemon(baseSkip, (x) => (d = x));

const DOCKERFILE = (base: string) => `FROM ${base}
ENV A=1 B="two words"
WORKDIR /app
COPY a.txt dir/ ./
COPY --chown=65534:65534 b.txt /owned/b.txt
RUN mkdir -p /made && echo x > /made/x && ln -s x /made/link && rm /bin/vi && chmod 700 /made && rm -rf /var && mkdir -p /var/www && echo y > /var/www/y && ln /made/x /made/hard
USER nobody
EXPOSE 80
VOLUME /data
LABEL k=v
STOPSIGNAL SIGQUIT
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["echo hi"]
`;

const IGNORED = /^(dev|proc|sys)(\/|$)|^\.dockerenv$/;

test('berth and the docker legacy builder give the same tree and config', { skip, timeout: 300_000 }, async () => {
  const tag = `berth-diff-base:${process.pid}`;
  const base = path.join(d.root, 'bb');
  const bbtar = path.join(d.root, 'bb.tar');
  ok({ ...spawnSync('bash', [path.join(REPO, 'scripts/busybox-rootfs.sh'), base, bbtar], { encoding: 'utf8' }), code: 0 } as RunResult, 'rootfs');
  const ctx = path.join(d.root, 'ctx');
  mkdirSync(path.join(ctx, 'dir/sub'), { recursive: true });
  writeFileSync(path.join(ctx, 'Dockerfile'), DOCKERFILE(tag));
  writeFileSync(path.join(ctx, 'a.txt'), 'a\n');
  writeFileSync(path.join(ctx, 'b.txt'), 'b\n');
  writeFileSync(path.join(ctx, 'dir/sub/c.txt'), 'c\n', { mode: 0o600 });
  const built: string[] = [];
  try {
    ok(realDocker(['import', bbtar, tag]), 'docker import');
    ok(d.berth(['import', bbtar, tag]), 'berth import');
    const dockerId = ok(realDocker(['build', '-q', ctx]), 'docker build').trim();
    built.push(dockerId);
    const berthId = ok(d.berth(['build', '-q', ctx]), 'berth build').trim();
    const dsave = path.join(d.root, 'docker.tar');
    ok(realDocker(['save', '-o', dsave, dockerId]), 'docker save');
    const bsave = path.join(d.root, 'berth.tar');
    ok(d.berth(['save', '-o', bsave, berthId]), 'berth save');
    const di = await savedImage(readFileSync(dsave));
    const bi = await savedImage(readFileSync(bsave));
    const strip = (t: Awaited<ReturnType<typeof mergedTree>>) => Object.fromEntries([...t].filter(([k]) => !IGNORED.test(k)).sort(([a], [b]) => (a < b ? -1 : 1)));
    assert.deepEqual(strip(await mergedTree(bi.layers)), strip(await mergedTree(di.layers)));
    const fields = ['Env', 'Cmd', 'Entrypoint', 'WorkingDir', 'User', 'ExposedPorts', 'Volumes', 'Labels', 'StopSignal', 'Healthcheck', 'OnBuild', 'Shell'];
    const pick = (c: Record<string, unknown>) => Object.fromEntries(fields.map((f) => [f, (c['config'] as Record<string, unknown>)[f] ?? null]));
    assert.deepEqual(pick(bi.config), pick(di.config));
    const createdBy = (c: Record<string, unknown>) => (c['history'] as { created_by?: string }[]).map((h) => (h.created_by ?? '').replace(/(file|dir|multi):[a-f0-9]{64}/, '$1:HASH'));
    assert.deepEqual(createdBy(bi.config).slice(1), createdBy(di.config).slice(1));
  } finally {
    for (const id of built) realDocker(['rmi', '-f', id]);
    realDocker(['rmi', '-f', tag]);
  }
});

test('the official docker CLI (legacy builder) builds against berthd', { skip: baseSkip || (!which('docker') ? 'no docker CLI' : false), timeout: 120_000 }, () => {
  const bbtar = path.join(d.root, 'bb2.tar');
  spawnSync('bash', [path.join(REPO, 'scripts/busybox-rootfs.sh'), path.join(d.root, 'bb2'), bbtar]);
  ok(d.berth(['import', bbtar, 'busybox:latest']), 'import');
  const ctx = path.join(d.root, 'ctx2');
  mkdirSync(ctx, { recursive: true });
  writeFileSync(path.join(ctx, 'Dockerfile'), 'FROM busybox\nCOPY f /f\nRUN cat /f\nCMD ["cat", "/f"]\n');
  writeFileSync(path.join(ctx, 'f'), 'via docker cli\n');
  const run = (args: string[]) => {
    const r = spawnSync('docker', args, { encoding: 'utf8', env: { ...process.env, DOCKER_HOST: d.host, DOCKER_BUILDKIT: '0' } });
    return { stdout: r.stdout, stderr: r.stderr, code: r.status ?? 128 };
  };
  const out = ok(run(['build', '-t', 'viacli:1', ctx]), 'docker build');
  assert.match(out, /Step 3\/4 : RUN cat \/f\n ---> Running in [a-f0-9]{12}\nvia docker cli\n/);
  assert.match(out, /Successfully tagged viacli:1\n/);
  const again = ok(run(['build', '-t', 'viacli:1', ctx]), 'docker build (cached)');
  assert.equal(again.match(/---> Using cache/g)?.length, 3);
  writeFileSync(path.join(ctx, 'Dockerfile'), 'FROM busybox\nRUN exit 5\n');
  const bad = run(['build', ctx]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /The command '\/bin\/sh -c exit 5' returned a non-zero code: 5/);
});
