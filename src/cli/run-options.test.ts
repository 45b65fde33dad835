import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createBody, ramInBytes, securityOpts, type RunFlags, parseDevice } from './run-options.js';

const flags = (f: Partial<RunFlags>): RunFlags => ({ env: [], publish: [], tmpfs: [], volume: [], logOpt: [], label: [], capAdd: [], capDrop: [], ...f });

describe('run flags → create body', () => {
  it('sizes as go-units RAMInBytes', () => {
    assert.equal(ramInBytes('32m'), 32 * 1024 * 1024);
    assert.equal(ramInBytes('1g'), 1024 ** 3);
    assert.equal(ramInBytes('512'), 512);
    assert.throws(() => ramInBytes('lots'));
  });
  it('maps limits, policies, ports and mounts', () => {
    const b = createBody('busybox', ['sh'], flags({
      memory: '64m', cpus: '0.5', pidsLimit: '50', restart: 'on-failure:3', readOnly: true, rm: true,
      publish: ['8800:80', '127.0.0.1:53:53/udp'], tmpfs: ['/run:size=1m'], volume: ['/h:/c:ro'], logOpt: ['max-size=1m'], env: ['A=1'], init: true,
    }));
    const h = b['HostConfig'] as Record<string, unknown>;
    assert.equal(h['Memory'], 64 << 20);
    assert.equal(h['NanoCpus'], 5e8);
    assert.equal(h['PidsLimit'], 50);
    assert.deepEqual(h['RestartPolicy'], { Name: 'on-failure', MaximumRetryCount: 3 });
    assert.deepEqual(h['PortBindings'], { '80/tcp': [{ HostIp: '', HostPort: '8800' }], '53/udp': [{ HostIp: '127.0.0.1', HostPort: '53' }] });
    assert.deepEqual(b['ExposedPorts'], { '80/tcp': {}, '53/udp': {} });
    assert.deepEqual(h['Tmpfs'], { '/run': 'size=1m' });
    assert.deepEqual(h['Binds'], ['/h:/c:ro']);
    assert.deepEqual(h['LogConfig'], { Type: '', Config: { 'max-size': '1m' } });
    assert.equal(h['AutoRemove'], true);
    assert.equal(h['ReadonlyRootfs'], true);
    assert.equal(h['Init'], true);
    assert.deepEqual(b['Env'], ['A=1']);
    assert.deepEqual(b['Cmd'], ['sh']);
    assert.equal(b['AttachStdout'], true);
  });
  it('--log-driver reaches LogConfig.Type for the daemon to judge', () => {
    assert.deepEqual((createBody('busybox', [], flags({ logDriver: 'syslog' })).HostConfig as Record<string, unknown>)['LogConfig'], { Type: 'syslog', Config: {} });
    assert.equal(((createBody('busybox', [], flags({})).HostConfig as Record<string, { Type: string }>)['LogConfig']!).Type, '');
  });
  it('refuses a retry count without on-failure', () => {
    assert.throws(() => createBody('busybox', [], flags({ restart: 'always:3' })), /maximum retry count/);
  });

it('the flags the daemon honours since issue 11 reach the create body; unset ones are the docker CLI defaults', () => {
  const b = createBody('busybox', ['sh'], flags({ privileged: true, device: ['/dev/fuse', '/dev/null:/dev/n:r'], sysctl: ['net.ipv4.ip_forward=1'], shmSize: '128m', pid: 'host', groupAdd: ['42'], oomScoreAdj: '-5', cpusetCpus: '0' })).HostConfig as Record<string, unknown>;
  assert.equal(b['Privileged'], true);
  assert.deepEqual(b['Devices'], [
    { PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' },
    { PathOnHost: '/dev/null', PathInContainer: '/dev/n', CgroupPermissions: 'r' },
  ]);
  assert.deepEqual(b['Sysctls'], { 'net.ipv4.ip_forward': '1' });
  assert.equal(b['ShmSize'], 128 << 20);
  assert.equal(b['PidMode'], 'host');
  assert.deepEqual(b['GroupAdd'], ['42']);
  assert.equal(b['OomScoreAdj'], -5);
  assert.equal(b['CpusetCpus'], '0');
  const plain = createBody('busybox', ['sh'], flags({})).HostConfig as Record<string, unknown>;
  assert.deepEqual([plain['Privileged'], plain['Devices'], plain['ShmSize'], plain['PidMode'], plain['GroupAdd'], plain['Sysctls']], [false, [], 0, '', null, undefined]);
  assert.throws(() => parseDevice('a:b:c:d'), /bad format for path/);
  assert.throws(() => createBody('busybox', [], flags({ oomScoreAdj: 'x' })), /--oom-score-adj/);
});
});

describe('--security-opt as the docker CLI sends it', () => {
  const files: Record<string, string> = { 'p.json': '{ "defaultAction" : "SCMP_ACT_ALLOW",\n  "syscalls": [ { "names": ["mkdir"], "action": "SCMP_ACT_ERRNO" } ] }\n', 'bad.json': '{"defaultAction": ' };
  const read = (p: string) => {
    if (p === '/tmp') throw Object.assign(new Error('EISDIR'), { code: 'EISDIR' });
    if (!(p in files)) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    return files[p]!;
  };
  it('sends a profile file\'s JSON content, compacted', () => {
    assert.deepEqual(securityOpts(['seccomp=p.json', 'seccomp:p.json', 'seccomp=unconfined', 'seccomp=builtin', 'no-new-privileges', 'label=disable'], read), [
      'seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO"}]}',
      'seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO"}]}',
      'seccomp=unconfined', 'seccomp=builtin', 'no-new-privileges', 'label=disable',
    ]);
  });
  it('refuses as the docker CLI does', () => {
    const refuses = (opt: string, msg: string) => assert.throws(() => securityOpts([opt], read), (e: Error) => (assert.equal(e.message, msg), true));
    refuses('seccomp', 'Invalid --security-opt: "seccomp"');
    refuses('seccomp=', 'Invalid --security-opt: "seccomp="');
    refuses('foo', 'Invalid --security-opt: "foo"');
    refuses('seccomp=nope.json', 'opening seccomp profile (nope.json) failed: open nope.json: no such file or directory');
    refuses('seccomp=/tmp', 'opening seccomp profile (/tmp) failed: read /tmp: is a directory');
    refuses('seccomp=bad.json', 'compacting json for seccomp profile (bad.json) failed: unexpected end of JSON input');
  });
});
