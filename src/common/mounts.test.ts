import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mountsUnder, parseMountinfo } from './mounts.js';

const INFO = [
  '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
  '40 22 0:40 / /var/lib/berth rw shared:20 - ext4 /dev/sdb1 rw',
  '41 40 0:41 / /var/lib/berth/build/tmp/b-1/build-a rw - overlay overlay rw,lowerdir=/x',
  '42 41 0:42 / /var/lib/berth/build/tmp/b-1/build-a/proc rw - proc proc rw',
  '43 40 0:43 / /var/lib/berth/build/tmp/b-1/view-b ro - overlay overlay ro,lowerdir=/y',
  '44 43 0:44 / /var/lib/berth/build/tmp/b-1/view-b ro - overlay overlay ro,lowerdir=/z',
  '45 40 0:45 / /var/lib/berth/build/tmp/b-1/with\\040space rw - tmpfs tmpfs rw',
  '46 22 0:46 / /var/lib/berth-other/build/tmp/x rw - tmpfs tmpfs rw',
].join('\n');

test('parseMountinfo: mount points unescaped, fs type and source after the separator', () => {
  const m = parseMountinfo(INFO);
  assert.equal(m.length, 8);
  assert.deepEqual(m[2], { id: 41, parent: 40, mountPoint: '/var/lib/berth/build/tmp/b-1/build-a', fsType: 'overlay', source: 'overlay' });
  assert.equal(m[6]!.mountPoint, '/var/lib/berth/build/tmp/b-1/with space');
});

test('mountsUnder: only on or inside the directory (not a sibling with the same prefix), deepest first, stacked mounts newest first', () => {
  const all = parseMountinfo(INFO);
  assert.deepEqual(
    mountsUnder('/var/lib/berth/build/tmp', all).map((m) => m.id),
    [42, 45, 44, 43, 41],
  );
  assert.deepEqual(mountsUnder('/var/lib/berth/build/tmp/b-1/build-a/', all).map((m) => m.id), [42, 41]);
  assert.deepEqual(mountsUnder('/var/lib/berth', all).map((m) => m.mountPoint.startsWith('/var/lib/berth-other')), [false, false, false, false, false, false]);
});
