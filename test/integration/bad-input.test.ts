// Bad input gets a clear error and loses nothing: broken archives, wrong
// digests, missing layers, hostile layers and bad requests leave the store
// exactly as it was (same images, no stray blobs, snapshots or ingests).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { TestDaemon, isRoot } from '../helpers/daemon.js';
import { makeTar, rootfsEntries, legacyDockerSave, ociLayout, sha256hex } from '../helpers/tars.js';

const skip = isRoot() ? false : 'needs root (overlay snapshots, chown)';
let d: TestDaemon;
let baseline: string;

function storeState(): string {
  const ls = (p: string) => {
    try {
      return readdirSync(path.join(d.dataRoot, p)).sort().join(',');
    } catch {
      return '';
    }
  };
  return JSON.stringify({ images: d.berth(['images', '--no-trunc', '-q']).stdout, blobs: ls('content/blobs/sha256'), ingest: ls('content/ingest'), snapshots: ls('snapshots') });
}

before(async () => {
  if (skip) return;
  d = await new TestDaemon().start();
  const file = path.join(d.root, 'keep.tar');
  writeFileSync(file, await makeTar(rootfsEntries('keep')));
  assert.equal(d.berth(['import', file, 'keep:1']).code, 0);
  baseline = storeState();
});
after(async () => {
  await d?.cleanup();
});

function fails(r: { code: number; stderr: string }, re: RegExp): void {
  assert.equal(r.code, 1, `expected failure, got ${r.code}: ${r.stderr}`);
  assert.match(r.stderr, re);
  assert.equal(storeState(), baseline, 'the store changed after a failed operation');
}

test('load: garbage, empty and truncated input', { skip }, async () => {
  fails(d.berth(['load'], { input: Buffer.from('this is not a tar archive at all'.repeat(40)) }), /^Error response from daemon: invalid archive: /);
  fails(d.berth(['load'], { input: Buffer.alloc(0) }), /invalid archive: the input is empty/);
  const good = (await legacyDockerSave([await makeTar(rootfsEntries('t'))], ['trunc:1'])).tar;
  fails(d.berth(['load'], { input: good.subarray(0, Math.floor(good.length / 2)) }), /invalid archive/);
  fails(d.berth(['load'], { input: gzipSync(good).subarray(0, 300) }), /invalid archive/);
  fails(d.berth(['load', '-i', '/nonexistent/file.tar']), /^Error: open \/nonexistent\/file.tar: no such file or directory/);
});

test('load: a blob whose bytes do not match its name is rejected', { skip }, async () => {
  const layer = await makeTar(rootfsEntries('x'));
  const oci = await ociLayout([layer], 'docker.io/library/tampered:1');
  // swap one byte of the layer blob inside the archive: its digest no longer matches
  const tampered = Buffer.from(oci.tar);
  const at = tampered.indexOf(Buffer.alloc(4096, 1));
  tampered[at + 10] = 2;
  fails(d.berth(['load'], { input: tampered }), /invalid archive: blobs\/sha256\/[a-f0-9]{64}: content digest mismatch/);
});

test('load: a layer whose content differs from the config diff ID is rejected', { skip }, async () => {
  const real = await makeTar(rootfsEntries('real'));
  const other = await makeTar(rootfsEntries('other'));
  const { tar } = await legacyDockerSave([real], ['liar:1']);
  // same archive, but layer.tar replaced with other content of the same size
  const swapped = Buffer.from(tar);
  const i = swapped.indexOf(real);
  other.copy(swapped, i);
  fails(d.berth(['load'], { input: swapped }), /does not match the expected diffID/);
});

test('load: manifest.json naming a missing layer, and an archive with no manifest', { skip }, async () => {
  const mj = JSON.stringify([{ Config: 'cfg.json', RepoTags: ['x:1'], Layers: ['nope/layer.tar'] }]);
  const cfg = JSON.stringify({ os: 'linux', architecture: 'amd64', rootfs: { type: 'layers', diff_ids: ['sha256:' + 'a'.repeat(64)] } });
  fails(d.berth(['load'], { input: await makeTar([{ name: 'manifest.json', data: mj }, { name: 'cfg.json', data: cfg }]) }), /invalid archive: manifest.json\[0\] layer 0 "nope\/layer.tar" is not in the archive/);
  fails(d.berth(['load'], { input: await makeTar([{ name: 'hello.txt', data: 'hi' }]) }), /found neither manifest.json nor an OCI index.json/);
  fails(d.berth(['load'], { input: await makeTar([{ name: 'manifest.json', data: '{not json' }]) }), /invalid archive: manifest.json: /);
});

test('load: a hostile layer (path escape) is refused and nothing is written outside', { skip }, async () => {
  const evil = await makeTar([{ name: '../../../../tmp/berth-escape-' + process.pid, data: 'pwned' }]);
  fails(d.berth(['load'], { input: (await legacyDockerSave([evil], ['evil:1'])).tar }), /invalid archive: .*(outside|escape|\.\.)/i);
  const link = await makeTar([{ name: 'esc', type: 'symlink', linkname: '/tmp' }, { name: 'esc/berth-escape-' + process.pid, data: 'pwned' }]);
  fails(d.berth(['load'], { input: (await legacyDockerSave([link], ['evil:2'])).tar }), /symlink/i);
  assert.throws(() => readdirSync('/tmp').find((f) => f === `berth-escape-${process.pid}`) ?? (() => { throw new Error('absent'); })(), /absent/);
});

test('import: not a tar, bad --change, bad reference', { skip }, async () => {
  const junk = path.join(d.root, 'junk.tar');
  writeFileSync(junk, 'not a tarball'.repeat(100));
  fails(d.berth(['import', junk, 'junk:1']), /^Error response from daemon: .*(invalid tar|tar)/i);
  const good = path.join(d.root, 'good.tar');
  writeFileSync(good, await makeTar(rootfsEntries('g')));
  fails(d.berth(['import', good, 'x:1', '--change', 'RUN rm -rf /']), /RUN is not a valid change command/);
  fails(d.berth(['import', good, 'UPPER:1']), /invalid reference format: repository name \(library\/UPPER\) must be lowercase/);
  fails(d.berth(['import', '/does/not/exist']), /open \/does\/not\/exist: no such file or directory/);
});

test('tag and inspect with bad names', { skip }, async () => {
  fails(d.berth(['tag', 'nope:1', 'x:1']), /^Error response from daemon: No such image: nope:1/);
  fails(d.berth(['tag', 'keep:1', 'Bad Name']), /invalid reference format/);
  const sha = sha256hex('x');
  fails(d.berth(['rmi', `sha256:${sha}`]), new RegExp(`No such image: sha256:${sha}`));
});
