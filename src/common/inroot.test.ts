import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { existsInRoot, InRootError, isMissing, mkdirInRoot, openFileInRoot, readFileInRoot, readTextInRoot, resolveInRoot, setKernelResolve, usesKernelResolve } from './inroot.js';
import { mknod, S_IFCHR } from './libc.js';

const MAX = 1 << 20;

function rejectsWith(code: string, message?: string) {
  return (e: unknown) => {
    assert.ok(e instanceof InRootError, `expected an InRootError, got ${String(e)}`);
    assert.equal(e.code, code);
    if (message !== undefined) assert.equal(e.message, message);
    return true;
  };
}

describe('inroot', () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-inroot-'));
  const root = path.join(base, 'root');
  // a "host" file outside the root, at a path that also exists inside it
  const hostDir = path.join(base, 'host');
  const hostFile = path.join(hostDir, 'passwd');

  before(() => {
    fs.mkdirSync(hostDir);
    fs.writeFileSync(hostFile, 'root:x:4242:4242::/root:/bin/sh\n');
    fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
    fs.writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    fs.writeFileSync(path.join(hostDir, 'shadow'), 'host secret\n');
    fs.symlinkSync(path.join(hostDir, 'shadow'), path.join(root, 'etc/abs-host')); // absolute, to a host path missing in the root
    fs.symlinkSync('../'.repeat(20) + hostFile.slice(1), path.join(root, 'etc/rel-host')); // ../ far past the top
    fs.symlinkSync('/etc/passwd', path.join(root, 'etc/abs-inside')); // absolute, meaning the root's own
    fs.symlinkSync('passwd', path.join(root, 'etc/rel-inside'));
    fs.symlinkSync('loop-b', path.join(root, 'etc/loop-a'));
    fs.symlinkSync('loop-a', path.join(root, 'etc/loop-b'));
    fs.symlinkSync('/nowhere/at/all', path.join(root, 'etc/dangling'));
    fs.symlinkSync(hostDir, path.join(root, 'hostdir')); // a directory link out of the root
    fs.mkdirSync(path.join(root, path.dirname(hostFile)), { recursive: true });
    fs.writeFileSync(path.join(root, hostFile), 'inside the root\n'); // what /<hostFile> means in the root
    execFileSync('mkfifo', [path.join(root, 'etc/fifo')]);
    fs.symlinkSync('/etc/fifo', path.join(root, 'etc/to-fifo'));
    fs.writeFileSync(path.join(root, 'big'), Buffer.alloc(MAX + 1, 0x61));
    fs.writeFileSync(path.join(root, 'exact'), Buffer.alloc(MAX, 0x61));
    if (process.getuid?.() === 0) mknod(path.join(root, 'etc/null'), S_IFCHR | 0o666, 1, 3);
  });
  after(() => {
    setKernelResolve(undefined);
    fs.rmSync(base, { recursive: true, force: true });
  });

  it('uses openat2 on this kernel', () => {
    setKernelResolve(undefined);
    assert.equal(usesKernelResolve(), true);
  });

  for (const kernel of [true, false]) {
    describe(kernel ? 'openat2(RESOLVE_IN_ROOT)' : 'user-space fallback', () => {
      before(() => setKernelResolve(kernel));

      it('reads a regular file, the path absolute or relative to the root', async () => {
        assert.equal((await readFileInRoot(root, '/etc/passwd', { maxBytes: MAX })).toString(), 'root:x:0:0:root:/root:/bin/sh\n');
        assert.equal((await readFileInRoot(root, 'etc/passwd', { maxBytes: MAX })).toString(), 'root:x:0:0:root:/root:/bin/sh\n');
      });

      it('evaluates an absolute link inside the root: never the host file', async () => {
        await assert.rejects(readFileInRoot(root, '/etc/abs-host', { maxBytes: MAX }), rejectsWith('ENOENT', '/etc/abs-host: no such file or directory'));
        assert.equal((await readFileInRoot(root, '/etc/abs-inside', { maxBytes: MAX })).toString(), 'root:x:0:0:root:/root:/bin/sh\n');
      });

      it('keeps ../ past the top at the root, in a link target and in the path asked for', async () => {
        assert.equal((await readFileInRoot(root, '/etc/rel-host', { maxBytes: MAX })).toString(), 'inside the root\n');
        assert.equal((await readFileInRoot(root, '../../../../etc/passwd', { maxBytes: MAX })).toString(), 'root:x:0:0:root:/root:/bin/sh\n');
        assert.equal((await readFileInRoot(root, 'hostdir/passwd', { maxBytes: MAX })).toString(), 'inside the root\n');
      });

      it('follows a relative link inside the root', async () => {
        assert.equal(await readTextInRoot(root, '/etc/rel-inside', { maxBytes: MAX }), 'root:x:0:0:root:/root:/bin/sh\n');
      });

      it('refuses a symlink loop with ELOOP', async () => {
        await assert.rejects(readFileInRoot(root, '/etc/loop-a', { maxBytes: MAX }), rejectsWith('ELOOP', '/etc/loop-a: too many levels of symbolic links'));
      });

      it('treats a dangling link as missing', async () => {
        await assert.rejects(readFileInRoot(root, '/etc/dangling', { maxBytes: MAX }), (e) => isMissing(e));
        assert.equal(await readTextInRoot(root, '/etc/dangling', { maxBytes: MAX }), undefined);
        assert.equal(await readTextInRoot(root, '/etc/passwd/below-a-file', { maxBytes: MAX }), undefined);
        assert.equal(existsInRoot(root, '/etc/dangling'), false);
        assert.equal(existsInRoot(root, '/etc/dangling', { followLast: false }), true);
      });

      it('refuses a FIFO without blocking, directly and through a link', async () => {
        await assert.rejects(readFileInRoot(root, '/etc/fifo', { maxBytes: MAX }), rejectsWith('ENOTREG', '/etc/fifo: not a regular file (fifo)'));
        await assert.rejects(readTextInRoot(root, '/etc/to-fifo', { maxBytes: MAX }), rejectsWith('ENOTREG', '/etc/to-fifo: not a regular file (fifo)'));
      });

      it('refuses a directory and a device', async (t) => {
        await assert.rejects(readFileInRoot(root, '/etc', { maxBytes: MAX }), rejectsWith('ENOTREG', '/etc: not a regular file (directory)'));
        if (process.getuid?.() !== 0) return t.skip('mknod needs root');
        await assert.rejects(readFileInRoot(root, '/etc/null', { maxBytes: MAX }), rejectsWith('ENOTREG', '/etc/null: not a regular file (character device)'));
      });

      it('refuses a link as last component when asked not to follow it', async () => {
        await assert.rejects(readFileInRoot(root, '/etc/rel-inside', { maxBytes: MAX, followLast: false }), rejectsWith('ENOTREG', '/etc/rel-inside: not a regular file (symbolic link)'));
      });

      it('bounds the size', async () => {
        await assert.rejects(readFileInRoot(root, '/big', { maxBytes: MAX }), rejectsWith('EFBIG', '/big: larger than 1 MiB'));
        assert.equal((await readFileInRoot(root, '/exact', { maxBytes: MAX })).length, MAX);
      });

      it('returns an fd of the regular file found', () => {
        const { fd, stat } = openFileInRoot(root, '/etc/rel-host');
        try {
          assert.equal(stat.size, 'inside the root\n'.length);
          assert.equal(fs.readFileSync(fd, 'utf8'), 'inside the root\n');
        } finally {
          fs.closeSync(fd);
        }
      });
    });
  }

  describe('resolveInRoot / mkdirInRoot', () => {
    it('resolves links as if the root were /', () => {
      assert.equal(resolveInRoot(root, '/etc/abs-host'), path.join(root, hostDir, 'shadow'));
      assert.equal(resolveInRoot(root, '/etc/rel-host'), path.join(root, hostFile));
      assert.equal(resolveInRoot(root, '/etc/rel-inside'), path.join(root, 'etc/passwd'));
      assert.equal(resolveInRoot(root, '/etc/rel-inside', false), path.join(root, 'etc/rel-inside'));
      assert.equal(resolveInRoot(root, '../../x/../etc/dangling'), path.join(root, 'nowhere/at/all'));
      assert.throws(() => resolveInRoot(root, '/etc/loop-a/x'), rejectsWith('ELOOP'));
    });

    it('creates directories inside the root through a link to a host directory', () => {
      const created: string[] = [];
      const host = mkdirInRoot(root, '/hostdir/new/deeper', { uid: 0, gid: 0 }, created);
      assert.equal(host, path.join(root, hostDir, 'new/deeper'));
      assert.ok(fs.statSync(host).isDirectory());
      assert.equal(fs.existsSync(path.join(hostDir, 'new')), false, 'nothing is made on the host');
      // (the paths made, as they are in the root: a later removal does not go through the link)
      assert.deepEqual(created, [`${hostDir}/new`, `${hostDir}/new/deeper`]);
      assert.throws(() => mkdirInRoot(root, '/etc/passwd/x'), rejectsWith('ENOTDIR', '/etc/passwd: not a directory'));
      // a link to a deep path that does not exist in the root: all of it is made there
      fs.symlinkSync('/srv/app/data', path.join(root, 'w'));
      const made: string[] = [];
      assert.equal(mkdirInRoot(root, '/w/new', { uid: 0, gid: 0 }, made), path.join(root, 'srv/app/data/new'));
      assert.deepEqual(made, ['/srv', '/srv/app', '/srv/app/data', '/srv/app/data/new']);
    });
  });
});
