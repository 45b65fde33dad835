// Pulls that meet trouble: a multi-arch index (platform selection), a
// connection cut mid-blob (resumed with a Range request), a registry serving a
// corrupted blob (clear error, nothing stored), unreachable registries; and
// interop with the real docker engine when one answers. The fault proxy runs
// in this process, so the CLI is run asynchronously here.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { TestDaemon, BERTH, isRoot, which, type RunResult } from '../helpers/daemon.js';
import { makeTar, sha256hex } from '../helpers/tars.js';
import { berthRegistry, faultProxy, type Reg } from '../helpers/registries.js';
import { request } from '../../src/registry/testing.js';
import { inspect, ok, rootfsTgz } from '../helpers/images.js';

const skip = isRoot() ? false : 'needs root (overlay snapshots)';
let d1: TestDaemon;
let d2: TestDaemon;
let reg: Reg;

function berth(d: TestDaemon, args: string[]): Promise<RunResult> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BERTH, '-H', d.host, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    p.on('close', (code) => resolve({ stdout, stderr, code: code ?? 128 }));
  });
}

before(async () => {
  if (skip) return;
  [d1, d2, reg] = await Promise.all([new TestDaemon().start(), new TestDaemon().start(), berthRegistry(false)]);
});
after(async () => {
  await d1?.cleanup();
  await d2?.cleanup();
  await reg?.stop();
});

function blobs(d: TestDaemon): string[] {
  const dir = path.join(d.dataRoot, 'content/blobs/sha256');
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}
function ingests(d: TestDaemon): string[] {
  const dir = path.join(d.dataRoot, 'content/ingest');
  return existsSync(dir) ? readdirSync(dir) : [];
}

async function pushed(name: string, marker: string, mb = 4): Promise<void> {
  const file = path.join(d1.root, `${marker}.tgz`);
  writeFileSync(file, await rootfsTgz(marker, mb));
  ok(await berth(d1, ['import', file, name]), 'import');
  ok(await berth(d1, ['push', name]), 'push');
}

