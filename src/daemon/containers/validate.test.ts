// The create body's field-by-field check: docker's own messages for what dockerd
// refuses (taken from dockerd 20.10 with the same bodies), a 400 naming the
// field for what berth does not act on, and the docker CLI's default body
// (captured between CLI 28 and berthd, testdata/) passing with nothing refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isUnset, parseCpuList, validateCreateBody, type HostFacts } from './validate.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const testdata = [path.join(here, 'testdata'), path.resolve(here, '../../../../src/daemon/containers/testdata')].find((d) => existsSync(d))!;
const load = (f: string) => JSON.parse(readFileSync(path.join(testdata, f), 'utf8')) as Record<string, unknown>;
const HOST: HostFacts = { cpus: [0, 1], mems: [0], runtime: 'runc' };

type Body = Record<string, unknown> & { HostConfig: Record<string, unknown> };
function withField(where: 'C' | 'H', k: string, v: unknown): Body {
  const b = load('docker-cli-28-plain-run.json') as Body;
  if (where === 'H') b.HostConfig[k] = v;
  else b[k] = v;
  return b;
}

function refused(where: 'C' | 'H', k: string, v: unknown, msg: string | RegExp): void {
  assert.throws(
    () => validateCreateBody(withField(where, k, v), HOST),
    (e: Error & { kind?: string }) => {
      assert.equal(e.kind, 'InvalidArgument', `${k}=${JSON.stringify(v)}: ${e.message}`);
      if (typeof msg === 'string') assert.equal(e.message, msg);
      else assert.match(e.message, msg);
      return true;
    },
    `${k}=${JSON.stringify(v)} should be refused`,
  );
}

test('the docker CLI 28 body for a plain `docker run busybox true`, and one with many flags, pass', () => {
  assert.deepEqual(validateCreateBody(load('docker-cli-28-plain-run.json'), HOST), []);
  assert.deepEqual(validateCreateBody(load('docker-cli-28-many-flags.json'), HOST), []);
  assert.deepEqual(validateCreateBody({ Image: 'busybox' }, HOST), []);
});

