// Seccomp, differentially: the same containers under berth (its CLI, and the
// docker CLI against berthd) and under the real dockerd must exit with the
// same code and print the same thing, for the default profile, a custom
// profile in docker's format, seccomp=unconfined, and malformed profiles.
// Busybox applets cover unshare/setns/mount/chroot/ioprio/setpriority/swapon/
// reboot/syslog/personality; a small static C probe (built only when gcc is
// installed) covers clone flags, clone3, keyctl, bpf, userfaultfd, ptrace.
// The docker comparisons skip when no dockerd answers; the berth-only checks
// still run.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { TestDaemon, isRoot, which, REPO, type RunResult } from '../helpers/daemon.js';
import { useContainerDaemon } from '../helpers/containers.js';
import { dockerUp, realDocker } from '../helpers/realdocker.js';

const skip = isRoot() ? false : 'needs root (runc, conmon, overlay)';
const noDocker = dockerUp ? false : 'no dockerd answers on /var/run/docker.sock';
let d: TestDaemon;
useContainerDaemon(skip, (x) => (d = x));

const NET = ['--network', 'none'];
/** docker containers this file made under a name, removed at the end even if a test failed */
const dockerNames: string[] = [];
after(() => {
  if (dockerUp && dockerNames.length) realDocker(['rm', '-f', ...dockerNames]);
});

/** The same message whichever CLI printed it: no "berth: "/"docker: " prefix, no usage hint. */
function norm(r: RunResult): RunResult {
  const stderr = r.stderr
    .replace(/^(berth|docker): /gm, '')
    .replace(/\n*Run '(docker|berth) run --help' for more information\n*/g, '\n')
    .trim();
  return { code: r.code, stdout: r.stdout, stderr };
}

/** Run `run --rm <args>` under berth's CLI, under the docker CLI against berthd, and under dockerd; all must agree. */
function sameAsDocker(args: string[], what: string): RunResult {
  const ours = norm(d.berth(['run', '--rm', ...NET, ...args]));
  if (which('docker')) assert.deepEqual(norm(d.docker(['run', '--rm', ...NET, ...args])), ours, `${what}: docker CLI against berthd`);
  if (!noDocker) assert.deepEqual(ours, norm(realDocker(['run', '--rm', ...NET, ...args])), `${what}: berth vs dockerd`);
  return ours;
}

