import { after, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lgetxattr, lsetxattr, makedev, mknod, mount, pageSize, S_IFCHR, SyscallError, umount2 } from './libc.js';

describe('libc', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-libc-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('computes dev_t as glibc does', () => {
    assert.equal(makedev(1, 3), 0x103n);
    assert.equal(makedev(0, 0), 0n);
    assert.equal(makedev(259, 70000), 0x11110370n);
  });

  it('reports failures with errno, code, syscall and path', () => {
    const p = path.join(dir, 'missing/x');
    assert.throws(() => mknod(p, S_IFCHR), (e: unknown) => {
      assert.ok(e instanceof SyscallError);
      assert.equal(e.code, 'ENOENT');
      assert.equal(e.errno, 2);
      assert.equal(e.syscall, 'mknod');
      assert.equal(e.message, `mknod "${p}": ENOENT (No such file or directory)`);
      return true;
    });
    assert.throws(() => umount2(dir), /umount2 ".*": (EINVAL|EPERM) /);
  });

  it('knows the page size', () => {
    assert.ok(pageSize() >= 4096);
  });

  it('makes whiteouts and sets/gets xattrs without following symlinks', { skip: process.getuid?.() === 0 ? false : 'needs root' }, () => {
    const wo = path.join(dir, 'wo');
    mknod(wo, S_IFCHR, 0, 0);
    const st = fs.lstatSync(wo);
    assert.ok(st.isCharacterDevice());
    assert.equal(st.rdev, 0);
    const f = path.join(dir, 'f');
    fs.writeFileSync(f, '');
    const bytes = Buffer.from([0, 0xff, 0x80, 1]);
    lsetxattr(f, 'trusted.berth.test', bytes);
    assert.deepEqual(lgetxattr(f, 'trusted.berth.test'), bytes);
    assert.equal(lgetxattr(f, 'trusted.berth.absent'), undefined);
    const link = path.join(dir, 'link');
    fs.symlinkSync(f, link);
    lsetxattr(link, 'trusted.berth.onlink', 'x');
    assert.equal(lgetxattr(f, 'trusted.berth.onlink'), undefined, 'the symlink target was not touched');
    assert.throws(() => mount('none', path.join(dir, 'nope'), 'tmpfs', 0, null), /mount ".*nope": ENOENT/);
  });
});
