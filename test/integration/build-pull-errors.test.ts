// A FROM, COPY --from or RUN --mount from= that names neither a stage nor an
// image that is here is pulled; when the pull fails, the error names the
// image it was taken for and says what failed (BuildKit's "failed to resolve
// source metadata for <image>"; for COPY --from, behind the legacy builder's
// "invalid from flag value <name>"), and the build exits 1 as docker's does.
// Only loopback registries are asked: one that has no such repository, and a
// port nothing listens on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { TestDaemon, isRoot, ping, which } from '../helpers/daemon.js';
import { useContainerDaemon } from '../helpers/containers.js';
import { writeContext } from '../helpers/buildctx.js';
import { berthRegistry, freePort } from '../helpers/registries.js';
import { dockerUp, realDocker } from '../helpers/realdocker.js';

const skip = !isRoot() ? 'needs root (overlay, namespaces)' : !which('busybox') ? 'needs busybox-static' : false;
let d: TestDaemon;
// a daemon with busybox imported, whose containers are removed at the end
useContainerDaemon(skip, (x) => (d = x));

let n = 0;
function context(dockerfile: string): string {
  return writeContext(path.join(d.root, `ctx${n++}`), { Dockerfile: dockerfile });
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('a pull that fails names the image and what failed; exit 1', { skip }, async () => {
  const reg = await berthRegistry(false);
  try {
    const missing = `${reg.host}/nosuchstage`;
    const cases: [string, number, string][] = [
      [`FROM busybox\nCOPY --from=${missing} /x /y\n`, 2, `invalid from flag value ${missing}: failed to resolve source metadata for ${missing}:latest: `],
      [`FROM ${missing}\n`, 1, `failed to resolve source metadata for ${missing}:latest: `],
      [`FROM busybox\nRUN --mount=from=${missing},target=/m true\n`, 2, `failed to resolve source metadata for ${missing}:latest: `],
    ];
    for (const [df, line, prefix] of cases) {
      const r = d.berth(['build', context(df)]);
      assert.equal(r.code, 1, r.stderr);
      // the registry's own reason follows: it has no such repository
      assert.match(r.stderr, new RegExp(`^Dockerfile:${line}: ${escape(prefix)}.*(not found|unknown)`, 'm'), r.stderr);
    }
    // nothing listening: the connection's failure is the reason
    const closed = `127.0.0.1:${await freePort()}/nosuchstage`;
    const r = d.berth(['build', context(`FROM busybox\nCOPY --from=${closed} /x /y\n`)]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^Dockerfile:2: invalid from flag value ${escape(closed)}: failed to resolve source metadata for ${escape(closed)}:latest: .*connection refused`, 'm'));
    assert.ok(await ping(d.socket), 'berthd still answers');
  } finally {
    await reg.stop();
  }
});

test('the docker CLI against berthd: the same words, exit 1 like the real engine', { skip: skip || (!which('docker') ? 'no docker CLI' : false) }, async () => {
  const closed = `127.0.0.1:${await freePort()}/nosuchstage`;
  const dir = context(`FROM busybox\nCOPY --from=${closed} /x /y\n`);
  const env = { ...process.env, DOCKER_BUILDKIT: '0' };
  const ours = spawnSync('docker', ['-H', d.host, 'build', dir], { encoding: 'utf8', env });
  assert.equal(ours.status, 1, ours.stderr);
  assert.match(ours.stderr, new RegExp(`invalid from flag value ${escape(closed)}: failed to resolve source metadata for ${escape(closed)}:latest: `));
  if (!dockerUp) return;
  // the real engine's legacy builder: the same exit code and the same leading words
  const theirs = realDocker(['build', dir]);
  assert.equal(theirs.code, ours.status);
  assert.match(theirs.stderr, new RegExp(`invalid from flag value ${escape(closed)}: `));
});
