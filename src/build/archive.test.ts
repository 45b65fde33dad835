// ADD's archive detection and unpacking on archives made by the system's own
// tar, gzip, bzip2, xz and zstd: magic bytes decide (never the name), what
// is not a readable tar is not an archive, a truncated archive fails with
// unexpected EOF, the extractor's safety rules hold for every compression,
// and no decompressor process outlives a probe or a failed unpack.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import tar from 'tar-stream';
import { detectArchiveCompression, extractArchive, probeArchive, type ArchiveCompression } from './archive.js';

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const skip = ['tar', 'gzip', 'bzip2', 'xz', 'zstd'].find((c) => !has(c));
const opts = { skip: skip ? `needs ${skip}` : false };

let dir: string;
const tools: Record<Exclude<ArchiveCompression, 'none'>, string[]> = { gzip: ['gzip', '-c'], bzip2: ['bzip2', '-c'], xz: ['xz', '-c'], zstd: ['zstd', '-q', '-c'] };

function compress(c: Exclude<ArchiveCompression, 'none'>, data: Buffer): Buffer {
  const [cmd, ...args] = tools[c];
  const r = spawnSync(cmd!, args, { input: data, maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, r.stderr?.toString());
  return r.stdout;
}

function write(name: string, data: Buffer): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, data);
  return p;
}

/** Decompressor processes (bzip2, xz) that are children of this test process. */
function decompressorChildren(): string[] {
  const out: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const m = /^\d+ \((.*)\) \S (\d+)/.exec(stat);
      if (m && Number(m[2]) === process.pid && /^(xz|bzip2)$/.test(m[1]!)) out.push(`${pid} ${m[1]}`);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

async function noDecompressorLeft(): Promise<void> {
  // a killed child is reaped on the next turns of the event loop
  for (let i = 0; i < 3000 && decompressorChildren().length; i++) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(decompressorChildren(), []);
}

async function packTar(entries: { name: string; type?: 'file' | 'symlink' | 'directory'; data?: string; linkname?: string }[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise((r) => pack.on('end', r));
  for (const e of entries) {
    const type = e.type ?? 'file';
    const body = type === 'file' ? Buffer.from(e.data ?? '') : undefined;
    await new Promise<void>((res, rej) => pack.entry({ name: e.name, type, mode: 0o644, ...(e.linkname ? { linkname: e.linkname } : {}), ...(body ? { size: body.length } : {}) }, body, (err) => (err ? rej(err) : res())));
  }
  pack.finalize();
  await ended;
  return Buffer.concat(chunks);
}

let plainTar: Buffer;
before(() => {
  if (skip) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-archive-'));
  const src = path.join(dir, 'src');
  fs.mkdirSync(path.join(src, 'd'), { recursive: true });
  fs.writeFileSync(path.join(src, 'd', 'f.txt'), 'hello\n');
  // big enough that every compressor writes more than one block of output
  fs.writeFileSync(path.join(src, 'big.txt'), Array.from({ length: 40_000 }, (_, i) => `${i} ${(i * 7919) % 104729}`).join('\n'));
  fs.symlinkSync('d/f.txt', path.join(src, 'link'));
  const r = spawnSync('tar', ['-C', src, '-cf', '-', '.'], { maxBuffer: 1 << 28 });
  assert.equal(r.status, 0);
  plainTar = r.stdout;
});
after(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('magic bytes as docker reads them', () => {
  assert.equal(detectArchiveCompression(Buffer.from([0x1f, 0x8b, 0x08, 0])), 'gzip');
  assert.equal(detectArchiveCompression(Buffer.from([0x1f, 0x8b, 0x07, 0])), 'none', 'gzip needs deflate (08), as docker checks');
  assert.equal(detectArchiveCompression(Buffer.from('BZh91AY')), 'bzip2');
  assert.equal(detectArchiveCompression(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0])), 'xz');
  assert.equal(detectArchiveCompression(Buffer.from([0x28, 0xb5, 0x2f, 0xfd])), 'zstd');
  assert.equal(detectArchiveCompression(Buffer.from([0x5e, 0x2a, 0x4d, 0x18, 4, 0, 0, 0])), 'zstd', 'a skippable frame');
  assert.equal(detectArchiveCompression(Buffer.from('ustar')), 'none');
});

test('every compression is unpacked, whatever the file is called', opts, async () => {
  const cases: [string, Buffer, ArchiveCompression][] = [
    ['a.tar', plainTar, 'none'],
    ['a.tar.gz', compress('gzip', plainTar), 'gzip'],
    ['a.tar.bz2', compress('bzip2', plainTar), 'bzip2'],
    ['a.tar.xz', compress('xz', plainTar), 'xz'],
    ['a.tar.zst', compress('zstd', plainTar), 'zstd'],
    ['data.bin', compress('xz', plainTar), 'xz'],
  ];
  const want = fs.readFileSync(path.join(dir, 'src', 'big.txt'));
  for (const [name, data, c] of cases) {
    const file = write(name, data);
    assert.equal(await probeArchive(file), c, name);
    const out = path.join(dir, `out-${name}`);
    fs.mkdirSync(out);
    await extractArchive(file, c, out, name);
    assert.equal(fs.readFileSync(path.join(out, 'd', 'f.txt'), 'utf8'), 'hello\n', name);
    assert.ok(fs.readFileSync(path.join(out, 'big.txt')).equals(want), name);
    assert.equal(fs.readlinkSync(path.join(out, 'link')), 'd/f.txt', name);
  }
  await noDecompressorLeft();
});

test('compressed non-tars, empty tars and garbage are not archives (copied as they are)', opts, async () => {
  const text = Buffer.from('just text\n');
  const emptyTar = Buffer.alloc(10240);
  const cases: [string, Buffer][] = [
    ['notar.gz', compress('gzip', text)],
    ['notar.bz2', compress('bzip2', text)],
    ['notar.xz', compress('xz', text)],
    ['notar.zst', compress('zstd', text)],
    ['garbage.xz', Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), Buffer.from('garbage garbage')])],
    ['garbage.gz', Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08]), Buffer.from('garbage garbage')])],
    ['empty.tar', emptyTar],
    ['empty.tar.xz', compress('xz', emptyTar)],
    ['zero', Buffer.alloc(0)],
    ['text.txt', text],
    // bzip2 works in whole blocks: a cut first block yields nothing to read, as docker finds
    ['trunc.tar.bz2', compress('bzip2', plainTar).subarray(0, 1500)],
  ];
  for (const [name, data] of cases) assert.equal(await probeArchive(write(name, data)), undefined, name);
  assert.equal(await probeArchive(dir), undefined, 'a directory');
  await noDecompressorLeft();
});

