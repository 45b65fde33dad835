import { after, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import Database from 'better-sqlite3';
import { snapshotterConformance } from '../testsuite.js';
import { makeTar } from '../testtar.js';
import { OverlaySnapshotter } from './snapshotter.js';
import { readTextInRoot } from '../../common/inroot.js';
import { mountAll, relativeOptions } from './mount.js';

const isRoot = process.getuid?.() === 0;
const skip = isRoot ? false : 'needs root (lchown, mknod, trusted.* xattrs)';

describe('OverlaySnapshotter', { skip }, () => {
  snapshotterConformance('overlay', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-snap-'));
    const db = new Database(':memory:');
    return {
      snapshotter: new OverlaySnapshotter({ root: path.join(dir, 'snapshots'), db, durable: false }),
      cleanup: async () => {
        db.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  });

  describe('overlay specifics', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-snap-'));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('describes overlay mounts with the newest lowerdir first', async () => {
      const root = path.join(dir, 'm');
      const db = new Database(':memory:');
      try {
        const s = new OverlaySnapshotter({ root, db });
        const l1 = await s.applyLayer(null, Readable.from([await makeTar([{ name: 'a', body: '1' }])]));
        const l2 = await s.applyLayer(l1.chainId, Readable.from([await makeTar([{ name: 'b', body: '2' }])]));
        assert.deepEqual(await s.mounts(l1.chainId), [{ type: 'bind', source: `${root}/1/fs`, options: ['ro', 'rbind'] }]);
        assert.deepEqual(await s.mounts(l2.chainId), [{ type: 'overlay', source: 'overlay', options: ['ro', `lowerdir=${root}/2/fs:${root}/1/fs`] }]);
        assert.deepEqual(await s.prepare('c', l2.chainId), [{
          type: 'overlay',
          source: 'overlay',
          options: [`workdir=${root}/3/work`, `upperdir=${root}/3/fs`, `lowerdir=${root}/2/fs:${root}/1/fs`],
        }]);
        assert.deepEqual(await s.prepare('scratch', null), [{ type: 'bind', source: `${root}/4/fs`, options: ['rw', 'rbind'] }]);
      } finally {
        db.close();
      }
    });

    it('removes the leftovers of a crash when it starts', async () => {
      const root = path.join(dir, 'crash');
      const db = new Database(':memory:');
      try {
        const s = new OverlaySnapshotter({ root, db });
        const l1 = await s.applyLayer(null, Readable.from([await makeTar([{ name: 'a', body: '1' }])]));
        // What a crash can leave: a half-unpacked layer, a directory whose row
        // never committed, a removal that did not finish.
        fs.mkdirSync(path.join(root, 'extracting-deadbeef/fs/usr'), { recursive: true });
        fs.mkdirSync(path.join(root, '77/fs'), { recursive: true });
        fs.mkdirSync(path.join(root, 'removing-5-abcd/fs'), { recursive: true });
        new OverlaySnapshotter({ root, db });
        assert.deepEqual(fs.readdirSync(root), ['1']);
        assert.equal(await s.exists(l1.chainId), true);
        assert.equal(await readTextInRoot(path.join(root, '1/fs'), 'a', { maxBytes: 16 }), '1');
      } finally {
        db.close();
      }
    });

    it('keeps its tables in the shared database under the snapshot_ prefix', () => {
      const db = new Database(':memory:');
      try {
        new OverlaySnapshotter({ root: path.join(dir, 't'), db });
        const names = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[];
        assert.ok(names.length > 0 && names.every((n) => n.name.startsWith('snapshot_')));
      } finally {
        db.close();
      }
    });

    it('refuses a root that overlay options could not carry', () => {
      const db = new Database(':memory:');
      try {
        assert.throws(() => new OverlaySnapshotter({ root: '/tmp/a:b', db }), /must be an absolute path/);
        assert.throws(() => new OverlaySnapshotter({ root: 'relative', db }), /must be an absolute path/);
      } finally {
        db.close();
      }
    });
  });
});

describe('mountAll', { skip }, () => {
  it('refuses a layer chain too long even for relative paths, before mounting anything', () => {
    const lowers = Array.from({ length: 1000 }, (_, i) => `/s/${100000 + i}/fs`).join(':');
    assert.throws(
      () => mountAll([{ type: 'overlay', source: 'overlay', options: [`lowerdir=${lowers}`] }], '/nonexistent'),
      /overlay on \/nonexistent: 1000 lower layers need \d+ bytes of mount options even as relative paths, more than the 4095 a page allows/,
    );
  });
});

describe('relativeOptions', () => {
  it('rewrites overlay directories relative to their common parent', () => {
    const r = relativeOptions(['workdir=/s/3/work', 'upperdir=/s/3/fs', 'lowerdir=/s/2/fs:/s/1/fs', 'index=off']);
    assert.deepEqual(r, { cwd: '/s', options: ['workdir=3/work', 'upperdir=3/fs', 'lowerdir=2/fs:1/fs', 'index=off'] });
  });
  it('falls back to / when the directories share nothing', () => {
    const r = relativeOptions(['lowerdir=/a/x:/b/y']);
    assert.deepEqual(r, { cwd: '/', options: ['lowerdir=a/x:b/y'] });
  });
});