describe('pull through faults', { skip }, () => {
  it('selects the platform from a multi-arch index', async () => {
    const base = `http://${reg.host}`;
    const descs = [];
    for (const arch of ['amd64', 'arm64']) {
      const layer = await makeTar([{ name: 'arch', data: arch + '\n' }]);
      const config = Buffer.from(JSON.stringify({ architecture: arch, os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [`sha256:${sha256hex(layer)}`] } }));
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${sha256hex(config)}`, size: config.length },
          layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: `sha256:${sha256hex(layer)}`, size: layer.length }],
        }),
      );
      for (const b of [layer, config]) assert.equal((await request('POST', base, `/v2/multi/app/blobs/uploads/?digest=sha256:${sha256hex(b)}`, { body: b })).status, 201);
      const digest = `sha256:${sha256hex(manifest)}`;
      assert.equal((await request('PUT', base, `/v2/multi/app/manifests/${digest}`, { body: manifest, headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' } })).status, 201);
      descs.push({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: manifest.length, platform: { architecture: arch, os: 'linux' } });
    }
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: descs }));
    assert.equal((await request('PUT', base, '/v2/multi/app/manifests/1', { body: index, headers: { 'Content-Type': 'application/vnd.oci.image.index.v1+json' } })).status, 201);
    const name = `${reg.host}/multi/app:1`;
    ok(await berth(d2, ['pull', name]), 'pull default platform');
    assert.equal(inspect(d2, name)['Architecture'], 'amd64');
    ok(await berth(d2, ['pull', '--platform', 'linux/arm64', name]), 'pull arm64');
    const arm = inspect(d2, name);
    assert.equal(arm['Architecture'], 'arm64');
    assert.deepEqual(arm['RepoDigests'], [`${reg.host}/multi/app@sha256:${sha256hex(index)}`]);
    const none = await berth(d2, ['pull', '--platform', 'linux/s390x', name]);
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /no matching manifest for linux\/s390x in the manifest list entries/);
  });

  it('resumes a blob download cut mid-stream with a Range request', async () => {
    await pushed(`${reg.host}/cut/app:1`, 'cut', 6);
    const proxy = await faultProxy(reg.host, 'cut');
    try {
      const name = `${proxy.host}/cut/app:1`;
      const r = ok(await berth(d2, ['pull', name]), 'pull through a cutting proxy');
      assert.match(r, /Pull complete/);
      assert.equal(proxy.ranges.length, 1, `one ranged request expected, saw ${JSON.stringify(proxy.ranges)}`);
      assert.match(proxy.ranges[0]!, /^bytes=[1-9]\d*-$/);
      const size = (inspect(d1, `${reg.host}/cut/app:1`)['Size'] as number);
      assert.ok(proxy.blobBytes < size * 1.2, `resumed download re-sent too much: ${proxy.blobBytes} bytes for a ~${size}-byte layer`);
      assert.equal(inspect(d2, name)['Id'], inspect(d1, `${reg.host}/cut/app:1`)['Id']);
      assert.deepEqual(ingests(d2), []);
    } finally {
      await proxy.close();
    }
  });

  it('a pull that gave up keeps its partial download; the next pull resumes it', async () => {
    await pushed(`${reg.host}/again/app:1`, 'again', 8);
    const proxy = await faultProxy(reg.host, 'cut', 64 << 10, 6);
    try {
      const name = `${proxy.host}/again/app:1`;
      const first = await berth(d2, ['pull', name]);
      assert.notEqual(first.code, 0, 'six cuts in a row exhaust the retries');
      assert.equal(ingests(d2).length, 1, 'the partial layer stays as a resumable ingest');
      const seen = proxy.ranges.length;
      ok(await berth(d2, ['pull', name]), 'second pull');
      const resumed = proxy.ranges.slice(seen);
      assert.ok(resumed.length >= 1 && /^bytes=[1-9]\d*-$/.test(resumed[0]!), `the second pull starts with a ranged request: ${JSON.stringify(resumed)}`);
      assert.equal(inspect(d2, name)['Id'], inspect(d1, `${reg.host}/again/app:1`)['Id']);
      assert.deepEqual(ingests(d2), []);
    } finally {
      await proxy.close();
    }
  });

  it('two pulls of the same image at once share the download', async () => {
    await pushed(`${reg.host}/twice/app:1`, 'twice', 6);
    const name = `${reg.host}/twice/app:1`;
    const [a, b] = await Promise.all([berth(d2, ['pull', name]), berth(d2, ['pull', name])]);
    ok(a, 'first pull');
    ok(b, 'second pull');
    assert.equal(inspect(d2, name)['Id'], inspect(d1, name)['Id']);
    assert.deepEqual(ingests(d2), []);
  });

  it('refuses a corrupted blob and stores nothing of it', async () => {
    await pushed(`${reg.host}/bad/app:1`, 'bad', 4);
    const proxy = await faultProxy(reg.host, 'flip');
    try {
      const before = blobs(d2);
      const imagesBefore = ok(await berth(d2, ['images', '-q']), 'images');
      const r = await berth(d2, ['pull', `${proxy.host}/bad/app:1`]);
      assert.notEqual(r.code, 0, 'a corrupted blob must fail the pull');
      assert.match(r.stderr, /verification failed for digest sha256:[a-f0-9]{64}/);
      // the config is verified and may stay (docker keeps it too); no layer blob, no ingest, no image
      const added = blobs(d2).filter((b) => !before.includes(b));
      assert.ok(added.length <= 1, `unexpected blobs left: ${added.join(', ')}`);
      assert.deepEqual(ingests(d2), []);
      assert.equal(ok(await berth(d2, ['images', '-q']), 'images'), imagesBefore);
    } finally {
      await proxy.close();
    }
  });

  it('a corrupted layer whose unpack lags its download fails the pull, and berthd lives on', async () => {
    // 3 MiB of noise and 200 MiB of zeros: ~3 MB on the wire, so the download (and its digest
    // check) ends long before the unpack; the verification error once reached the unpack's
    // deferred parent as an unhandled rejection and killed the daemon
    const tgz = gzipSync(await makeTar([{ name: 'etc/', type: 'directory' }, { name: 'noise.bin', data: randomBytes(3 << 20) }, { name: 'zeros.bin', data: Buffer.alloc(200 << 20) }]));
    const file = path.join(d1.root, 'lag.tgz');
    writeFileSync(file, tgz);
    const name = `${reg.host}/lag/app:1`;
    ok(await berth(d1, ['import', file, name]), 'import');
    ok(await berth(d1, ['push', name]), 'push');
    const proxy = await faultProxy(reg.host, 'flip');
    try {
      const r = await berth(d2, ['pull', `${proxy.host}/lag/app:1`]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /verification failed for digest sha256:[a-f0-9]{64}/);
      assert.equal((await berth(d2, ['version'])).code, 0, 'berthd is still up');
      assert.deepEqual(ingests(d2), []);
    } finally {
      await proxy.close();
    }
  });

  it('says what is wrong with an unreachable registry', async () => {
    const refused = await berth(d2, ['pull', '127.0.0.1:1/x/y:1']);
    assert.match(refused.stderr, /Error response from daemon: Get "http:\/\/127\.0\.0\.1:1\/v2\/": dial tcp 127\.0\.0\.1:1: connect: connection refused/);
    const unknown = await berth(d2, ['pull', 'no-such-host.invalid/x/y:1']);
    assert.match(unknown.stderr, /lookup no-such-host\.invalid: no such host/);
  });
});

function realDocker(): string | false {
  if (skip) return skip;
  if (!which('docker')) return 'the docker CLI is not installed';
  const r = spawnSync('docker', ['-H', 'unix:///var/run/docker.sock', 'version', '--format', '{{.Server.Version}}'], { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 ? false : 'no docker engine answers on /var/run/docker.sock';
}

describe('interop with the real docker engine', { skip: realDocker() }, () => {
  const docker = (args: string[]) => spawnSync('docker', ['-H', 'unix:///var/run/docker.sock', ...args], { encoding: 'utf8', timeout: 120_000 });
  const names: string[] = [];
  after(() => {
    for (const n of names) docker(['rmi', '-f', n]);
  });

  it('docker pulls and runs what berth pushed; berth pulls what docker pushed', async () => {
    const rootfs = await makeTar([
      { name: 'bin/', type: 'directory' },
      { name: 'bin/busybox', data: (await import('node:fs')).readFileSync('/bin/busybox'), mode: 0o755 },
      { name: 'etc/', type: 'directory' },
      { name: 'etc/passwd', data: 'root:x:0:0::/:/bin/sh\n' },
    ]);
    const file = path.join(d1.root, 'busybox.tar');
    writeFileSync(file, rootfs);
    const name = `${reg.host}/interop/bb:berth`;
    names.push(name);
    ok(await berth(d1, ['import', file, name, '--change', 'CMD ["/bin/busybox","echo","hello from berth"]']), 'import');
    ok(await berth(d1, ['push', name]), 'berth push');
    const pull = docker(['pull', name]);
    assert.equal(pull.status, 0, pull.stderr);
    const run = docker(['run', '--rm', name]);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), 'hello from berth');

    const theirs = `${reg.host}/interop/bb:docker`;
    names.push(theirs);
    assert.equal(docker(['tag', name, theirs]).status, 0);
    const push = docker(['push', theirs]);
    assert.equal(push.status, 0, push.stderr);
    ok(await berth(d2, ['pull', theirs]), 'berth pull of a docker push');
    const id = docker(['image', 'inspect', theirs, '--format', '{{.Id}}']).stdout.trim();
    assert.equal(inspect(d2, theirs)['Id'], id);
  });
});