test('a truncated archive is an archive that fails with unexpected EOF', opts, async () => {
  for (const c of ['gzip', 'xz', 'zstd', 'none'] as const) {
    const whole = c === 'none' ? plainTar : compress(c, plainTar);
    const file = write(`trunc-${c}`, whole.subarray(0, Math.floor(whole.length / 2)));
    assert.equal(await probeArchive(file), c, c);
    const out = path.join(dir, `trunc-out-${c}`);
    fs.mkdirSync(out);
    await assert.rejects(extractArchive(file, c, out, `trunc-${c}`), (e: Error) => {
      assert.match(e.message, new RegExp(`^ADD failed: trunc-${c}: Error processing tar file: unexpected EOF`), e.message);
      return true;
    });
  }
  await noDecompressorLeft();
});

test('malicious .tar.xz (and .tar.bz2, .tar.zst): ../ stays inside, nothing written through a symlink', opts, async () => {
  const outside = path.join(dir, 'outside');
  fs.mkdirSync(outside);
  const climbing = await packTar([{ name: 'ok.txt', data: 'ok' }, { name: '../escape.txt', data: 'evil' }]);
  const through = await packTar([{ name: 'ln', type: 'symlink', linkname: outside }, { name: 'ln/planted.txt', data: 'evil' }]);
  for (const c of ['xz', 'bzip2', 'zstd'] as const) {
    // "../escape.txt" is clamped into the target, as docker's chrooted untar does (checked on docker 20.10)
    const climbFile = write(`evil-climb.tar.${c}`, compress(c, climbing));
    assert.equal(await probeArchive(climbFile), c);
    const climbOut = path.join(dir, `evil-out-climb-${c}`);
    fs.mkdirSync(climbOut);
    await extractArchive(climbFile, c, climbOut, `evil.tar.${c}`);
    assert.deepEqual(fs.readdirSync(climbOut).sort(), ['escape.txt', 'ok.txt']);
    // an entry under a symlink is refused (docker fails too, its chroot has no such target)
    const file = write(`evil-symlink.tar.${c}`, compress(c, through));
    assert.equal(await probeArchive(file), c);
    const out = path.join(dir, `evil-out-symlink-${c}`);
    fs.mkdirSync(out);
    await assert.rejects(extractArchive(file, c, out, `evil.tar.${c}`), /archive entry "ln\/planted\.txt" has a parent that is not a directory/);
  }
  assert.deepEqual(fs.readdirSync(outside), []);
  assert.equal(fs.existsSync(path.join(dir, 'escape.txt')), false);
  await noDecompressorLeft();
});

test('a missing bzip2/xz program is an error that names the package, not a silent copy', opts, async () => {
  const file = write('needs-xz.tar.xz', compress('xz', plainTar));
  const empty = fs.mkdtempSync(path.join(dir, 'nopath-'));
  const saved = process.env['PATH'];
  process.env['PATH'] = empty;
  try {
    await assert.rejects(probeArchive(file), /unpacking xz needs the xz program \(Debian package xz-utils\)/);
  } finally {
    process.env['PATH'] = saved;
  }
  assert.equal(await probeArchive(file), 'xz');
});
