// From a seccomp profile with conditional rules (berth's default data, or a
// profile in docker's format) to the OCI linux.seccomp of one container: the
// rules whose conditions hold for the container's bounding capabilities, the
// host's architecture and its kernel version. Pure; the host facts come in as
// arguments (hostPlatform() reads them once for callers that run on the host).
import * as fs from 'node:fs';
import * as os from 'node:os';
import { CLONE_NAMESPACE_FLAGS, DEFAULT_SECCOMP, ERRNO, type ArgCondition, type SeccompData } from './default-profile.js';

export interface OciSeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: string;
}

export interface OciSyscallRule {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: OciSeccompArg[];
}

/** runtime-spec's linux.seccomp */
export interface OciSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: OciSyscallRule[];
}

/** When a rule applies: every capability in the bounding set, the host on one of the arches, the kernel at least this. */
export interface RuleCondition {
  caps?: string[];
  arches?: string[];
  minKernel?: [number, number];
}

export interface SeccompRule extends OciSyscallRule {
  includes?: RuleCondition;
  excludes?: RuleCondition;
}

/** A profile before it meets a container: conditional rules, and the architectures per host. */
export interface SeccompProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  /** a fixed list (docker's `architectures`) */
  architectures?: string[];
  /** or per host architecture (docker's `archMap`, keyed by the seccomp name of the native one) */
  archMap?: { arch: string; subArches: string[] }[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  rules: SeccompRule[];
}

/** The host as the rules see it: docker's name of the architecture (amd64, arm64, ...) and the kernel's major.minor. */
export interface Platform {
  arch: string;
  kernel: [number, number];
  /** whether the kernel has seccomp at all (CONFIG_SECCOMP); true when not said */
  seccomp?: boolean;
}

/** Node's process.arch -> the names docker's profiles use (Go's GOARCH through moby's goToNative). */
const NODE_TO_NATIVE: Record<string, string> = {
  x64: 'amd64', ia32: 'x86', arm64: 'arm64', arm: 'arm', s390x: 's390x', s390: 's390', ppc64: 'ppc64le', ppc: 'ppc',
  riscv64: 'riscv64', loong64: 'loong64', mips: 'mips', mipsel: 'mipsel', mips64el: 'mipsel64',
};

/** docker's native arch name -> the seccomp name archMap entries are keyed by */
export const NATIVE_TO_SECCOMP: Record<string, string> = {
  x86: 'SCMP_ARCH_X86', amd64: 'SCMP_ARCH_X86_64', arm: 'SCMP_ARCH_ARM', arm64: 'SCMP_ARCH_AARCH64',
  loong64: 'SCMP_ARCH_LOONGARCH64', mips64: 'SCMP_ARCH_MIPS64', mips64n32: 'SCMP_ARCH_MIPS64N32',
  mipsel64: 'SCMP_ARCH_MIPSEL64', mips3l64n32: 'SCMP_ARCH_MIPSEL64N32', mipsle: 'SCMP_ARCH_MIPSEL', ppc: 'SCMP_ARCH_PPC',
  ppc64: 'SCMP_ARCH_PPC64', ppc64le: 'SCMP_ARCH_PPC64LE', riscv64: 'SCMP_ARCH_RISCV64', s390: 'SCMP_ARCH_S390',
  s390x: 'SCMP_ARCH_S390X',
};

/** "6.18.44-fc-v1272" -> [6, 18]; minor revisions and distro suffixes do not count (as moby's kernel check). */
export function kernelVersion(release: string): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(release);
  if (!m) throw new Error(`cannot read the kernel version from ${JSON.stringify(release)}`);
  return [Number(m[1]), Number(m[2])];
}

/** A kernel with seccomp shows a "Seccomp:" line in /proc/<pid>/status. */
export function statusHasSeccomp(status: string): boolean {
  return /^Seccomp:/m.test(status);
}

let host: Platform | undefined;
/** This host, read once (uname's release and the kernel's features do not change while berthd runs). */
export function hostPlatform(): Platform {
  if (!host) {
    let status = '';
    try {
      status = fs.readFileSync('/proc/self/status', 'utf8'); // procfs: the kernel's own file, answers at once
    } catch {
      /* no /proc: leave the decision to the runtime */
    }
    host = { arch: NODE_TO_NATIVE[process.arch] ?? process.arch, kernel: kernelVersion(os.release()), seccomp: status === '' || statusHasSeccomp(status) };
  }
  return host;
}

const atLeast = (have: [number, number], want: [number, number]) => have[0] > want[0] || (have[0] === want[0] && have[1] >= want[1]);

