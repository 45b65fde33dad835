// The default profile's data against moby's own default.json (same verdicts
// for every capability, architecture and kernel), the builder's conditions, and
// docker's profile format with dockerd's error messages (as dockerd 20.10.24
// printed them on this machine).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSeccomp, CLONE_NAMESPACE_FLAGS, DEFAULT_PROFILE, kernelVersion, statusHasSeccomp, type OciSeccomp, type Platform } from './build.js';
import { decodeDockerProfile } from './docker-profile.js';
import { parseSeccompOpt, seccompFilter, seccompOption } from './option.js';
import { DEFAULT_SECCOMP } from './default-profile.js';
import { DEFAULT_CAPABILITIES } from '../spec.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const testdata = [path.join(here, 'testdata'), path.resolve(here, '../../../../src/runtime/seccomp/testdata')].find((d) => existsSync(d))!;
const MOBY = readFileSync(path.join(testdata, 'moby-default-v0.2.3.json'), 'utf8');

const amd64: Platform = { arch: 'amd64', kernel: [6, 1] };

/** Every (syscall, verdict) pair of a filter, order-free: "ptrace allow", "clone allow [0 MASKED_EQ 2114060288]". */
function verdicts(s: OciSeccomp): string[] {
  const out = new Set<string>();
  for (const r of s.syscalls ?? []) {
    const how = r.action === 'SCMP_ACT_ALLOW' ? 'allow' : `${r.action}(${r.errnoRet ?? ''})`;
    const args = r.args?.map((a) => `${a.index} ${a.op.replace('SCMP_CMP_', '')} ${a.value}${a.valueTwo ? `/${a.valueTwo}` : ''}`).join(', ');
    for (const n of r.names) out.add(`${n} ${how}${args ? ` [${args}]` : ''}`);
  }
  return [...out].sort();
}
const allowed = (s: OciSeccomp) => new Set((s.syscalls ?? []).filter((r) => r.action === 'SCMP_ACT_ALLOW' && !r.args).flatMap((r) => r.names));