test('default profile: busybox applets get the verdicts they get under docker', { skip }, () => {
  const cases: [string, string[], RegExp | number][] = [
    ['unshare a user namespace', ['busybox', 'unshare', '-U', 'true'], /unshare\(0x10000000\): Operation not permitted/],
    ['unshare a network namespace', ['busybox', 'unshare', '-n', 'true'], /unshare\(0x40000000\): Operation not permitted/],
    ['unshare with CAP_SYS_ADMIN', ['--cap-add', 'SYS_ADMIN', 'busybox', 'unshare', '-n', 'true'], 0],
    ['setns', ['busybox', 'nsenter', '--net=/proc/1/ns/net', 'true'], /setns\(\): can't reassociate to namespace 'net': Operation not permitted/],
    ['mount', ['busybox', 'sh', '-c', 'mkdir -p /m && mount -t tmpfs none /m'], /permission denied/],
    ['mount with CAP_SYS_ADMIN', ['--cap-add', 'SYS_ADMIN', 'busybox', 'sh', '-c', 'mkdir -p /m && mount -t tmpfs none /m && grep -c " /m tmpfs" /proc/mounts'], 0],
    ['chroot', ['busybox', 'chroot', '/', 'true'], 0],
    ['chroot without CAP_SYS_CHROOT', ['--cap-drop', 'SYS_CHROOT', 'busybox', 'chroot', '/', 'true'], /can't change root directory to '\/': Operation not permitted/],
    ['ioprio_set, idle class', ['busybox', 'ionice', '-c', '3', 'true'], 0],
    ['ioprio_set, realtime class', ['busybox', 'ionice', '-c', '1', 'true'], /ioprio_set: Operation not permitted/],
    ['setpriority, lower', ['busybox', 'sh', '-c', 'renice -n 5 $$ >/dev/null'], 0],
    ['setpriority, higher', ['busybox', 'sh', '-c', 'renice -n -5 $$'], /setpriority: Permission denied/],
    ['setpriority, higher with CAP_SYS_NICE', ['--cap-add', 'SYS_NICE', 'busybox', 'sh', '-c', 'renice -n -5 $$ >/dev/null'], 0],
    ['swapon', ['busybox', 'sh', '-c', 'dd if=/dev/zero of=/s bs=1k count=64 2>/dev/null && mkswap /s >/dev/null && swapon /s'], /swapon: \/s: Operation not permitted/],
    ['reboot as root without CAP_SYS_BOOT', ['busybox', 'reboot', '-f'], /Operation not permitted/],
    ['syslog', ['busybox', 'dmesg'], /klogctl: Operation not permitted/],
    ['personality(PER_LINUX32)', ['busybox', 'linux32', 'uname', '-m'], 0],
    ['the filter is on', ['busybox', 'grep', 'Seccomp:', '/proc/self/status'], 0],
  ];
  for (const [what, args, expect] of cases) {
    const r = sameAsDocker(args, what);
    if (typeof expect === 'number') assert.equal(r.code, expect, `${what}: ${r.stderr}`);
    else {
      assert.notEqual(r.code, 0, what);
      assert.match(r.stderr, expect, what);
    }
  }
  assert.match(sameAsDocker(['busybox', 'grep', 'Seccomp:', '/proc/self/status'], 'status').stdout, /Seccomp:\s+2/);
});

/** The probe, built static into the test's root, or undefined without gcc. */
let probe: string | undefined | null = null;
function probeBinary(): string | undefined {
  if (probe !== null) return probe;
  probe = undefined;
  if (!which('gcc')) return probe;
  const out = path.join(d.root, 'seccomp-probe');
  const r = spawnSync('gcc', ['-static', '-O1', '-o', out, path.join(REPO, 'test/integration/testdata/seccomp-probe.c')], { encoding: 'utf8' });
  assert.equal(r.status, 0, `gcc: ${r.stderr}`);
  return (probe = out);
}
const noGcc = which('gcc') ? false : 'gcc is not installed: the raw-syscall probe is not built (busybox applets still run)';

test('default profile: raw syscalls (clone flags, clone3, keyctl, bpf, userfaultfd, personality, ptrace) as under docker', { skip: skip || noGcc }, () => {
  const bin = probeBinary()!;
  const run = (extra: string[], what: string) => sameAsDocker([...extra, '-v', `${bin}:/probe:ro`, 'busybox', '/probe'], what).stdout;
  const lines = (s: string) => Object.fromEntries(s.trim().split('\n').map((l) => [l.slice(0, l.lastIndexOf(' ')), l.slice(l.lastIndexOf(' ') + 1)]));
  const def = lines(run([], 'default'));
  assert.deepEqual(def, {
    clone: 'ok', 'clone(CLONE_NEWUSER)': 'EPERM', clone3: 'ENOSYS', keyctl: 'EPERM', bpf: 'EPERM', userfaultfd: 'EPERM',
    'personality(PER_LINUX32)': 'ok', 'personality(ADDR_NO_RANDOMIZE)': 'EPERM', 'ptrace(PTRACE_TRACEME)': 'ok', mkdirat: 'ok',
  });
  const admin = lines(run(['--cap-add', 'SYS_ADMIN'], 'CAP_SYS_ADMIN'));
  assert.equal(admin['clone(CLONE_NEWUSER)'], 'ok');
  assert.equal(admin['clone3'], 'ok');
  assert.equal(admin['keyctl'], 'EPERM', 'keyctl stays refused');
  const unconfined = lines(run(['--security-opt', 'seccomp=unconfined'], 'unconfined'));
  assert.equal(unconfined['clone(CLONE_NEWUSER)'], 'ok');
  assert.equal(unconfined['keyctl'], 'ok');
  assert.equal(unconfined['personality(ADDR_NO_RANDOMIZE)'], 'ok');
});

test('a custom profile in docker\'s format: --security-opt seccomp=profile.json', { skip }, () => {
  const nomkdir = path.join(d.root, 'nomkdir.json');
  writeFileSync(nomkdir, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] }, null, 2));
  const r = sameAsDocker(['--security-opt', `seccomp=${nomkdir}`, 'busybox', 'mkdir', '/x'], 'mkdir refused');
  assert.equal(r.code, 1);
  assert.equal(r.stderr, "mkdir: can't create directory '/x': Operation not permitted");
  assert.equal(sameAsDocker(['--security-opt', `seccomp=${nomkdir}`, 'busybox', 'sh', '-c', 'touch /y && unshare -U true'], 'the rest allowed').code, 0, 'default ALLOW: unshare works');
  // errnoRet, the old `name` spelling, a rule conditional on a capability, and `seccomp:` as separator
  const eacces = path.join(d.root, 'eacces.json');
  writeFileSync(eacces, JSON.stringify({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [{ name: 'mkdirat', action: 'SCMP_ACT_ERRNO', errnoRet: 13 }, { names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }, { names: ['uname'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, includes: { caps: ['CAP_SYS_ADMIN'] } }],
  }));
  const denied = sameAsDocker(['--security-opt', `seccomp:${eacces}`, 'busybox', 'mkdir', '/x'], 'errnoRet 13');
  assert.equal(denied.stderr, "mkdir: can't create directory '/x': Permission denied");
  assert.equal(sameAsDocker(['--security-opt', `seccomp=${eacces}`, 'busybox', 'uname', '-s'], 'uname without the cap').stdout, 'Linux\n');
  // busybox's uname ignores the failure and prints an empty name
  assert.equal(sameAsDocker(['--security-opt', `seccomp=${eacces}`, '--cap-add', 'SYS_ADMIN', 'busybox', 'uname', '-s'], 'uname with the cap').stdout, '\n');
  // the profile travels as its JSON content: inspect shows it (as docker's does)
  const id = d.berth(['create', ...NET, '--security-opt', `seccomp=${nomkdir}`, 'busybox', 'true']).stdout.trim();
  const opt = (JSON.parse(d.berth(['inspect', id]).stdout) as { HostConfig: { SecurityOpt: string[] } }[])[0]!.HostConfig.SecurityOpt;
  assert.deepEqual(opt, ['seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}']);
  d.berth(['rm', id]);
});

