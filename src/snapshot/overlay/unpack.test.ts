// What a layer carries must survive unpacking: modes, owners, times, links,
// special files, xattrs, whiteouts, and later entries replacing earlier ones.
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { sha256 } from '../../common/digest.js';
import { lgetxattr } from '../../common/libc.js';
import { makeTar } from '../testtar.js';
import { unpackLayer } from './apply.js';

const skip = process.getuid?.() === 0 ? false : 'needs root (lchown, mknod, trusted.* xattrs)';
const T1 = new Date('2021-03-04T05:06:07Z');
const T2 = new Date('2020-01-02T03:04:05Z');

describe('layer unpacking', { skip }, () => {
  let base: string;
  let n = 0;
  before(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-unpack-'));
  });
  after(() => fs.rmSync(base, { recursive: true, force: true }));

  async function unpack(tar: Buffer): Promise<string> {
    const dir = path.join(base, String(++n));
    fs.mkdirSync(dir);
    await unpackLayer(Readable.from([tar]), dir);
    return dir;
  }

  it('keeps modes, owners and times', async () => {
    const d = await unpack(await makeTar([
      { name: 'bin/', type: 'directory', mode: 0o750, uid: 3, gid: 4, mtime: T2 },
      { name: 'bin/su', body: '#!', mode: 0o4755, uid: 0, gid: 0, mtime: T1 },
      { name: 'bin/data', body: 'x', mode: 0o600, uid: 1000, gid: 1001, mtime: T1 },
      { name: 'bin/sh', type: 'symlink', linkname: '/bin/busybox', uid: 5, gid: 6, mtime: T2 },
    ]));
    const dir = fs.lstatSync(path.join(d, 'bin'));
    assert.deepEqual([dir.mode & 0o7777, dir.uid, dir.gid, dir.mtime.getTime()], [0o750, 3, 4, T2.getTime()]);
    const su = fs.lstatSync(path.join(d, 'bin/su'));
    assert.equal(su.mode & 0o7777, 0o4755, 'setuid bit survives chown');
    const data = fs.lstatSync(path.join(d, 'bin/data'));
    assert.deepEqual([data.mode & 0o7777, data.uid, data.gid, data.mtime.getTime()], [0o600, 1000, 1001, T1.getTime()]);
    const sh = fs.lstatSync(path.join(d, 'bin/sh'));
    assert.ok(sh.isSymbolicLink());
    assert.equal(fs.readlinkSync(path.join(d, 'bin/sh')), '/bin/busybox', 'symlink target stored verbatim');
    assert.deepEqual([sh.uid, sh.gid, sh.mtime.getTime()], [5, 6, T2.getTime()]);
  });

  it('makes hardlinks, fifos and device nodes', async () => {
    const d = await unpack(await makeTar([
      { name: 'a', body: 'same' },
      { name: 'b', type: 'link', linkname: 'a' },
      { name: 'sub/c', type: 'link', linkname: './a' },
      { name: 'run/fifo', type: 'fifo', mode: 0o640 },
      { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
      { name: 'dev/loop0', type: 'block-device', devmajor: 7, devminor: 0, mode: 0o660 },
    ]));
    const a = fs.statSync(path.join(d, 'a'));
    assert.equal(fs.statSync(path.join(d, 'b')).ino, a.ino);
    assert.equal(fs.statSync(path.join(d, 'sub/c')).ino, a.ino);
    assert.equal(a.nlink, 3);
    const fifo = fs.lstatSync(path.join(d, 'run/fifo'));
    assert.ok(fifo.isFIFO());
    assert.equal(fifo.mode & 0o7777, 0o640);
    const nul = fs.lstatSync(path.join(d, 'dev/null'));
    assert.ok(nul.isCharacterDevice());
    assert.equal(nul.rdev, 0x103);
    assert.ok(fs.lstatSync(path.join(d, 'dev/loop0')).isBlockDevice());
  });

  it('keeps binary xattrs such as file capabilities', async () => {
    // vfs_cap_data revision 2 with high bytes (0xc3), which a UTF-8 round trip would mangle
    const cap = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x00, 0xc3, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const d = await unpack(await makeTar([
      { name: 'bin/ping', body: 'elf', mode: 0o755, rawPax: { 'SCHILY.xattr.security.capability': cap, 'SCHILY.xattr.user.note': 'é' } },
    ]));
    assert.deepEqual(lgetxattr(path.join(d, 'bin/ping'), 'security.capability'), cap);
    assert.equal(lgetxattr(path.join(d, 'bin/ping'), 'user.note')?.toString(), 'é');
  });

  it('turns OCI whiteouts into overlay whiteouts', async () => {
    const d = await unpack(await makeTar([
      { name: 'etc/', type: 'directory' },
      { name: 'etc/.wh.passwd', body: '' },
      { name: 'var/cache/', type: 'directory' },
      { name: 'var/cache/.wh..wh..opq', body: '' },
      { name: 'var/cache/new', body: 'n' },
      { name: '.wh..wh.plnk/', type: 'directory' },
      { name: '.wh.top', body: '' },
    ]));
    const wo = fs.lstatSync(path.join(d, 'etc/passwd'));
    assert.ok(wo.isCharacterDevice());
    assert.equal(wo.rdev, 0);
    assert.ok(fs.lstatSync(path.join(d, 'top')).isCharacterDevice());
    assert.equal(lgetxattr(path.join(d, 'var/cache'), 'trusted.overlay.opaque')?.toString(), 'y');
    assert.equal(fs.readFileSync(path.join(d, 'var/cache/new'), 'utf8'), 'n');
    assert.deepEqual(fs.readdirSync(d).sort(), ['etc', 'top', 'var'], 'no .wh. names are left');
    assert.deepEqual(fs.readdirSync(path.join(d, 'etc')), ['passwd']);
  });

  it('lets later entries replace earlier ones', async () => {
    const d = await unpack(await makeTar([
      { name: 'd/', type: 'directory', mode: 0o700 },
      { name: 'd/keep', body: 'k' },
      { name: 'd/', type: 'directory', mode: 0o755 },
      { name: 'f', body: 'first' },
      { name: 'f', body: 'second' },
      { name: 'x/', type: 'directory' },
      { name: 'x/inner', body: 'i' },
      { name: 'x', body: 'now a file' },
      { name: 'y', body: 'was a file' },
      { name: 'y/', type: 'directory' },
      { name: 'l', type: 'symlink', linkname: 'f' },
      { name: 'l', body: 'not a link' },
      { name: 'gone', body: 'g' },
      { name: '.wh.gone', body: '' },
    ]));
    assert.equal(fs.readFileSync(path.join(d, 'd/keep'), 'utf8'), 'k', 'dir over dir keeps its contents');
    assert.equal(fs.statSync(path.join(d, 'd')).mode & 0o777, 0o755);
    assert.equal(fs.readFileSync(path.join(d, 'f'), 'utf8'), 'second');
    assert.equal(fs.readFileSync(path.join(d, 'x'), 'utf8'), 'now a file');
    assert.ok(fs.lstatSync(path.join(d, 'y')).isDirectory());
    assert.ok(fs.lstatSync(path.join(d, 'l')).isFile());
    assert.equal(fs.readFileSync(path.join(d, 'f'), 'utf8'), 'second', 'writing over a symlink does not write through it');
    assert.ok(fs.lstatSync(path.join(d, 'gone')).isCharacterDevice());
  });

  it('creates missing parents and applies a root entry to the layer root', async () => {
    const d = await unpack(await makeTar([
      { name: './', type: 'directory', mode: 0o711, mtime: T2 },
      { name: 'deep/er/file', body: 'x' },
    ]));
    assert.equal(fs.statSync(path.join(d, 'deep/er')).mode & 0o777, 0o755);
    assert.equal(fs.statSync(d).mode & 0o777, 0o711);
    assert.equal(fs.statSync(d).mtime.getTime(), T2.getTime());
  });

  it('returns the diffID and size of the uncompressed stream, trailing bytes included', async () => {
    // GNU tar pads archives to 10 KiB with zeros; they are part of the diffID.
    const tar = Buffer.concat([await makeTar([{ name: 'a', body: 'a' }]), Buffer.alloc(8192)]);
    const dir = path.join(base, 'digest');
    fs.mkdirSync(dir);
    const r = await unpackLayer(Readable.from([tar]), dir);
    assert.equal(r.size, tar.length);
    assert.equal(r.diffId, sha256(tar));
    assert.equal(r.compression, 'none');
    assert.equal(r.stats.entries, 1);
  });
});