describe('default seccomp profile', () => {
  it('is docker\'s: the same verdicts as moby\'s default.json for every capability, architecture and kernel', () => {
    const moby = decodeDockerProfile(MOBY)!;
    const caps = [...new Set([...DEFAULT_CAPABILITIES, ...Object.keys(DEFAULT_SECCOMP.allowWithCap)])];
    const capSets = [DEFAULT_CAPABILITIES, [], ...caps.map((c) => [...DEFAULT_CAPABILITIES, c]), caps];
    const platforms: Platform[] = ['amd64', 'arm64', 'arm', 'x86', 's390x', 'ppc64le', 'riscv64', 'mips64'].flatMap((arch) => [{ arch, kernel: [6, 1] as [number, number] }, { arch, kernel: [4, 4] as [number, number] }]);
    for (const p of platforms) {
      for (const c of capSets) {
        const ours = buildSeccomp(DEFAULT_PROFILE, c, p);
        const theirs = buildSeccomp(moby, c, p);
        assert.deepEqual(verdicts(ours), verdicts(theirs), `${p.arch} ${p.kernel.join('.')} caps=${c.join(',')}`);
        assert.deepEqual(ours.architectures, theirs.architectures);
        assert.equal(ours.defaultAction, 'SCMP_ACT_ERRNO');
        assert.equal(ours.defaultErrnoRet, 1);
      }
    }
  });

  it('is an allow-list: what a default container may not call', () => {
    const s = buildSeccomp(DEFAULT_PROFILE, DEFAULT_CAPABILITIES, amd64);
    const ok = allowed(s);
    for (const n of ['read', 'openat', 'execve', 'wait4', 'chroot', 'ptrace', 'arch_prctl', 'setpriority', 'ioprio_set']) assert.ok(ok.has(n), n);
    for (const n of ['unshare', 'setns', 'mount', 'umount2', 'pivot_root', 'keyctl', 'add_key', 'request_key', 'bpf', 'perf_event_open', 'userfaultfd',
      'io_uring_setup', 'io_uring_enter', 'kexec_load', 'init_module', 'reboot', 'swapon', 'settimeofday', 'clock_settime', 'acct', 'iopl', 'syslog',
      'open_by_handle_at', 'mbind', 'process_madvise', 'vhangup', 'clone', 'clone3', 'personality', 'socket']) assert.ok(!ok.has(n), n);
    const v = verdicts(s);
    assert.ok(v.includes(`clone allow [0 MASKED_EQ ${CLONE_NAMESPACE_FLAGS}]`), 'clone only without namespace flags');
    assert.equal(CLONE_NAMESPACE_FLAGS, 2114060288);
    assert.ok(v.includes('clone3 SCMP_ACT_ERRNO(38)'), 'clone3 is ENOSYS so libc falls back to clone');
    assert.deepEqual(v.filter((x) => x.startsWith('socket ')), ['socket allow [0 EQ 39]', 'socket allow [0 GT 40]', 'socket allow [0 LT 38]']);
    assert.deepEqual(v.filter((x) => x.startsWith('personality ')).length, 5);
    assert.deepEqual(s.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  });

  it('capabilities unlock their syscalls', () => {
    const unlock: Record<string, string[]> = {
      CAP_SYS_ADMIN: ['mount', 'unshare', 'setns', 'clone', 'clone3', 'umount2', 'bpf', 'perf_event_open', 'sethostname', 'syslog', 'fsopen'],
      CAP_SYS_PTRACE: ['kcmp', 'pidfd_getfd', 'process_madvise'],
      CAP_SYS_MODULE: ['init_module', 'finit_module', 'delete_module'],
      CAP_SYS_BOOT: ['reboot'], CAP_SYS_TIME: ['settimeofday', 'clock_settime'], CAP_SYSLOG: ['syslog'], CAP_SYS_NICE: ['mbind', 'set_mempolicy'],
      CAP_SYS_RAWIO: ['iopl', 'ioperm'], CAP_SYS_PACCT: ['acct'], CAP_BPF: ['bpf'], CAP_PERFMON: ['perf_event_open'],
      CAP_DAC_READ_SEARCH: ['open_by_handle_at'], CAP_SYS_TTY_CONFIG: ['vhangup'],
    };
    for (const [cap, names] of Object.entries(unlock)) {
      const ok = allowed(buildSeccomp(DEFAULT_PROFILE, [...DEFAULT_CAPABILITIES, cap], amd64));
      for (const n of names) assert.ok(ok.has(n), `${cap} unlocks ${n}`);
    }
    const admin = verdicts(buildSeccomp(DEFAULT_PROFILE, ['CAP_SYS_ADMIN'], amd64));
    assert.ok(!admin.some((x) => x.startsWith('clone3 SCMP_ACT_ERRNO') || x.startsWith('clone allow [')), 'no clone limits with CAP_SYS_ADMIN');
    assert.ok(!allowed(buildSeccomp(DEFAULT_PROFILE, [], amd64)).has('chroot'), 'chroot needs CAP_SYS_CHROOT');
  });

  it('follows the architecture and the kernel', () => {
    const arm = buildSeccomp(DEFAULT_PROFILE, DEFAULT_CAPABILITIES, { arch: 'arm64', kernel: [6, 1] });
    assert.deepEqual(arm.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
    assert.ok(allowed(arm).has('set_tls') && !allowed(arm).has('arch_prctl'));
    const s390 = verdicts(buildSeccomp(DEFAULT_PROFILE, DEFAULT_CAPABILITIES, { arch: 's390x', kernel: [6, 1] }));
    assert.ok(s390.includes(`clone allow [1 MASKED_EQ ${CLONE_NAMESPACE_FLAGS}]`) && !s390.some((x) => x.startsWith('clone allow [0')));
    assert.ok(!allowed(buildSeccomp(DEFAULT_PROFILE, DEFAULT_CAPABILITIES, { arch: 'amd64', kernel: [4, 4] })).has('ptrace'), 'ptrace from 4.8 on');
    assert.deepEqual(kernelVersion('6.18.44-fc-v1272'), [6, 18]);
  });
});

describe('docker profile format', () => {
  const fails = (json: string, message: string) => assert.throws(() => decodeDockerProfile(json), (e: Error) => (assert.equal(e.message, message), true));

  it('refuses what dockerd refuses, in its words', () => {
    fails('{"defaultAction": 5}', 'Decoding seccomp profile failed: json: cannot unmarshal number into Go struct field Seccomp.defaultAction of type specs.LinuxSeccompAction');
    fails('[]', 'Decoding seccomp profile failed: json: cannot unmarshal array into Go value of type seccomp.Seccomp');
    fails('"x"', 'Decoding seccomp profile failed: json: cannot unmarshal string into Go value of type seccomp.Seccomp');
    fails('builtinx', "Decoding seccomp profile failed: invalid character 'b' looking for beginning of value");
    const rule = (r: string) => `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[${r}]}`;
    fails(rule('{"names":[5],"action":"SCMP_ACT_ALLOW"}'), 'Decoding seccomp profile failed: json: cannot unmarshal number into Go struct field Syscall.syscalls.names of type string');
    fails(rule('{"names":["mkdir"],"action":"SCMP_ACT_ALLOW","args":[{"index":"x"}]}'), 'Decoding seccomp profile failed: json: cannot unmarshal string into Go struct field LinuxSeccompArg.syscalls.args.index of type uint');
    fails(rule('{"names":["mkdir"],"action":"SCMP_ACT_ALLOW","errnoRet":-1}'), 'Decoding seccomp profile failed: json: cannot unmarshal number -1 into Go struct field Syscall.syscalls.errnoRet of type uint');
    fails(rule('{"names":["mkdir"],"action":"SCMP_ACT_ERRNO","errnoRet":1.5}'), 'Decoding seccomp profile failed: json: cannot unmarshal number 1.5 into Go struct field Syscall.syscalls.errnoRet of type uint');
    fails(rule('{"names":["mkdir"],"action":"SCMP_ACT_ALLOW","includes":{"caps":"x"}}'), 'Decoding seccomp profile failed: json: cannot unmarshal string into Go struct field Filter.syscalls.includes.caps of type []string');
    fails(rule('{"names":["mkdir"],"action":"SCMP_ACT_ALLOW","includes":{"minKernel":"4"}}'), 'Decoding seccomp profile failed: invalid kernel version: "4", expected "<kernel>.<major>"');
    fails(rule('{"names":["mkdir"],"action":"SCMP_ACT_ALLOW","includes":{"minKernel":4}}'), 'Decoding seccomp profile failed: invalid kernel version: 4, expected "<kernel>.<major>": json: cannot unmarshal number into Go value of type string');
    fails('{"defaultAction":"SCMP_ACT_ALLOW","syscalls":{}}', 'Decoding seccomp profile failed: json: cannot unmarshal object into Go struct field Seccomp.syscalls of type []*seccomp.Syscall');
    fails('{"defaultAction":"SCMP_ACT_ALLOW","archMap":[{"architecture":1}]}', 'Decoding seccomp profile failed: json: cannot unmarshal number into Go struct field Architecture.archMap.architecture of type specs.Arch');
    fails(rule('{"name":"mkdir","names":["mkdir"],"action":"SCMP_ACT_ALLOW"}'), "'name' and 'names' were specified in the seccomp profile, use either 'name' or 'names'");
    fails('{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64"],"archMap":[{"architecture":"SCMP_ARCH_X86_64"}],"syscalls":[]}', "'architectures' and 'archMap' were specified in the seccomp profile, use either 'architectures' or 'archMap'");
    // dockerd itself crashes its handler on a null rule; berth says what is wrong
    fails(rule('null'), 'Decoding seccomp profile failed: syscalls[0] is null');
  });

  it('refuses at create what runc would refuse at start, in runc\'s words', () => {
    fails('{"defaultAction":"SCMP_ACT_FOO","syscalls":[]}', 'string SCMP_ACT_FOO is not a valid action for seccomp');
    fails('{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_FOO"]}', 'string SCMP_ARCH_FOO is not a valid arch for seccomp');
    const arg = (a: string) => `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO","args":[${a}]}]}`;
    fails(arg('{"index":1,"value":1,"op":"SCMP_CMP_FOO"}'), 'string SCMP_CMP_FOO is not a valid operator for seccomp');
    fails(arg('{"index":7,"value":1,"op":"SCMP_CMP_EQ"}'), 'error creating seccomp syscall condition for syscall mkdir: syscalls only have up to 6 arguments (8 given)');
  });

  it('reads keys as Go does, and turns conditions into a filter for the container', () => {
    const p = decodeDockerProfile('{"DefaultAction":"SCMP_ACT_ALLOW","unknown":1,"syscalls":[{"Names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":13},'
      + '{"name":"chmod","action":"SCMP_ACT_ERRNO","includes":{"caps":["CAP_SYS_ADMIN"]}},{"names":["chown"],"action":"SCMP_ACT_KILL","excludes":{"arches":["amd64"]}},'
      + '{"names":["uname"],"action":"SCMP_ACT_ERRNO","includes":{"minKernel":"99.0"}},{"names":["kill"],"action":"SCMP_ACT_ERRNO","args":[{"index":1,"value":9,"op":"SCMP_CMP_EQ"}]}],'
      + '"archMap":[{"architecture":"SCMP_ARCH_X86_64","subArchitectures":["SCMP_ARCH_X86"]},{"architecture":"SCMP_ARCH_AARCH64","subArchitectures":null}]}')!;
    assert.deepEqual(buildSeccomp(p, DEFAULT_CAPABILITIES, amd64), {
      defaultAction: 'SCMP_ACT_ALLOW',
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],
      syscalls: [
        { names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
        { names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 9, op: 'SCMP_CMP_EQ' }] },
      ],
    });
    assert.deepEqual(buildSeccomp(p, ['CAP_SYS_ADMIN'], { arch: 'arm64', kernel: [99, 1] }).syscalls!.flatMap((r) => r.names), ['mkdir', 'mkdirat', 'chmod', 'uname', 'chown', 'kill']);
    assert.equal(decodeDockerProfile('{}'), undefined, 'no default action and no syscalls: no filter, as dockerd');
    assert.equal(decodeDockerProfile('null'), undefined);
    const big = decodeDockerProfile('{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["personality"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":4294967295,"op":"SCMP_CMP_EQ"}]}]}')!;
    assert.equal(big.rules[0]!.args![0]!.value, 4294967295);
    assert.throws(() => decodeDockerProfile('{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["x"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":18446744073709551615,"op":"SCMP_CMP_EQ"}]}]}'), /cannot pass on the integer 18446744073709551615 exactly/);
  });
});

