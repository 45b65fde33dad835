// The foundation issue's user story, as typed: import → images → tag →
// inspect → history → save → rmi → load, against a berthd of the test's own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readdirSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { TestDaemon, isRoot, useDaemon, ok, BERTH } from '../helpers/daemon.js';
import { makeTar, rootfsEntries, legacyDockerSave, ociLayout, sha256hex } from '../helpers/tars.js';

const skip = isRoot() ? false : 'needs root (overlay snapshots, chown)';
let d: TestDaemon;

useDaemon(skip, (x) => (d = x));


test('import, images, tag, inspect, history, save, rmi, load round trip', { skip }, async () => {
  const rootfs = await makeTar(rootfsEntries('one'));
  const file = path.join(d.root, 'rootfs.tar');
  writeFileSync(file, rootfs);
  const id = ok(d.berth(['import', file, 'busybox:latest', '--change', 'CMD ["sh"]', '--change', 'ENV A=1']), 'import').trim();
  assert.match(id, /^sha256:[a-f0-9]{64}$/);

  const images = ok(d.berth(['images']), 'images');
  const lines = images.trimEnd().split('\n');
  assert.match(lines[0]!, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/);
  assert.match(lines[1]!, new RegExp(`^busybox\\s+latest\\s+${id.slice(7, 19)}\\s+(Less than a second|\\d+ seconds?) ago\\s+\\d`));

  ok(d.berth(['tag', 'busybox:latest', 'mybox:1']), 'tag');
  const inspect = JSON.parse(ok(d.berth(['image', 'inspect', 'mybox:1']), 'inspect')) as Record<string, unknown>[];
  assert.equal(inspect.length, 1);
  const img = inspect[0]!;
  assert.equal(img['Id'], id);
  assert.deepEqual(img['RepoTags'], ['busybox:latest', 'mybox:1']);
  assert.deepEqual((img['Config'] as { Cmd: string[] }).Cmd, ['sh']);
  assert.deepEqual((img['Config'] as { Env: string[] }).Env, ['A=1']);
  assert.deepEqual((img['RootFS'] as { Layers: string[] }).Layers, [`sha256:${sha256hex(rootfs)}`]);
  assert.equal(img['Os'], 'linux');
  assert.equal(img['Comment'], 'Imported from -');

  const hist = ok(d.berth(['history', 'busybox']), 'history').trimEnd().split('\n');
  assert.match(hist[0]!, /^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/);
  assert.match(hist[1]!, new RegExp(`^${id.slice(7, 19)}\\s+.* ago\\s+\\S+\\s+Imported from -$`));

  const saved = path.join(d.root, 'bb.tar');
  ok(d.berth(['save', '-o', saved, 'busybox']), 'save');
  assert.ok(existsSync(saved));
  const rmi = ok(d.berth(['rmi', 'mybox:1']), 'rmi tag');
  assert.equal(rmi, 'Untagged: mybox:1\n');
  const rmi2 = ok(d.berth(['rmi', 'busybox']), 'rmi last tag');
  assert.match(rmi2, new RegExp(`^Untagged: busybox:latest\nDeleted: ${id}\n`));
  assert.equal(ok(d.berth(['images', '-q']), 'images -q'), '');

  assert.equal(ok(d.berth(['load', '-i', saved]), 'load'), 'Loaded image: busybox:latest\n');
  const again = JSON.parse(ok(d.berth(['image', 'inspect', 'busybox']), 'inspect')) as { Id: string; Config: { Cmd: string[] } }[];
  assert.equal(again[0]!.Id, id, 'the image ID survives save and load');
  assert.deepEqual(again[0]!.Config.Cmd, ['sh']);
  assert.equal(d.berth(['image', 'inspect', '--format', '{{.Id}}', 'busybox']).stdout.trim(), id);
  ok(d.berth(['rmi', 'busybox']), 'cleanup');
});

test('loads docker ≤24 save archives and plain OCI layouts', { skip }, async () => {
  const l1 = await makeTar(rootfsEntries('base'));
  const l2 = await makeTar([{ name: 'etc/', type: 'directory' }, { name: 'etc/.wh.marker', data: '' }, { name: 'app', data: 'hello' }]);
  const legacy = await legacyDockerSave([l1, l2], ['legacy:2']);
  const out = ok(d.berth(['load'], { input: legacy.tar }), 'load legacy from stdin');
  assert.equal(out, 'Loaded image: legacy:2\n');
  assert.equal(d.berth(['image', 'inspect', '-f', '{{.Id}}', 'legacy:2']).stdout.trim(), legacy.configDigest);

  const oci = await ociLayout([l1], 'docker.io/library/ocimg:7');
  assert.equal(ok(d.berth(['load'], { input: oci.tar }), 'load oci'), 'Loaded image: ocimg:7\n');
  assert.equal(d.berth(['image', 'inspect', '-f', '{{.Id}}', 'ocimg:7']).stdout.trim(), oci.configDigest);
  // the shared base layer was unpacked once: both images use the same snapshot
  ok(d.berth(['rmi', 'legacy:2', 'ocimg:7']), 'rmi both');
});

