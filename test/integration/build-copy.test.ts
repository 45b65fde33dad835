// COPY/ADD --link and ADD's archive formats, built by a berthd of the test's
// own on a busybox base: the --link layer is reused (same blob digest and
// diff ID) when the base or an earlier RUN changes and stacked on the new
// parent, while a plain COPY is rebuilt and differs; the destination is not
// resolved through the parent's symlinks; --chown numeric, --chmod (which
// turns --link off, as in BuildKit), --from a stage; no whiteouts; and ADD of
// .tar.gz/.bz2/.xz/.zst (by magic bytes), of compressed non-tars (copied as
// they are) and of a truncated archive (an error that leaves no layer).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { TestDaemon, isRoot, ok, which } from '../helpers/daemon.js';
import { writeContext } from '../helpers/buildctx.js';
import { useContainerDaemon } from '../helpers/containers.js';
import { archiveFiles, layerBytes } from '../helpers/imagetree.js';
import { makeTar, type Entry } from '../helpers/tars.js';
import tar from 'tar-stream';

const missing = ['xz', 'bzip2', 'zstd', 'tar', 'runc', 'conmon'].find((c) => !which(c));
const skip = !isRoot() ? 'needs root (overlay, namespaces)' : !which('busybox') ? 'needs busybox-static' : missing ? `needs ${missing}` : false;
let d: TestDaemon;
useContainerDaemon(skip, (x) => (d = x));

let n = 0;
function context(files: Record<string, string | Buffer>): string {
  return writeContext(path.join(d.root, `ctx${n++}`), files);
}

function inspect(ref: string): { Id: string; RootFS: { Layers: string[] } } {
  return (JSON.parse(ok(d.berth(['image', 'inspect', ref]), 'inspect')) as never[])[0]!;
}

/** The layer blobs of an image, as `save` writes them: digest and uncompressed tar. */
async function blobs(ref: string): Promise<{ digest: string; tar: Buffer }[]> {
  const file = path.join(d.root, `save${n++}.tar`);
  ok(d.berth(['save', '-o', file, ref]), 'save');
  const files = await archiveFiles(readFileSync(file));
  const m = (JSON.parse(files.get('manifest.json')!.toString()) as { Layers: string[] }[])[0]!;
  return m.Layers.map((l) => ({ digest: 'sha256:' + path.posix.basename(l), tar: layerBytes(files.get(l)!) }));
}