function applies(r: SeccompRule, caps: readonly string[], p: Platform): boolean {
  const ex = r.excludes;
  if (ex) {
    if (ex.arches?.includes(p.arch)) return false;
    if (ex.caps?.some((c) => caps.includes(c))) return false;
    if (ex.minKernel && atLeast(p.kernel, ex.minKernel)) return false;
  }
  const inc = r.includes;
  if (inc) {
    if (inc.arches?.length && !inc.arches.includes(p.arch)) return false;
    if (inc.caps?.length && !inc.caps.every((c) => caps.includes(c))) return false;
    if (inc.minKernel && !atLeast(p.kernel, inc.minKernel)) return false;
  }
  return true;
}

/**
 * The OCI filter for one container. `caps` is its bounding set. Rules that
 * share an action and argument checks are merged into one entry (libseccomp
 * treats rule order and grouping alike), so the result reads as an allow-list.
 */
export function buildSeccomp(profile: SeccompProfile, caps: readonly string[], platform: Platform): OciSeccomp {
  const out: OciSeccomp = { defaultAction: profile.defaultAction };
  if (profile.defaultErrnoRet !== undefined) out.defaultErrnoRet = profile.defaultErrnoRet;
  let arches = profile.architectures ? [...profile.architectures] : [];
  const native = NATIVE_TO_SECCOMP[platform.arch];
  const entry = profile.archMap?.find((a) => a.arch === native);
  if (entry) arches = [entry.arch, ...entry.subArches];
  if (arches.length) out.architectures = arches;
  if (profile.flags?.length) out.flags = [...profile.flags];
  if (profile.listenerPath) out.listenerPath = profile.listenerPath;
  if (profile.listenerMetadata) out.listenerMetadata = profile.listenerMetadata;
  const groups = new Map<string, OciSyscallRule>();
  for (const r of profile.rules) {
    if (!applies(r, caps, platform)) continue;
    const rule: OciSyscallRule = { names: [], action: r.action };
    if (r.errnoRet !== undefined) rule.errnoRet = r.errnoRet;
    if (r.args?.length) rule.args = r.args.map((a) => ({ ...a }));
    const key = JSON.stringify([rule.action, rule.errnoRet, rule.args]);
    const g = groups.get(key) ?? (groups.set(key, rule), rule);
    for (const n of r.names) if (!g.names.includes(n)) g.names.push(n);
  }
  const syscalls = [...groups.values()].filter((g) => g.names.length);
  if (syscalls.length) out.syscalls = syscalls;
  return out;
}

const OPS: Record<ArgCondition['op'], string> = {
  '==': 'SCMP_CMP_EQ', '!=': 'SCMP_CMP_NE', '<': 'SCMP_CMP_LT', '<=': 'SCMP_CMP_LE', '>': 'SCMP_CMP_GT', '>=': 'SCMP_CMP_GE', '&==': 'SCMP_CMP_MASKED_EQ',
};

function ociArg(c: ArgCondition): OciSeccompArg {
  // libseccomp's masked compare takes the mask as `value` and the expected result as `valueTwo`.
  if (c.op === '&==') return { index: c.arg, value: c.mask ?? 0, ...(c.value ? { valueTwo: c.value } : {}), op: OPS[c.op] };
  return { index: c.arg, value: c.value, op: OPS[c.op] };
}

/** berth's data format (default-profile.ts) as conditional rules. */
export function profileFromData(d: SeccompData): SeccompProfile {
  const ALLOW = 'SCMP_ACT_ALLOW';
  const rules: SeccompRule[] = [{ names: d.allow, action: ALLOW }];
  for (const [k, names] of Object.entries(d.allowFromKernel)) rules.push({ names, action: ALLOW, includes: { minKernel: kernelVersion(k) } });
  for (const [arch, names] of Object.entries(d.allowOnArch)) rules.push({ names, action: ALLOW, includes: { arches: [arch] } });
  for (const [cap, names] of Object.entries(d.allowWithCap)) rules.push({ names, action: ALLOW, includes: { caps: [cap] } });
  for (const f of d.filtered) {
    const action = f.errno ? { action: 'SCMP_ACT_ERRNO', errnoRet: ERRNO[f.errno] } : { action: ALLOW };
    const includes: RuleCondition | undefined = f.onlyArches ? { arches: f.onlyArches } : undefined;
    const excludes: RuleCondition | undefined = f.unlessCap || f.unlessArches ? { ...(f.unlessCap ? { caps: [f.unlessCap] } : {}), ...(f.unlessArches ? { arches: f.unlessArches } : {}) } : undefined;
    for (const alt of f.when ?? [[]]) {
      rules.push({ names: [f.syscall], ...action, ...(alt.length ? { args: alt.map(ociArg) } : {}), ...(includes ? { includes } : {}), ...(excludes ? { excludes } : {}) });
    }
  }
  const archMap = Object.entries(d.arches).map(([, [arch, ...subArches]]) => ({ arch: arch!, subArches }));
  return { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: ERRNO[d.refuse.errno], archMap, rules };
}

export const DEFAULT_PROFILE: SeccompProfile = profileFromData(DEFAULT_SECCOMP);
export { CLONE_NAMESPACE_FLAGS };