test('loads gzip and zstd layers, and a 3-layer image with deletions unpacks each layer once', { skip }, async () => {
  const l1 = await makeTar(rootfsEntries('three'));
  const l2 = await makeTar([{ name: 'etc/', type: 'directory' }, { name: 'etc/.wh.marker', data: '' }, { name: 'two', data: '2' }]);
  const l3 = await makeTar([{ name: 'three', data: '3' }]);
  const zst = spawnSync('zstd', ['-q', '-c'], { input: l3 });
  assert.equal(zst.status, 0, 'zstd is installed by setup.sh');
  const oci = await ociLayout([l1, l2, l3], 'docker.io/library/compressed:1', [l1, gzipSync(l2), zst.stdout], [
    'application/vnd.oci.image.layer.v1.tar',
    'application/vnd.oci.image.layer.v1.tar+gzip',
    'application/vnd.oci.image.layer.v1.tar+zstd',
  ]);
  assert.equal(ok(d.berth(['load'], { input: oci.tar }), 'load'), 'Loaded image: compressed:1\n');
  const layers = JSON.parse(d.berth(['image', 'inspect', '-f', '{{json .RootFS.Layers}}', 'compressed:1']).stdout) as string[];
  assert.deepEqual(layers, [l1, l2, l3].map((l) => `sha256:${sha256hex(l)}`));
  const snapshots = () => readdirSync(path.join(d.dataRoot, 'snapshots')).filter((n) => /^\d+$/.test(n));
  assert.equal(snapshots().length, 3);
  // the same base layer in a second image is not unpacked again
  ok(d.berth(['load'], { input: (await ociLayout([l1], 'docker.io/library/sharesbase:1')).tar }), 'load sharing');
  assert.equal(snapshots().length, 3);
  ok(d.berth(['rmi', 'compressed:1']), 'rmi');
  assert.equal(snapshots().length, 1, 'only the shared base layer remains');
  ok(d.berth(['rmi', 'sharesbase:1']), 'rmi');
  assert.equal(snapshots().length, 0);
});

test('rmi follows docker: untag, conflicts, force, unknown names', { skip }, async () => {
  const file = path.join(d.root, 'r.tar');
  writeFileSync(file, await makeTar(rootfsEntries('rmi')));
  const id = ok(d.berth(['import', file, 'one:1']), 'import').trim();
  ok(d.berth(['tag', 'one:1', 'two:2']), 'tag');
  const short = id.slice(7, 19);
  const c = d.berth(['rmi', short]);
  assert.equal(c.code, 1);
  assert.equal(c.stderr, `Error response from daemon: conflict: unable to delete ${short} (must be forced) - image is referenced in multiple repositories\n`);
  const f = ok(d.berth(['rmi', '-f', short]), 'rmi -f');
  assert.equal(f, `Untagged: one:1\nUntagged: two:2\nDeleted: ${id}\nDeleted: sha256:${sha256hex(await makeTar(rootfsEntries('rmi')))}\n`);
  const nf = d.berth(['rmi', 'nope']);
  assert.equal(nf.code, 1);
  assert.equal(nf.stderr, 'Error response from daemon: No such image: nope:latest\n');
  const ins = d.berth(['image', 'inspect', 'nope']);
  assert.equal(ins.code, 1);
  assert.equal(ins.stdout, '[]\n');
  assert.equal(ins.stderr, 'Error: No such image: nope\n');
  // the blobs and the layer snapshot are gone with the image
  const blobs = readdirSync(path.join(d.dataRoot, 'content/blobs/sha256'));
  assert.equal(blobs.length, 0, `leftover blobs: ${blobs.join(', ')}`);
});

test('loads a tar made by the real docker engine, and the real engine loads berth\'s save', { skip: skip || (!realDocker() && 'no real dockerd answers on /var/run/docker.sock') }, async () => {
  const name = `berth-oracle-${process.pid}:1`;
  const f = path.join(d.root, 'oracle.tar');
  writeFileSync(f, await makeTar(rootfsEntries('oracle')));
  const run = (args: string[]) => spawnSync('docker', ['-H', 'unix:///var/run/docker.sock', ...args], { encoding: 'utf8' });
  try {
    assert.equal(run(['import', '--change', 'CMD ["sh"]', f, name]).status, 0);
    const dockerId = run(['image', 'inspect', '-f', '{{.Id}}', name]).stdout.trim();
    // berth's CLI drives the real engine too
    const viaBerth = spawnSync(process.execPath, [BERTH, '-H', 'unix:///var/run/docker.sock', 'image', 'inspect', '-f', '{{.Id}}', name], { encoding: 'utf8' });
    assert.equal(viaBerth.stdout.trim(), dockerId, viaBerth.stderr);
    assert.match(spawnSync(process.execPath, [BERTH, '-H', 'unix:///var/run/docker.sock', 'images'], { encoding: 'utf8' }).stdout, new RegExp(`berth-oracle-${process.pid}\\s+1\\s+${dockerId.slice(7, 19)}`));
    const saved = path.join(d.root, 'docker-saved.tar');
    assert.equal(run(['save', '-o', saved, name]).status, 0);
    assert.equal(ok(d.berth(['load', '-i', saved]), 'load docker save'), `Loaded image: ${name}\n`);
    assert.equal(d.berth(['image', 'inspect', '-f', '{{.Id}}', name]).stdout.trim(), dockerId);
    // and back: berth's save into the real engine
    assert.equal(run(['rmi', name]).status, 0);
    const ours = path.join(d.root, 'berth-saved.tar');
    ok(d.berth(['save', '-o', ours, name]), 'save');
    const load = run(['load', '-i', ours]);
    assert.equal(load.status, 0, load.stderr);
    assert.equal(run(['image', 'inspect', '-f', '{{.Id}}', name]).stdout.trim(), dockerId);
  } finally {
    run(['rmi', '-f', name]);
    d.berth(['rmi', '-f', name]);
  }
});

function realDocker(): boolean {
  const r = spawnSync('docker', ['-H', 'unix:///var/run/docker.sock', 'version', '--format', '{{.Server.Version}}'], { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 && r.stdout.trim() !== '' && !r.stdout.includes('0.1.0');
}