describe('--security-opt seccomp=', () => {
  it('parses dockerd\'s spellings', () => {
    assert.equal(parseSeccompOpt('no-new-privileges'), undefined);
    assert.equal(parseSeccompOpt('apparmor=unconfined'), undefined);
    assert.deepEqual(parseSeccompOpt('seccomp=unconfined'), { mode: 'unconfined' });
    assert.deepEqual(parseSeccompOpt('seccomp:unconfined'), { mode: 'unconfined' });
    assert.deepEqual(parseSeccompOpt('seccomp='), { mode: 'default' });
    assert.deepEqual(parseSeccompOpt('seccomp=builtin'), { mode: 'default' });
    assert.deepEqual(parseSeccompOpt('seccomp={}'), { mode: 'unconfined' });
    assert.equal(parseSeccompOpt('seccomp={"defaultAction":"SCMP_ACT_ALLOW"}')!.mode, 'custom');
    assert.throws(() => parseSeccompOpt('seccomp=/etc/profile.json'), (e: Error & { kind?: string }) => e.kind === 'InvalidArgument' && /^Decoding seccomp profile failed: invalid character '\/' looking for beginning of value$/.test(e.message));
  });
  it('the last option wins; --privileged drops the default filter but keeps a given profile', () => {
    assert.deepEqual(seccompOption(['seccomp=unconfined', 'seccomp=builtin']), { mode: 'default' });
    assert.deepEqual(seccompOption(null), { mode: 'default' });
    assert.deepEqual(seccompOption([], true), { mode: 'unconfined' });
    assert.equal(seccompOption(['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}'], true).mode, 'custom');
    assert.equal(seccompFilter({ mode: 'unconfined' }, []), undefined);
    assert.equal(seccompFilter({ mode: 'default' }, DEFAULT_CAPABILITIES, amd64)!.defaultAction, 'SCMP_ACT_ERRNO');
  });
  it('a kernel without seccomp: no default filter, a given profile refused (as dockerd)', () => {
    const none = { ...amd64, seccomp: false };
    assert.equal(seccompFilter({ mode: 'default' }, DEFAULT_CAPABILITIES, none), undefined);
    assert.throws(() => seccompFilter(seccompOption(['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}']), DEFAULT_CAPABILITIES, none), /^Error: seccomp is not enabled in your kernel, cannot run a custom seccomp profile$/);
    assert.equal(statusHasSeccomp('Name:\tx\nNoNewPrivs:\t0\nSeccomp:\t0\nSeccomp_filters:\t0\n'), true);
    assert.equal(statusHasSeccomp('Name:\tx\nNoNewPrivs:\t0\n'), false);
  });
});