async function tarEntries(t: Buffer): Promise<{ name: string; type: string; mode: number; uid: number; gid: number }[]> {
  const out: { name: string; type: string; mode: number; uid: number; gid: number }[] = [];
  const ex = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (h, s, next) => {
      out.push({ name: h.name, type: h.type ?? 'file', mode: h.mode ?? 0, uid: h.uid ?? 0, gid: h.gid ?? 0 });
      s.on('end', next);
      s.resume();
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  ex.end(t);
  await done;
  return out;
}

const uses = (out: string) => (out.match(/---> Using cache \(--link layer/g) ?? []).length;

test('COPY --link: the layer blob is reused when the base changes, stacked on the new parent; plain COPY and --chmod are rebuilt', { skip, timeout: 300_000 }, async () => {
  ok(d.berth(['build', '-t', 'lbase:1', context({ Dockerfile: 'FROM busybox\nRUN mkdir /app && echo one > /app/old.txt\n' })]), 'base 1');
  ok(d.berth(['build', '-t', 'lbase:2', context({ Dockerfile: 'FROM busybox\nRUN mkdir /app && chmod 700 /app && echo two > /app/old.txt && echo x > /extra\n' })]), 'base 2');
  const dir = context({
    Dockerfile: `FROM busybox AS build
RUN mkdir /out && echo built > /out/art
FROM lbase:cur
COPY --link new.txt /app/
COPY --link --from=build /out/ /dist/
COPY --link --chmod=0600 b.txt /m/
RUN cat /app/old.txt /app/new.txt /dist/art > /seen && stat -c '%a %u' /app /m/b.txt >> /seen
`,
    'new.txt': 'new\n',
    'b.txt': 'b\n',
  });
  const plain = context({ Dockerfile: 'FROM lbase:cur\nCOPY new.txt /app/\n', 'new.txt': 'new\n' });

  ok(d.berth(['tag', 'lbase:1', 'lbase:cur']), 'tag');
  const first = ok(d.berth(['build', '-t', 'linked:1', dir]), 'build on base 1');
  assert.equal(uses(first), 0);
  ok(d.berth(['build', '-t', 'plain:1', plain]), 'plain on base 1');

  ok(d.berth(['tag', 'lbase:2', 'lbase:cur']), 'retag');
  const second = ok(d.berth(['build', '-t', 'linked:2', dir]), 'build on base 2');
  assert.equal(uses(second), 2, `the two --link layers are reused, the --chmod one is not (BuildKit drops --link with --chmod):\n${second}`);
  const plain2 = ok(d.berth(['build', '-t', 'plain:2', plain]), 'plain on base 2');
  assert.doesNotMatch(plain2, /Using cache/, 'a plain COPY depends on its parent');

  const b1 = await blobs('linked:1');
  const b2 = await blobs('linked:2');
  const base1 = inspect('lbase:1').RootFS.Layers.length;
  const base2 = inspect('lbase:2').RootFS.Layers.length;
  // [base..., --link new.txt, --link --from, --chmod, RUN]
  assert.equal(b1.length, base1 + 4);
  assert.equal(b2.length, base2 + 4);
  for (const i of [0, 1]) {
    assert.equal(b2[base2 + i]!.digest, b1[base1 + i]!.digest, `--link layer ${i}: same blob`);
    assert.equal(inspect('linked:2').RootFS.Layers[base2 + i], inspect('linked:1').RootFS.Layers[base1 + i], `--link layer ${i}: same diff ID`);
  }
  assert.notEqual(inspect('linked:2').Id, inspect('linked:1').Id, 'the image config still changes');
  // the --link layer holds only what it copies, made in an empty directory: no whiteouts, the parent's /app mode not copied up
  assert.deepEqual((await tarEntries(b1[base1]!.tar)).map((e) => [e.name, e.type, e.mode.toString(8)]), [['app/', 'directory', '755'], ['app/new.txt', 'file', '644']]);
  assert.deepEqual((await tarEntries(b1[base1 + 1]!.tar)).map((e) => e.name), ['dist/', 'dist/art']);
  for (const b of [...b1, ...b2]) assert.ok(!(await tarEntries(b.tar)).some((e) => path.posix.basename(e.name).startsWith('.wh.')), 'no whiteout in any layer');

  // stacked: the parent's files stay, the new ones are visible to a later RUN and in a container
  const seen = ok(d.berth(['run', '--rm', '--network', 'none', 'linked:2', 'cat', '/seen', '/extra']), 'run');
  // --link's /app directory (0755, as made in the empty directory) replaces base 2's 0700 one, as in BuildKit
  assert.equal(seen, 'two\nnew\nbuilt\n755 0\n600 0\nx\n');
  assert.equal(ok(d.berth(['run', '--rm', '--network', 'none', 'linked:1', 'cat', '/seen']), 'run 1'), 'one\nnew\nbuilt\n755 0\n600 0\n');

  // a plain COPY's layer carries base 2's /app (copied up): another blob
  const p1 = await blobs('plain:1');
  const p2 = await blobs('plain:2');
  assert.notEqual(p2.at(-1)!.digest, p1.at(-1)!.digest);
  assert.deepEqual((await tarEntries(p2.at(-1)!.tar)).map((e) => [e.name, e.mode.toString(8)]), [['app/', '700'], ['app/new.txt', '644']]);

  // an earlier RUN that changes: the --link layer is reused too, later steps rebuilt
  const runDir = (v: string) => context({ Dockerfile: `FROM busybox\nRUN echo ${v} > /v\nCOPY --link new.txt /app/\nRUN cat /v /app/new.txt\n`, 'new.txt': 'new\n' });
  ok(d.berth(['build', '-t', 'lrun:1', runDir('v1')]), 'run v1');
  const r2 = ok(d.berth(['build', '-t', 'lrun:2', runDir('v2')]), 'run v2');
  assert.equal(uses(r2), 1);
  assert.match(r2, /\nv2\nnew\n/, 'the RUN after the --link step runs again, on the new chain');
  assert.equal((await blobs('lrun:2'))[2]!.digest, (await blobs('lrun:1'))[2]!.digest);
  // and an unchanged rebuild is a plain cache hit of every step
  const again = ok(d.berth(['build', '-t', 'lrun:3', runDir('v2')]), 'again');
  assert.equal(uses(again), 0);
  assert.equal(inspect('lrun:3').Id, inspect('lrun:2').Id);
  // --no-cache makes the --link layer anew too
  const fresh = ok(d.berth(['build', '--no-cache', '-t', 'lrun:4', runDir('v2')]), '--no-cache');
  assert.doesNotMatch(fresh, /Using cache/);
});

test('COPY --link does not follow a symlink of the parent in its destination; plain COPY does', { skip, timeout: 120_000 }, () => {
  ok(d.berth(['build', '-t', 'symbase:1', context({ Dockerfile: 'FROM busybox\nRUN mkdir /real && echo keep > /real/keep && ln -s /real /link\n' })]), 'base');
  const linked = ok(
    d.berth(['build', '-t', 'sym:link', context({ Dockerfile: 'FROM symbase:1\nCOPY --link a.txt /link/sub/\nRUN test -d /link && ! test -L /link && cat /link/sub/a.txt && ! test -e /real/sub && cat /real/keep\n', 'a.txt': 'A\n' })]),
    '--link',
  );
  assert.match(linked, /\nA\nkeep\n/);
  const plain = ok(
    d.berth(['build', '-t', 'sym:plain', context({ Dockerfile: 'FROM symbase:1\nCOPY a.txt /link/sub/\nRUN test -L /link && cat /real/sub/a.txt /real/keep\n', 'a.txt': 'A\n' })]),
    'plain',
  );
  assert.match(plain, /\nA\nkeep\n/);
  // nothing of the parent is read: without a trailing slash the destination is a file, which replaces the parent's directory
  const over = ok(d.berth(['build', context({ Dockerfile: 'FROM symbase:1\nCOPY --link a.txt /real\nRUN test -f /real && cat /real\n', 'a.txt': 'A\n' })]), 'file over a directory');
  assert.match(over, /\nA\n/);
});

test('COPY --link --chown: numeric ids (and root) own the files and the directories made; names are refused', { skip, timeout: 120_000 }, async () => {
  const dir = context({ Dockerfile: 'FROM busybox\nCOPY --link --chown=1234:5678 a.txt /owned/deep/\nCOPY --link --chown=42 a.txt /o42/\nCOPY --link --chown=root:7 a.txt /r7/\n', 'a.txt': 'A\n' });
  ok(d.berth(['build', '-t', 'own:1', dir]), 'build');
  const b = await blobs('own:1');
  const base = b.length - 3;
  assert.deepEqual((await tarEntries(b[base]!.tar)).map((e) => [e.name, e.uid, e.gid]), [['owned/', 1234, 5678], ['owned/deep/', 1234, 5678], ['owned/deep/a.txt', 1234, 5678]]);
  assert.deepEqual((await tarEntries(b[base + 1]!.tar)).map((e) => [e.name, e.uid, e.gid]), [['o42/', 42, 42], ['o42/a.txt', 42, 42]]);
  assert.deepEqual((await tarEntries(b[base + 2]!.tar)).map((e) => [e.name, e.uid, e.gid]), [['r7/', 0, 7], ['r7/a.txt', 0, 7]]);
  const before = snapshotState();
  const named = d.berth(['build', context({ Dockerfile: 'FROM busybox\nENV U=nobody\n\nCOPY --link --chown=$U a.txt /x/\n', 'a.txt': 'A\n' })]);
  assert.equal(named.code, 1);
  assert.match(named.stderr, /Dockerfile:4: COPY --link --chown=nobody: user and group must be numeric ids \(or root\) with --link/);
  assert.deepEqual(snapshotState(), before, 'the refused step left no snapshot, blob or mount');
  // without --link the name is looked up in the stage's /etc/passwd
  ok(d.berth(['build', context({ Dockerfile: 'FROM busybox\nCOPY --chown=nobody a.txt /x/\n', 'a.txt': 'A\n' })]), 'plain --chown=nobody');
});

function snapshotState(): { snapshots: string[]; blobs: string[]; mounts: string[] } {
  const ls = (p: string) => (existsSync(p) ? readdirSync(p).sort() : []);
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '').filter((t) => t.startsWith(d.root));
  return { snapshots: ls(path.join(d.dataRoot, 'snapshots')), blobs: ls(path.join(d.dataRoot, 'content', 'blobs', 'sha256')), mounts };
}

test('ADD unpacks tar.gz, .bz2, .xz and .zst by their magic bytes; compressed non-tars are copied; a truncated or malicious archive leaves no layer', { skip, timeout: 180_000 }, async () => {
  const src = path.join(d.root, 'arch-src');
  mkdirSync(path.join(src, 'd'), { recursive: true });
  writeFileSync(path.join(src, 'd', 'f.txt'), 'hello\n');
  writeFileSync(path.join(src, 'big.txt'), Array.from({ length: 30_000 }, (_, i) => `line ${i}`).join('\n'));
  const t = spawnSync('tar', ['-C', src, '-cf', '-', '.'], { maxBuffer: 1 << 26 }).stdout;
  const z = (cmd: string, data: Buffer, ...args: string[]) => spawnSync(cmd, ['-c', ...args], { input: data, maxBuffer: 1 << 26 }).stdout;
  const text = Buffer.from('just text\n');
  const xz = z('xz', t);
  const dir = context({
    Dockerfile: `FROM busybox
ADD a.tar.gz /gz/
ADD a.tar.bz2 /bz2/
ADD a.tar.xz /xz/
ADD a.tar.zst /zst/
ADD data.bin /bin-named/
ADD notar.* /notar/
ADD --link a.tar.xz /linked/
ADD a.tar.[gx]z /wild/
RUN for f in gz bz2 xz zst bin-named linked wild; do cat /$f/d/f.txt; done && ls /wild && md5sum /notar/* | sed 's, .*/, ,'
`,
    'a.tar.gz': z('gzip', t),
    'a.tar.bz2': z('bzip2', t),
    'a.tar.xz': xz,
    'a.tar.zst': z('zstd', t, '-q'),
    'data.bin': xz,
    'notar.gz': z('gzip', text),
    'notar.xz': z('xz', text),
    'notar.bz2': z('bzip2', text),
    'notar.zst': z('zstd', text, '-q'),
  });
  const out = ok(d.berth(['build', '-t', 'adds:1', dir]), 'build');
  assert.match(out, /\n(hello\n){7}big.txt\nd\n/, 'archives matched by a wildcard are unpacked too (both docker builders do)');
  const md5 = (b: Buffer) => spawnSync('md5sum', { input: b }).stdout.toString().split(' ')[0];
  for (const f of ['notar.gz', 'notar.xz', 'notar.bz2', 'notar.zst']) assert.ok(out.includes(`${md5(readFileSync(path.join(dir, f)))} ${f}`), `${f} copied as it is:\n${out}`);

  const before = snapshotState();
  const bad = d.berth(['build', context({ Dockerfile: 'FROM busybox\nADD trunc.tar.xz /t/\n', 'trunc.tar.xz': xz.subarray(0, Math.floor(xz.length / 2)) })]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /ADD failed: trunc\.tar\.xz: Error processing tar file: unexpected EOF/);
  assert.deepEqual(snapshotState(), before, 'no snapshot, blob or mount left by the failed ADD');

  // a malicious .tar.xz: "../" stays inside the destination (as docker), nothing is written through a symlink
  const evil = async (entries: Entry[]) => z('xz', await makeTar(entries));
  const climb = ok(d.berth(['build', context({ Dockerfile: 'FROM busybox\nADD climb.tar.xz /t/\nRUN find /t | sort && ! test -e /escape.txt\n', 'climb.tar.xz': await evil([{ name: 'ok.txt', data: 'ok' }, { name: '../escape.txt', data: 'evil' }]) })]), 'climb');
  assert.match(climb, /\n\/t\n\/t\/escape\.txt\n\/t\/ok\.txt\n/);
  const before2 = snapshotState();
  const through = d.berth(['build', context({ Dockerfile: 'FROM busybox\nADD through.tar.xz /t/\n', 'through.tar.xz': await evil([{ name: 'ln', type: 'symlink', linkname: '/etc' }, { name: 'ln/planted.txt', data: 'evil' }]) })]);
  assert.equal(through.code, 1);
  assert.match(through.stderr, /ADD failed: through\.tar\.xz: Error processing tar file: archive entry "ln\/planted\.txt" has a parent that is not a directory/);
  assert.deepEqual(snapshotState(), before2, 'no snapshot, blob or mount left by the refused archive');
});
