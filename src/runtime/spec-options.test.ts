// The HostConfig options honoured in the spec (issue 11, item 7): each shows up
// where runc applies it, and nothing changes when it is not given.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateSpec, ALL_CAPABILITIES, MASKED_PATHS, type SpecOptions } from './spec.js';
import { BASE_SPEC } from './testdata/spec-base.js';

const base: SpecOptions = BASE_SPEC;
const ns = (o: Partial<SpecOptions>) => generateSpec({ ...base, ...o }).linux.namespaces.map((n) => n.type).sort();
const shm = (o: Partial<SpecOptions>) => generateSpec({ ...base, ...o }).mounts.find((m) => m.destination === '/dev/shm');

describe('generateSpec: honoured HostConfig options', () => {
  it('--privileged: the given capabilities, no seccomp, no masked paths, /sys writable, every device allowed', () => {
    const s = generateSpec({ ...base, privileged: true, privilegedCaps: ALL_CAPABILITIES.slice(0, 5) });
    assert.deepEqual(s.process.capabilities.effective, ALL_CAPABILITIES.slice(0, 5));
    assert.equal(generateSpec({ ...base, privileged: true }).process.capabilities.bounding.length, 41);
    assert.equal(s.linux.seccomp, undefined);
    assert.deepEqual(s.linux.maskedPaths, []);
    assert.deepEqual(s.linux.readonlyPaths, []);
    assert.ok(!s.mounts.find((m) => m.destination === '/sys')!.options.includes('ro'));
    assert.deepEqual(s.linux.resources.devices, [{ allow: true, access: 'rwm' }]);
    assert.ok(generateSpec(base).linux.seccomp);
  });

  it('--device: a node and its cgroup rule', () => {
    const dev = { path: '/dev/fuse', type: 'c' as const, major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0, access: 'rw' };
    const s = generateSpec({ ...base, devices: [dev] });
    assert.deepEqual(s.linux.devices, [dev]);
    assert.deepEqual(s.linux.resources.devices.at(-1), { allow: true, type: 'c', major: 10, minor: 229, access: 'rw' });
    assert.equal(generateSpec(base).linux.devices, undefined);
  });

  it('--sysctl, --oom-score-adj, --cpuset-*, --memory-reservation, --memory-swappiness', () => {
    const s = generateSpec({ ...base, sysctls: { 'net.ipv4.ip_forward': '1' }, oomScoreAdj: 500, cpusetCpus: '1', cpusetMems: '0', memoryReservation: 10 << 20, memorySwappiness: 10 });
    assert.deepEqual(s.linux.sysctl, { 'net.ipv4.ip_forward': '1' });
    assert.equal(s.process.oomScoreAdj, 500);
    assert.deepEqual(s.linux.resources.cpu, { cpus: '1', mems: '0' });
    assert.deepEqual(s.linux.resources.memory, { reservation: 10 << 20, swappiness: 10 });
    const d = generateSpec(base);
    assert.equal(d.linux.sysctl, undefined);
    assert.equal(d.process.oomScoreAdj, undefined);
  });

  it('--shm-size, --ipc host and none', () => {
    assert.ok(shm({})!.options.includes('size=65536k'));
    assert.ok(shm({ shmSize: 128 << 20 })!.options.includes('size=131072k'));
    assert.ok(shm({ shmSize: 1000 })!.options.includes('size=1000'));
    assert.deepEqual(shm({ ipcMode: 'host' }), { destination: '/dev/shm', type: 'bind', source: '/dev/shm', options: ['rbind', 'rprivate', 'rw'] });
    assert.equal(shm({ ipcMode: 'none' }), undefined);
    assert.deepEqual(ns({ ipcMode: 'host' }), ['mount', 'network', 'pid', 'uts']);
  });

  it('--pid host, --uts host (no hostname then), --cgroupns private', () => {
    assert.deepEqual(ns({ pidHost: true }), ['ipc', 'mount', 'network', 'uts']);
    assert.deepEqual(ns({ utsHost: true }), ['ipc', 'mount', 'network', 'pid']);
    assert.equal(generateSpec({ ...base, utsHost: true }).hostname, '');
    assert.deepEqual(ns({ cgroupnsPrivate: true }), ['cgroup', 'ipc', 'mount', 'network', 'pid', 'uts']);
  });

  it('MaskedPaths and ReadonlyPaths from the API replace the defaults', () => {
    assert.deepEqual(generateSpec({ ...base, maskedPaths: ['/proc/x'], readonlyPaths: [] }).linux.maskedPaths, ['/proc/x']);
    assert.deepEqual(generateSpec({ ...base, maskedPaths: ['/proc/x'], readonlyPaths: [] }).linux.readonlyPaths, []);
    assert.deepEqual(generateSpec(base).linux.maskedPaths, MASKED_PATHS);
  });
});
