// A three-layer image through the real kernel: unpack, prepare a writable
// snapshot, mount overlayfs, and check the merged view. Needs root and
// overlayfs; everything mounted or created is undone even when a check fails.
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import Database from 'better-sqlite3';
import { gzip, makeTar } from '../testtar.js';
import { mountAll, unmount } from './mount.js';
import { OverlaySnapshotter } from './snapshotter.js';
import { readTextInRoot } from '../../common/inroot.js';

function whyNot(): string | false {
  if (process.getuid?.() !== 0) return 'needs root to mount';
  if (!/\toverlay$/m.test(fs.readFileSync('/proc/filesystems', 'utf8'))) return 'kernel has no overlayfs';
  return false;
}

describe('overlay integration', { skip: whyNot() }, () => {
  let base: string;
  let db: Database.Database;
  let s: OverlaySnapshotter;
  const mounted: string[] = [];

  before(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-overlay-it-'));
    db = new Database(':memory:');
    s = new OverlaySnapshotter({ root: path.join(base, 'snapshots'), db });
  });

  after(() => {
    for (const m of mounted.reverse()) unmount(m, { detach: true });
    db.close();
    fs.rmSync(base, { recursive: true, force: true });
  });

  function mountPoint(name: string): string {
    const p = path.join(base, name);
    fs.mkdirSync(p);
    return p;
  }

  it('shows a 3-layer image with deletions and an opaque directory applied', async () => {
    const l1 = await s.applyLayer(null, Readable.from([gzip(await makeTar([
      { name: 'etc/', type: 'directory' },
      { name: 'etc/passwd', body: 'root:x:0:0\n' },
      { name: 'etc/shadow', body: 'secret\n', mode: 0o600 },
      { name: 'var/', type: 'directory' },
      { name: 'var/cache/', type: 'directory' },
      { name: 'var/cache/old1', body: 'o1' },
      { name: 'var/cache/sub/old2', body: 'o2' },
      { name: 'bin/', type: 'directory' },
      { name: 'bin/sh', body: '#!/bin/busybox\n', mode: 0o755 },
      { name: 'bin/ash', type: 'symlink', linkname: 'sh' },
    ]))]));
    const l2 = await s.applyLayer(l1.chainId, Readable.from([await makeTar([
      { name: 'etc/', type: 'directory' },
      { name: 'etc/.wh.shadow', body: '' },
      { name: 'var/cache/', type: 'directory' },
      { name: 'var/cache/.wh..wh..opq', body: '' },
      { name: 'var/cache/fresh', body: 'f' },
    ])]));
    const l3 = await s.applyLayer(l2.chainId, Readable.from([await makeTar([
      { name: 'app/', type: 'directory' },
      { name: 'app/main.js', body: 'console.log(1)\n' },
      { name: 'etc/', type: 'directory' },
      { name: 'etc/hostname', body: 'berth\n' },
    ])]));

    // The image itself, read-only.
    const image = mountPoint('image');
    mountAll(await s.mounts(l3.chainId), image);
    mounted.push(image);
    assert.deepEqual(fs.readdirSync(path.join(image, 'etc')).sort(), ['hostname', 'passwd']);
    assert.throws(() => fs.writeFileSync(path.join(image, 'x'), 'x'), /EROFS/);

    // A container's writable view.
    const rootfs = mountPoint('rootfs');
    mountAll(await s.prepare('ctr-1', l3.chainId), rootfs);
    mounted.push(rootfs);
    const ls = (p: string) => fs.readdirSync(path.join(rootfs, p)).sort();
    assert.deepEqual(ls('.'), ['app', 'bin', 'etc', 'var']);
    assert.deepEqual(ls('etc'), ['hostname', 'passwd'], 'shadow is whited out');
    assert.deepEqual(ls('var/cache'), ['fresh'], 'the opaque dir hides layer 1 contents');
    assert.equal(await readTextInRoot(rootfs, 'etc/passwd', { maxBytes: 1024 }), 'root:x:0:0\n');
    assert.equal(await readTextInRoot(rootfs, 'app/main.js', { maxBytes: 1024 }), 'console.log(1)\n');
    assert.equal(fs.readlinkSync(path.join(rootfs, 'bin/ash')), 'sh');

    // Writes land in the container's own upperdir, never in the shared layers.
    fs.writeFileSync(path.join(rootfs, 'etc/passwd'), 'changed\n');
    fs.rmSync(path.join(rootfs, 'bin/sh'));
    assert.equal(fs.readFileSync(path.join(image, 'etc/passwd'), 'utf8'), 'root:x:0:0\n');
    assert.ok(fs.existsSync(path.join(image, 'bin/sh')));
    assert.ok((await s.usage('ctr-1')) > 0);

    unmount(rootfs);
    mounted.splice(mounted.indexOf(rootfs), 1);
    unmount(rootfs); // a second unmount is a no-op
    await s.remove('ctr-1');
    unmount(image);
    mounted.splice(mounted.indexOf(image), 1);
  });

  it('mounts a chain whose lowerdir list is longer than a page', async () => {
    let parent = null as Awaited<ReturnType<typeof s.applyLayer>>['chainId'] | null;
    // 150 layers × ~40 bytes of absolute path > 4096; the relative form fits.
    for (let i = 0; i < 150; i++) {
      parent = (await s.applyLayer(parent, Readable.from([await makeTar([{ name: `f${i}`, body: String(i) }])]))).chainId;
    }
    const mounts = await s.prepare('long', parent);
    assert.ok(mounts[0]!.options.join(',').length > 4096);
    const target = mountPoint('long');
    const cwd = process.cwd();
    mountAll(mounts, target);
    mounted.push(target);
    assert.equal(fs.readdirSync(target).length, 150);
    assert.equal(fs.readFileSync(path.join(target, 'f0'), 'utf8'), '0');
    assert.equal(process.cwd(), cwd, 'cwd restored');
    unmount(target);
    mounted.splice(mounted.indexOf(target), 1);
  });
});
