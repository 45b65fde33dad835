// Issue 11, item 7: every flag of `docker run` that berth used to drop silently
// either works (its effect shown from inside the container) or fails with exit
// 125 and a message that names it. Driven with the official docker CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { TestDaemon, isRoot, which } from '../helpers/daemon.js';
import { useContainerDaemon } from '../helpers/containers.js';

const skip = !isRoot() ? 'needs root' : !which('docker') ? 'the docker CLI is not installed' : false;
let d: TestDaemon;
const NET = ['--network', 'none'];

useContainerDaemon(skip, (x) => (d = x));

function run(flags: string[], cmd: string[]): string {
  const r = d.docker(['run', '--rm', ...flags, 'busybox', ...cmd]);
  assert.equal(r.code, 0, `docker run ${flags.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function refused(flags: string[], name: RegExp, code = 125): void {
  const r = d.docker(['run', '--rm', ...(flags.includes('--network') ? [] : NET), ...flags, 'busybox', 'true']);
  assert.equal(r.code, code, `docker run ${flags.join(' ')} should fail with ${code}: ${r.stdout}${r.stderr}`);
  assert.match(r.stderr, name, `docker run ${flags.join(' ')}`);
}

test('a plain docker run passes with nothing refused', { skip }, () => {
  assert.equal(run(NET, ['echo', 'ok']), 'ok\n');
  const r = d.docker(['create', ...NET, 'busybox', 'true']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '', 'no warnings');
  d.docker(['rm', r.stdout.trim()]);
});

test('--sysctl: a namespaced one is set in the container, others refused', { skip }, () => {
  assert.equal(run(['--sysctl', 'net.ipv4.ip_forward=1'], ['cat', '/proc/sys/net/ipv4/ip_forward']), '1\n');
  assert.equal(run([...NET, '--sysctl', 'kernel.shmmax=1234567'], ['cat', '/proc/sys/kernel/shmmax']), '1234567\n');
  refused(['--network', 'host', '--sysctl', 'net.ipv4.ip_forward=1'], /net\.ipv4\.ip_forward=1.*--network host/);
});

test('--shm-size, --ipc host, --ipc none', { skip }, () => {
  assert.match(run([...NET, '--shm-size', '128m'], ['df', '-k', '/dev/shm']), /\s131072\s/);
  assert.match(run(NET, ['df', '-k', '/dev/shm']), /\s65536\s/);
  const hostIpc = readlinkSync('/proc/self/ns/ipc');
  assert.equal(run([...NET, '--ipc', 'host'], ['readlink', '/proc/self/ns/ipc']).trim(), hostIpc);
  assert.notEqual(run(NET, ['readlink', '/proc/self/ns/ipc']).trim(), hostIpc);
  assert.equal(run([...NET, '--ipc', 'none'], ['sh', '-c', 'test -e /dev/shm && echo present || echo absent']), 'absent\n');
});

test('--pid host, --uts host, --cgroupns private', { skip }, () => {
  assert.equal(run([...NET, '--pid', 'host'], ['readlink', '/proc/self/ns/pid']).trim(), readlinkSync('/proc/self/ns/pid'));
  assert.equal(run(NET, ['cat', '/proc/1/comm']).trim(), 'cat');
  assert.equal(run([...NET, '--uts', 'host'], ['readlink', '/proc/self/ns/uts']).trim(), readlinkSync('/proc/self/ns/uts'));
  assert.equal(run([...NET, '--uts', 'host'], ['hostname']).trim(), hostname());
  assert.notEqual(run(NET, ['readlink', '/proc/self/ns/uts']).trim(), readlinkSync('/proc/self/ns/uts'));
  assert.notEqual(run([...NET, '--cgroupns', 'private'], ['readlink', '/proc/self/ns/cgroup']).trim(), readlinkSync('/proc/self/ns/cgroup'));
});

test('--group-add, --oom-score-adj, --cpuset-cpus', { skip }, () => {
  assert.equal(run([...NET, '--group-add', '1234', '--group-add', 'nogroup'], ['id', '-G']), '0 1234 65534\n');
  refused(['--group-add', 'nosuchgroup'], /Unable to find group nosuchgroup/);
  assert.equal(run([...NET, '--oom-score-adj', '500'], ['cat', '/proc/self/oom_score_adj']), '500\n');
  assert.match(run([...NET, '--cpuset-cpus', '0'], ['grep', 'Cpus_allowed_list', '/proc/self/status']), /Cpus_allowed_list:\s+0\n/);
  refused(['--cpuset-cpus', '4095'], /Requested CPUs are not available - requested 4095/);
});

test('--privileged and --device', { skip }, () => {
  const caps = run([...NET, '--privileged'], ['sh', '-c', 'grep -E "^(CapEff|Seccomp):" /proc/self/status']);
  assert.match(caps, /Seccomp:\s+0/);
  assert.notEqual(/CapEff:\s+(\S+)/.exec(caps)![1], /CapEff:\s+(\S+)/.exec(run(NET, ['grep', 'CapEff', '/proc/self/status']))![1]);
  assert.match(run([...NET, '--privileged'], ['ls', '/dev']), /\bnull\b[\s\S]*\btty\b/);
  assert.match(run([...NET, '--device', '/dev/null:/dev/mynull'], ['sh', '-c', 'ls -l /dev/mynull && echo x > /dev/mynull && echo written']), /^c.* 1,\s+3 .*\/dev\/mynull\nwritten\n$/);
  // the docker CLI turns a message with "no such file or directory" into exit 127, as it does with dockerd's
  refused(['--device', '/dev/nonexistent-berth'], /error gathering device information while adding custom device "\/dev\/nonexistent-berth"/, 127);
});

test('--add-host, --dns, --dns-search, --dns-option', { skip }, () => {
  const out = run([...NET, '--add-host', 'foo:1.2.3.4', '--dns', '9.9.9.9', '--dns-search', 'example.com', '--dns-option', 'ndots:2'], ['cat', '/etc/hosts', '/etc/resolv.conf']);
  assert.match(out, /^1\.2\.3\.4\tfoo$/m);
  assert.match(out, /^nameserver 9\.9\.9\.9$/m);
  assert.match(out, /^search example\.com$/m);
  assert.match(out, /^options ndots:2$/m);
});

test('--platform: the host\'s works, another is refused naming it; --runtime', { skip }, () => {
  run([...NET, '--platform', 'linux/amd64'], ['true']);
  refused(['--platform', 'linux/s390x'], /does not match the specified platform: wanted linux\/s390x/);
  run([...NET, '--runtime', 'runc'], ['true']);
  refused(['--runtime', 'foo'], /Unknown runtime specified foo/);
});

test('what berth does not do yet is refused naming the flag', { skip }, () => {
  refused(['--log-driver', 'syslog'], /log driver "syslog" \(--log-driver\)/);
  refused(['--log-driver', 'foo'], /error looking up logging plugin foo/);
  refused(['--mount', 'type=tmpfs,dst=/x'], /HostConfig\.Mounts \(--mount\)/);
  refused(['--health-cmd', 'true'], /Healthcheck \(--health-cmd/);
  refused(['-v', '/data'], /Config\.Volumes/);
  refused(['--cgroup-parent', 'x'], /--cgroup-parent/);
  refused(['-P'], /--publish-all/);
  refused(['--oom-kill-disable'], /--oom-kill-disable/);
  refused(['--security-opt', 'foo=bar'], /invalid --security-opt 2: "foo=bar"/);
  refused(['--cgroupns', 'bogus'], /./);
  // --no-healthcheck asks for what berth does anyway
  run([...NET, '--no-healthcheck'], ['true']);
});