test('seccomp=unconfined: no filter', { skip }, () => {
  assert.match(sameAsDocker(['--security-opt', 'seccomp=unconfined', 'busybox', 'grep', 'Seccomp:', '/proc/self/status'], 'status').stdout, /Seccomp:\s+0/);
  assert.equal(sameAsDocker(['--security-opt', 'seccomp=unconfined', 'busybox', 'unshare', '-U', 'true'], 'unshare -U').code, 0);
});

test('malformed profiles are refused with docker\'s words, and berth creates nothing', { skip }, () => {
  const file = (name: string, text: string) => (writeFileSync(path.join(d.root, name), text), path.join(d.root, name));
  const cases: [string, string, RegExp][] = [
    ['truncated JSON (the CLI refuses)', file('bad.json', '{"defaultAction": '), /^compacting json for seccomp profile \(.*bad\.json\) failed: unexpected end of JSON input$/],
    ['no such file', path.join(d.root, 'nope.json'), /^opening seccomp profile \(.*nope\.json\) failed: open .*nope\.json: no such file or directory$/],
    ['a number for defaultAction', file('type.json', '{"defaultAction": 5}'), /^Error response from daemon: Decoding seccomp profile failed: json: cannot unmarshal number into Go struct field Seccomp\.defaultAction of type specs\.LinuxSeccompAction$/],
    ['architectures and archMap', file('both.json', '{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64"],"archMap":[{"architecture":"SCMP_ARCH_X86_64"}],"syscalls":[]}'), /^Error response from daemon: 'architectures' and 'archMap' were specified in the seccomp profile, use either 'architectures' or 'archMap'$/],
    ['name and names', file('names.json', '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"name":"mkdir","names":["mkdir"],"action":"SCMP_ACT_ERRNO"}]}'), /^Error response from daemon: 'name' and 'names' were specified in the seccomp profile, use either 'name' or 'names'$/],
  ];
  for (const [what, f, msg] of cases) {
    const name = `berth-seccomp-test-${dockerNames.length}`;
    const ours = norm(d.berth(['run', '--rm', ...NET, '--security-opt', `seccomp=${f}`, 'busybox', 'true']));
    assert.equal(ours.code, 125, `${what}: ${ours.stderr}`);
    assert.match(ours.stderr, msg, what);
    if (!noDocker) {
      dockerNames.push(name);
      const theirs = norm(realDocker(['run', '--name', name, ...NET, '--security-opt', `seccomp=${f}`, 'busybox', 'true']));
      assert.equal(theirs.code, 125, what);
      assert.equal(ours.stderr, theirs.stderr, `${what}: berth vs dockerd`);
    }
  }
  assert.equal(d.berth(['ps', '-aq']).stdout, '', 'refused at create: no container left');
  // runc's refusals come at create too (dockerd only finds them when runc runs), in runc's words
  const act = norm(d.berth(['run', '--rm', ...NET, '--security-opt', `seccomp=${file('act.json', '{"defaultAction":"SCMP_ACT_FOO","syscalls":[]}')}`, 'busybox', 'true']));
  assert.equal(act.code, 125);
  assert.equal(act.stderr, 'Error response from daemon: string SCMP_ACT_FOO is not a valid action for seccomp');
  // an API client that sends a path instead of the content gets dockerd's decoding error, as a 400
  const api = spawnSync('curl', ['-s', '-w', '\n%{http_code}', '--unix-socket', d.socket, '-X', 'POST', '-H', 'Content-Type: application/json',
    '-d', JSON.stringify({ Image: 'busybox', Cmd: ['true'], HostConfig: { SecurityOpt: ['seccomp=/etc/profile.json'] } }), 'http://x/containers/create'], { encoding: 'utf8' });
  const cut = api.stdout.lastIndexOf('\n');
  const [body, status] = [api.stdout.slice(0, cut), api.stdout.slice(cut + 1)];
  assert.equal(status, '400', `curl: ${api.stdout} ${api.stderr} ${api.error ?? ''}`);
  assert.deepEqual(JSON.parse(body!), { message: "Decoding seccomp profile failed: invalid character '/' looking for beginning of value" });
});

