import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boundingCaps, deviceAt, groupId } from './honour.js';

test('--group-add: numbers, and names from the container\'s /etc/group', () => {
  const group = 'root:x:0:\nstaff:x:50:\nnogroup:x:65534:\n';
  assert.equal(groupId('1234', group), 1234);
  assert.equal(groupId('staff', group), 50);
  assert.throws(() => groupId('nosuch', group), /Unable to find group nosuch: no matching entries in group file/);
});

test('--privileged gets the capabilities in berthd\'s bounding set', () => {
  assert.equal(boundingCaps('CapBnd:\t000001ffffffffff\n').length, 41);
  const caps = boundingCaps('CapBnd:\t000001fffeffffff\n');
  assert.equal(caps.length, 40);
  assert.ok(!caps.includes('CAP_SYS_RESOURCE'));
  assert.deepEqual(boundingCaps('CapBnd:\t0000000000000003\n'), ['CAP_CHOWN', 'CAP_DAC_OVERRIDE']);
});

test('--device reads the node on the host', () => {
  assert.deepEqual({ ...deviceAt('/dev/null', '/dev/mynull', 'rw'), fileMode: 0, uid: 0, gid: 0 }, { path: '/dev/mynull', type: 'c', major: 1, minor: 3, fileMode: 0, uid: 0, gid: 0, access: 'rw' });
  assert.throws(() => deviceAt('/dev/nonexistent-x', '/dev/x', 'rwm'), /error gathering device information while adding custom device "\/dev\/nonexistent-x": no such file or directory/);
  assert.throws(() => deviceAt('/etc/hostname', '/dev/x', 'rwm'), /not a device node/);
});
