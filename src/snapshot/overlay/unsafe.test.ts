// Crafted hostile layers. Each must fail with a message that names the
// problem, write nothing outside the layer (a sentinel directory next to the
// snapshot root stays as it was) and leave no snapshot row or directory.
import { afterEach, beforeEach, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import Database from 'better-sqlite3';
import { isKind } from '../../common/errors.js';
import { gzip, makeTar, type TarEntry } from '../testtar.js';
import { OverlaySnapshotter } from './snapshotter.js';

const skip = process.getuid?.() === 0 ? false : 'needs root (lchown, mknod)';

function listTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      out.push(`${rel}${e.name}`);
      if (e.isDirectory()) walk(path.join(d, e.name), `${rel}${e.name}/`);
    }
  };
  walk(dir, '');
  return out.sort();
}

describe('hostile layers', { skip }, () => {
  let base: string;
  let root: string;
  let sentinel: string;
  let db: Database.Database;
  let s: OverlaySnapshotter;
  let sentinelBefore: string[];

  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-unsafe-'));
    root = path.join(base, 'snapshots');
    sentinel = path.join(base, 'sentinel');
    fs.mkdirSync(sentinel);
    fs.writeFileSync(path.join(sentinel, 'target'), 'original');
    sentinelBefore = listTree(sentinel);
    db = new Database(':memory:');
    s = new OverlaySnapshotter({ root, db, durable: false });
  });

  afterEach(() => {
    db.close();
    fs.rmSync(base, { recursive: true, force: true });
  });

  async function assertNothingEscaped(): Promise<void> {
    assert.deepEqual(listTree(sentinel), sentinelBefore, 'sentinel directory changed');
    assert.equal(fs.readFileSync(path.join(sentinel, 'target'), 'utf8'), 'original');
    assert.equal(fs.statSync(path.join(sentinel, 'target')).nlink, 1, 'sentinel file gained a hardlink');
  }

  async function refused(layer: Buffer, message: RegExp, parent: string | null = null): Promise<void> {
    const before = (await s.list()).map((i) => i.key);
    const beforeDirs = fs.readdirSync(root).sort();
    await assert.rejects(s.applyLayer(parent as never, Readable.from([layer])), (err: unknown) => {
      assert.ok(isKind(err, 'InvalidArgument'), `expected InvalidArgument, got ${String(err)}`);
      assert.match((err as Error).message, message);
      return true;
    });
    await assertNothingEscaped();
    assert.deepEqual((await s.list()).map((i) => i.key), before, 'a snapshot row was left behind');
    assert.deepEqual(fs.readdirSync(root).sort(), beforeDirs, 'a snapshot directory was left behind');
  }

  const tarOf = (entries: TarEntry[]) => makeTar(entries);

  it('refuses writing through a symlink planted by an earlier entry', async () => {
    await refused(
      await tarOf([
        { name: 'evil', type: 'symlink', linkname: sentinel },
        { name: 'evil/pwned', body: 'x' },
      ]),
      /^layer: entry "evil\/pwned": parent "evil" is a symlink; refusing to write through it$/,
    );
    await refused(
      await tarOf([
        { name: 'a/', type: 'directory' },
        { name: 'a/up', type: 'symlink', linkname: '../../../sentinel' },
        { name: 'a/up/deeper/pwned', body: 'x' },
      ]),
      /entry "a\/up\/deeper\/pwned": parent "a\/up" is a symlink/,
    );
  });

  it('refuses whiteouts and opaque markers through a symlink', async () => {
    await refused(
      await tarOf([
        { name: 'evil', type: 'symlink', linkname: sentinel },
        { name: 'evil/.wh.target', body: '' },
      ]),
      /^layer: entry "evil\/.wh.target": parent "evil" is a symlink; refusing to write through it$/,
    );
    await refused(
      await tarOf([
        { name: 'evil', type: 'symlink', linkname: sentinel },
        { name: 'evil/.wh..wh..opq', body: '' },
      ]),
      /entry "evil\/.wh..wh..opq": parent "evil" is a symlink/,
    );
  });

  it('applies the same rules to names and link targets that come from PAX records', async () => {
    await refused(
      await tarOf([{ name: 'innocent', body: 'x', rawPax: { path: '../../sentinel/paxed' } }]),
      /entry "..\/..\/sentinel\/paxed": path escapes the layer root/,
    );
    await refused(
      await tarOf([{ name: 'hl', type: 'link', linkname: 'ok', rawPax: { linkpath: '../sentinel/target' } }]),
      /entry "hl": hardlink target "..\/sentinel\/target": path escapes the layer root/,
    );
  });

  it('refuses a symlink that replaces a directory and is then written through', async () => {
    await refused(
      await tarOf([
        { name: 'd/', type: 'directory' },
        { name: 'd/file', body: 'ok' },
        { name: 'd', type: 'symlink', linkname: sentinel },
        { name: 'd/pwned', body: 'x' },
      ]),
      /entry "d\/pwned": parent "d" is a symlink/,
    );
  });

  it('refuses names that climb out of the layer with ..', async () => {
    await refused(await tarOf([{ name: '../../etc/x', body: 'x' }]), /^layer: entry "..\/..\/etc\/x": path escapes the layer root$/);
    await refused(await tarOf([{ name: 'a/../../sentinel/target', body: 'x' }]), /path escapes the layer root/);
    await refused(await tarOf([{ name: '../.wh.target', body: '' }]), /path escapes the layer root/);
    await refused(await tarOf([{ name: '..', type: 'directory' }]), /path escapes the layer root/);
  });

  it('keeps absolute and ./ names inside the layer', async () => {
    const r = await s.applyLayer(null, Readable.from([await tarOf([
      { name: `${sentinel}/abs`, body: 'abs' },
      { name: './dot/file', body: 'dot' },
      { name: '/etc/../etc//passwd', body: 'p' },
    ])]));
    await assertNothingEscaped();
    const fsDir = `${(await s.mounts(r.chainId))[0]!.source}`;
    assert.equal(fs.readFileSync(path.join(fsDir, sentinel, 'abs'), 'utf8'), 'abs');
    assert.equal(fs.readFileSync(path.join(fsDir, 'dot/file'), 'utf8'), 'dot');
    assert.equal(fs.readFileSync(path.join(fsDir, 'etc/passwd'), 'utf8'), 'p');
  });

  it('refuses hardlinks that leave the layer, dangle or go through a symlink', async () => {
    await refused(
      await tarOf([{ name: 'hl', type: 'link', linkname: '../../sentinel/target' }]),
      /^layer: entry "hl": hardlink target "..\/..\/sentinel\/target": path escapes the layer root$/,
    );
    await refused(
      await tarOf([{ name: 'hl', type: 'link', linkname: '/etc/passwd' }]),
      /entry "hl": hardlink target "\/etc\/passwd" does not exist in this layer/,
    );
    await refused(
      await tarOf([
        { name: 'lnk', type: 'symlink', linkname: sentinel },
        { name: 'hl', type: 'link', linkname: 'lnk/target' },
      ]),
      /entry "hl": hardlink target "lnk\/target" goes through symlink "lnk"/,
    );
    await refused(
      await tarOf([{ name: 'dir/', type: 'directory' }, { name: 'hl', type: 'link', linkname: 'dir' }]),
      /hardlink target "dir" is a directory/,
    );
  });

  it('refuses device nodes outside dev/, but not whiteouts', async () => {
    await refused(
      await tarOf([{ name: 'usr/sda', type: 'block-device', devmajor: 8, devminor: 0 }]),
      /^layer: entry "usr\/sda": block device 8:0 outside dev\/ is not allowed$/,
    );
    await refused(
      await tarOf([{ name: 'usr/mem', type: 'character-device', devmajor: 1, devminor: 1 }]),
      /entry "usr\/mem": character device 1:1 outside dev\/ is not allowed/,
    );
    await refused(await tarOf([{ name: 'dev/../usr/null', type: 'character-device', devmajor: 1, devminor: 3 }]), /outside dev\//);
    const ok = await s.applyLayer(null, Readable.from([await tarOf([
      { name: 'usr/gone', type: 'character-device', devmajor: 0, devminor: 0 },
      { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
    ])]));
    assert.equal(await s.exists(ok.chainId), true);
  });

  it('refuses unknown entry types', async () => {
    await refused(await tarOf([{ name: 'sparse', body: 'x', typeflag: 'S' }]), /^layer: entry "sparse": unknown entry type flag$/);
  });

  it('refuses malformed whiteouts', async () => {
    await refused(await tarOf([{ name: 'a/.wh..', body: '' }]), /entry "a\/.wh..": invalid whiteout name/);
  });

  it('refuses truncated, corrupt and non-tar input with InvalidArgument', async () => {
    const good = await tarOf([{ name: 'a', body: Buffer.alloc(100_000, 1) }, { name: 'b', body: 'b' }]);
    const gz = gzip(good);
    await refused(gz.subarray(0, gz.length >> 1), /^layer: invalid gzip data: unexpected end of file$/);
    await refused(Buffer.concat([gz.subarray(0, 20), Buffer.alloc(200, 0xff)]), /^layer: invalid gzip data: /);
    await refused(good.subarray(0, 50_000), /^layer: invalid tar archive at entry "a": unexpected end of data$/);
    const garbage = Buffer.alloc(8192);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919 + 13) & 0xff;
    await refused(garbage, /^layer: invalid tar archive at the start: invalid tar header/);
    const corrupt = Buffer.from(good);
    corrupt[512 + 100_352 + 10] ^= 0xff; // inside the second header
    await refused(corrupt, /^layer: invalid tar archive after entry "a": invalid tar header/);
    await refused(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3]), /^layer: invalid zstd data/);
  });

  it('does not apply trusted.* xattrs from the layer', async () => {
    const r = await s.applyLayer(null, Readable.from([await tarOf([
      { name: 'd/', type: 'directory', rawPax: { 'SCHILY.xattr.trusted.overlay.redirect': '/etc', 'SCHILY.xattr.user.ok': 'yes' } },
    ])]));
    const { lgetxattr } = await import('../../common/libc.js');
    const d = path.join((await s.mounts(r.chainId))[0]!.source, 'd');
    assert.equal(lgetxattr(d, 'trusted.overlay.redirect'), undefined);
    assert.equal(lgetxattr(d, 'user.ok')?.toString(), 'yes');
  });

  it('is not fooled across layers: a lower layer symlink does not redirect an upper layer', async () => {
    const l1 = await s.applyLayer(null, Readable.from([await tarOf([{ name: 'evil', type: 'symlink', linkname: sentinel }])]));
    const l2 = await s.applyLayer(l1.chainId, Readable.from([await tarOf([{ name: 'evil/pwned', body: 'x' }])]));
    await assertNothingEscaped();
    assert.equal(await s.exists(l2.chainId), true);
  });
});