test("dockerd's 400s, in its words", () => {
  refused('H', 'Memory', -1, 'Minimum memory limit allowed is 6MB');
  refused('H', 'Memory', 1000, 'Minimum memory limit allowed is 6MB');
  refused('H', 'Memory', 1.5, 'json: cannot unmarshal number 1.5 into Go struct field HostConfig.HostConfig.Memory of type int64');
  refused('H', 'Memory', 1e23, 'json: cannot unmarshal number 1e+23 into Go struct field HostConfig.HostConfig.Memory of type int64');
  refused('H', 'Memory', 'x', 'json: cannot unmarshal string into Go struct field HostConfig.HostConfig.Memory of type int64');
  refused('H', 'Privileged', 1, 'json: cannot unmarshal number 1 into Go struct field HostConfig.HostConfig.Privileged of type bool');
  refused('C', 'Tty', 'x', 'json: cannot unmarshal string into Go struct field ContainerConfigWrapper.Tty of type bool');
  refused('C', 'WorkingDir', '../../x', "the working directory '../../x' is invalid, it needs to be an absolute path");
  refused('H', 'Binds', ['/tmp:/'], `invalid volume specification: '/tmp:/': invalid mount config for type "bind": invalid specification: destination can't be '/'`);
  refused('H', 'Binds', ['/tmp:rel'], `invalid volume specification: '/tmp:rel': invalid mount config for type "bind": invalid mount path: 'rel' mount path must be absolute`);
  refused('C', 'Image', '../../etc', 'invalid reference format');
  refused('H', 'MemorySwap', 1000000, 'You should always set the Memory limit when using Memoryswap limit, see usage');
  refused('H', 'NanoCpus', -1, 'Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available');
  refused('H', 'CpuQuota', 500, 'CPU cfs quota can not be less than 1ms (i.e. 1000)');
  refused('H', 'CpuPeriod', 500, 'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  refused('H', 'OomScoreAdj', 5000, 'Invalid value 5000, range for oom score adj is [-1000, 1000]');
  refused('H', 'ShmSize', -1, 'SHM size can not be less than 0');
  refused('H', 'MemorySwappiness', 200, 'Invalid value: 200, valid memory swappiness range is 0-100');
  refused('H', 'CpusetCpus', '99', 'Requested CPUs are not available - requested 99, available: 0-1');
  refused('H', 'CpusetCpus', 'x', 'Invalid value x for cpuset cpus: invalid format: x');
  refused('H', 'RestartPolicy', { Name: 'bogus' }, "invalid restart policy 'bogus'");
  refused('H', 'RestartPolicy', { Name: 'always', MaximumRetryCount: 3 }, "maximum retry count cannot be used with restart policy 'always'");
  refused('H', 'RestartPolicy', { Name: 'on-failure', MaximumRetryCount: -1 }, 'maximum retry count cannot be negative');
  refused('H', 'ExtraHosts', ['nope'], 'bad format for add-host: "nope"');
  refused('H', 'ExtraHosts', ['a:b'], 'invalid IP address in add-host: "b"');
  refused('H', 'CgroupnsMode', 'bogus', 'invalid cgroup namespace mode: bogus');
  refused('H', 'Runtime', 'foo', 'Unknown runtime specified foo');
  refused('H', 'LogConfig', { Type: 'foo', Config: {} }, 'error looking up logging plugin foo: plugin "foo" not found');
  refused('H', 'LogConfig', { Type: 'json-file', Config: { bogus: '1' } }, "unknown log opt 'bogus' for json-file log driver");
  refused('H', 'Isolation', 'foo', `Invalid isolation: "foo" - linux only supports 'default'`);
  refused('H', 'CapAdd', ['CAP_BOGUS'], 'invalid CapAdd: unknown capability: "CAP_BOGUS"');
  refused('H', 'CapDrop', ['BOGUS'], 'invalid CapDrop: unknown capability: "CAP_BOGUS"');
  refused('H', 'Tmpfs', { rel: '' }, "invalid mount path: 'rel' mount path must be absolute");
  refused('H', 'Tmpfs', { '/x': 'bogus=1' }, 'invalid tmpfs option ["bogus" "1"]');
  refused('H', 'SecurityOpt', ['foo=bar'], 'invalid --security-opt 2: "foo=bar"');
  refused('H', 'SecurityOpt', ['foo'], 'invalid --security-opt 1: "foo"');
  refused('C', 'StopSignal', 'SIGFOO', 'Invalid signal: SIGFOO');
  refused('C', 'Env', ['=x'], 'invalid environment variable: =x');
  refused('C', 'Healthcheck', { Test: ['CMD', 'true'], Interval: 100 }, 'Interval in Healthcheck cannot be less than 1ms');
  refused('H', 'ConsoleSize', [-1, 5], 'json: cannot unmarshal number -1 into Go struct field HostConfig.HostConfig.ConsoleSize of type uint');
  refused('H', 'KernelMemory', 5, 'Minimum kernel memory limit allowed is 6MB');
  refused('H', 'IOMaximumIOps', 5, 'Invalid QoS settings: linux does not support configuration of maximum IOPs');
  refused('H', 'StorageOpt', { size: '1G' }, "--storage-opt is supported only for overlay over xfs with 'pquota' mount option");
  refused('C', 'NetworkingConfig', { EndpointsConfig: { a: {}, b: {} } }, 'Container cannot be connected to network endpoints: a, b');
});

test('what dockerd lets through to fail at start is refused at create', () => {
  refused('H', 'CpuShares', -5, /CpuShares -5/);
  refused('H', 'PidsLimit', -5, /PidsLimit -5/);
  refused('H', 'Sysctls', { 'kernel.hostname': 'x' }, "sysctl 'kernel.hostname=x' is not allowed");
  refused('H', 'Sysctls', { 'vm.swappiness': '1' }, "sysctl 'vm.swappiness=1' is not allowed");
  refused('H', 'PidMode', 'bogus', 'Invalid PID mode: bogus');
  refused('H', 'IpcMode', 'bogus', 'Invalid IPC mode: bogus');
  refused('H', 'UTSMode', 'bogus', 'Invalid UTS mode: bogus');
  refused('H', 'Devices', [{ PathOnHost: '/dev/null', PathInContainer: 'x', CgroupPermissions: 'rwm' }], /PathInContainer "x"/);
  refused('H', 'Devices', [{ PathOnHost: '/dev/null', PathInContainer: '/dev/x', CgroupPermissions: 'rwq' }], 'invalid device mode: rwq');
  refused('H', 'Dns', ['nope'], 'nope is not an ip address');
  refused('C', 'ExposedPorts', { 'x/tcp': {} }, 'invalid port specification: "x"');
  refused('C', 'Hostname', 'a b', 'invalid hostname format: a b');
});

test('fields berth does not act on are refused with a 400 that names them', () => {
  const cases: [where: 'C' | 'H', k: string, v: unknown, name: string][] = [
    ['H', 'Mounts', [{ Type: 'tmpfs', Target: '/x' }], 'HostConfig.Mounts (--mount)'],
    ['H', 'LogConfig', { Type: 'syslog', Config: {} }, 'log driver "syslog" (--log-driver)'],
    ['C', 'Healthcheck', { Test: ['CMD-SHELL', 'true'] }, 'Config.Healthcheck'],
    ['C', 'Volumes', { '/data': {} }, 'Config.Volumes'],
    ['H', 'CgroupParent', 'x', 'HostConfig.CgroupParent (--cgroup-parent)'],
    ['H', 'PublishAllPorts', true, 'HostConfig.PublishAllPorts (--publish-all)'],
    ['H', 'OomKillDisable', true, 'HostConfig.OomKillDisable (--oom-kill-disable)'],
    ['H', 'VolumesFrom', ['x'], 'HostConfig.VolumesFrom (--volumes-from)'],
    ['H', 'Links', ['x:y'], 'HostConfig.Links (--link)'],
    ['H', 'DeviceRequests', [{ Driver: 'x', Count: 1 }], 'HostConfig.DeviceRequests (--gpus)'],
    ['H', 'BlkioWeight', 10, 'HostConfig.BlkioWeight (--blkio-weight)'],
    ['H', 'UsernsMode', 'private', 'HostConfig.UsernsMode'],
    ['H', 'PidMode', 'container:x', 'HostConfig.PidMode'],
    ['H', 'ExtraHosts', ['gw:host-gateway'], 'HostConfig.ExtraHosts'],
    ['C', 'MacAddress', '02:42:ac:11:00:02', 'Config.MacAddress (--mac-address)'],
    ['C', 'NetworkingConfig', { EndpointsConfig: { default: { Aliases: ['x'] } } }, 'NetworkingConfig.EndpointsConfig.default.Aliases'],
  ];
  for (const [w, k, v, name] of cases) refused(w, k, v, new RegExp(name.replace(/[().*+?[\]]/g, '\\$&')));
});

test("what is set to the CLI's default counts as not set; docker's warnings", () => {
  for (const v of [null, '', 0, false, [], {}, { Type: '', Config: {} }, [0, 0]]) assert.ok(isUnset(v), JSON.stringify(v));
  for (const v of ['x', 1, true, ['a'], { a: 'b' }]) assert.ok(!isUnset(v), JSON.stringify(v));
  assert.deepEqual(validateCreateBody(withField('H', 'MemorySwappiness', -1), HOST), []);
  assert.deepEqual(validateCreateBody(withField('C', 'Healthcheck', { Test: ['NONE'] }), HOST), []);
  assert.deepEqual(validateCreateBody(withField('H', 'KernelMemory', 64 << 20), HOST), ['Specifying a kernel memory limit is deprecated and will be removed in a future release.']);
  assert.deepEqual(validateCreateBody(withField('H', 'Sysctls', { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '1', 'fs.mqueue.msg_max': '20' }), HOST), []);
  const hostNet = withField('H', 'Sysctls', { 'net.ipv4.ip_forward': '1' });
  hostNet.HostConfig['NetworkMode'] = 'host';
  assert.throws(() => validateCreateBody(hostNet, HOST), /--network host/);
});

test('cpu lists', () => {
  assert.deepEqual(parseCpuList('0-2,4'), [0, 1, 2, 4]);
  assert.deepEqual(parseCpuList('1'), [1]);
  assert.equal(parseCpuList('2-1'), undefined);
  assert.equal(parseCpuList('x'), undefined);
  assert.equal(parseCpuList(''), undefined);
});