test('build steps (RUN) keep the default profile', { skip }, () => {
  const ctx = path.join(d.root, 'seccomp-ctx');
  spawnSync('mkdir', ['-p', ctx]);
  writeFileSync(path.join(ctx, 'Dockerfile'), 'FROM busybox\nRUN unshare -U true\n');
  const r = d.berth(['build', ctx]);
  assert.notEqual(r.code, 0);
  assert.match(r.stdout + r.stderr, /unshare\(0x10000000\): Operation not permitted/);
});

test('exec in a running container gets the container\'s filter', { skip }, () => {
  const name = 'seccomp-exec';
  assert.equal(d.berth(['run', '-d', '--name', name, ...NET, 'busybox', 'sleep', '600']).code, 0);
  try {
    const ours = norm(d.berth(['exec', name, 'unshare', '-U', 'true']));
    assert.equal(ours.code, 1);
    assert.equal(ours.stderr, 'unshare: unshare(0x10000000): Operation not permitted');
    if (!noDocker) {
      const dname = `berth-seccomp-test-exec`;
      dockerNames.push(dname);
      assert.equal(realDocker(['run', '-d', '--name', dname, ...NET, 'busybox', 'sleep', '600']).code, 0);
      assert.deepEqual(ours, norm(realDocker(['exec', dname, 'unshare', '-U', 'true'])));
    }
  } finally {
    d.berth(['rm', '-f', name]);
  }
});
