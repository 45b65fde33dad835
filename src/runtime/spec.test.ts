import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateSpec, DEFAULT_CAPABILITIES, type SpecOptions } from './spec.js';
import { BASE_SPEC } from './testdata/spec-base.js';
import { resolveUser } from './user.js';
import { parseRecord } from './logs.js';
import { runcMessage, startFailureCode } from './monitor.js';

const base: SpecOptions = BASE_SPEC;

describe('generateSpec', () => {
  it('has docker defaults', () => {
    const s = generateSpec(base);
    assert.deepEqual(s.process.capabilities.bounding, DEFAULT_CAPABILITIES);
    assert.equal(s.process.noNewPrivileges, false, 'as docker: setuid programs (sudo) work unless --security-opt no-new-privileges');
    assert.equal(generateSpec({ ...base, noNewPrivileges: true }).process.noNewPrivileges, true);
    assert.equal(s.process.cwd, '/');
    assert.equal(s.linux.cgroupsPath, '/berth/abc');
    assert.deepEqual(s.linux.namespaces.map((n) => n.type).sort(), ['ipc', 'mount', 'network', 'pid', 'uts']);
    assert.equal(s.linux.namespaces.find((n) => n.type === 'network')!.path, '/run/netns/berth-abc');
    assert.ok(s.linux.maskedPaths.includes('/proc/kcore'));
    assert.ok(s.linux.readonlyPaths.includes('/proc/sys'));
    for (const d of ['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys', '/sys/fs/cgroup']) assert.ok(s.mounts.some((m) => m.destination === d), d);
    assert.ok(s.mounts.find((m) => m.destination === '/sys')!.options.includes('ro'));
    assert.equal(s.root.readonly, false);
    assert.equal(s.linux.resources.memory, undefined);
  });

  it('has the default seccomp allow-list, with the container capabilities lifting rules', () => {
    const platform = { arch: 'amd64', kernel: [6, 1] as [number, number] };
    const allowed = (s: ReturnType<typeof generateSpec>) => s.linux.seccomp!.syscalls!.filter((r) => r.action === 'SCMP_ACT_ALLOW' && !r.args).flatMap((r) => r.names);
    const plain = generateSpec({ ...base, platform });
    assert.equal(plain.linux.seccomp!.defaultAction, 'SCMP_ACT_ERRNO');
    assert.ok(allowed(plain).includes('read'));
    assert.ok(!allowed(plain).includes('unshare'));
    assert.ok(!allowed(plain).includes('kexec_load'));
    assert.ok(allowed(generateSpec({ ...base, platform, capAdd: ['SYS_ADMIN'] })).includes('unshare'));
    assert.ok(!allowed(generateSpec({ ...base, platform, capDrop: ['SYS_CHROOT'] })).includes('chroot'), 'the filter follows --cap-drop too');
    assert.equal(generateSpec({ ...base, seccomp: { mode: 'unconfined' } }).linux.seccomp, undefined);
  });

  it('host network shares the namespace', () => {
    const s = generateSpec({ ...base, network: { mode: 'host' } });
    assert.equal(s.linux.namespaces.some((n) => n.type === 'network'), false);
  });

  it('maps limits, binds, tmpfs, read-only and init', () => {
    const s = generateSpec({
      ...base,
      memory: 32 << 20,
      nanoCpus: 5e8,
      pidsLimit: 50,
      readonlyRootfs: true,
      binds: [{ source: '/host/d', destination: '/data', readonly: true }],
      tmpfs: [{ destination: '/run', options: 'exec,size=1m' }],
      init: '/usr/bin/tini-static',
    });
    assert.deepEqual(s.linux.resources.memory, { limit: 32 << 20, swap: 64 << 20 });
    assert.deepEqual(s.linux.resources.cpu, { quota: 50000, period: 100000 });
    assert.deepEqual(s.linux.resources.pids, { limit: 50 });
    assert.equal(s.root.readonly, true);
    assert.deepEqual(s.mounts.find((m) => m.destination === '/data'), { destination: '/data', type: 'bind', source: '/host/d', options: ['rbind', 'rprivate', 'ro'] });
    assert.deepEqual(s.mounts.find((m) => m.destination === '/run')!.options, ['nosuid', 'nodev', 'size=1m']);
    assert.deepEqual(s.process.args, ['/sbin/docker-init', '--', 'sh']);
    assert.equal(s.mounts.find((m) => m.destination === '/sbin/docker-init')!.source, '/usr/bin/tini-static');
  });

  it('cap-add and cap-drop', () => {
    const s = generateSpec({ ...base, capAdd: ['NET_ADMIN'], capDrop: ['chown'] });
    assert.ok(s.process.capabilities.effective.includes('CAP_NET_ADMIN'));
    assert.ok(!s.process.capabilities.effective.includes('CAP_CHOWN'));
  });
});

describe('resolveUser', () => {
  const passwd = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\napp:x:1000:1000::/home/app:/bin/sh\n';
  const group = 'root:x:0:\nnogroup:x:65534:\napp:x:1000:\nwheel:x:10:app\n';
  it('resolves names and numbers', () => {
    assert.deepEqual(resolveUser('', passwd, group), { uid: 0, gid: 0, additionalGids: [], home: '/root' });
    assert.deepEqual(resolveUser('app', passwd, group), { uid: 1000, gid: 1000, additionalGids: [10], home: '/home/app' });
    assert.deepEqual(resolveUser('nobody:app', passwd, group), { uid: 65534, gid: 1000, additionalGids: [], home: '/nonexistent' });
    assert.deepEqual(resolveUser('1234', passwd, group), { uid: 1234, gid: 0, additionalGids: [], home: '/' });
    assert.deepEqual(resolveUser('1234:55', passwd, group), { uid: 1234, gid: 55, additionalGids: [], home: '/' });
  });
  it('refuses unknown names', () => {
    assert.throws(() => resolveUser('bob', passwd, group), /unable to find user bob/);
    assert.throws(() => resolveUser('root:nogrp', passwd, group), /unable to find group nogrp/);
  });
});

describe('conmon formats', () => {
  it('parses k8s-file records', () => {
    assert.deepEqual(parseRecord('2024-01-02T03:04:05.123456789+00:00 stdout F hello'), { stream: 'stdout', time: '2024-01-02T03:04:05.123456789Z', data: 'hello\n' });
    assert.deepEqual(parseRecord('2024-01-02T03:04:05.1+00:00 stderr P part'), { stream: 'stderr', time: '2024-01-02T03:04:05.1Z', data: 'part' });
    assert.equal(parseRecord('garbage'), undefined);
  });
  it('maps runc failures to docker exit codes', () => {
    const m = runcMessage('time="x" level=error msg="runc create failed: unable to start container process: exec: \\"nope\\": executable file not found in $PATH"');
    assert.equal(m, 'OCI runtime create failed: runc create failed: unable to start container process: exec: "nope": executable file not found in $PATH: unknown');
    assert.equal(startFailureCode(m), 127);
    assert.equal(startFailureCode('exec: "/etc": permission denied'), 126);
    assert.equal(startFailureCode('something else'), 125);
  });
});
