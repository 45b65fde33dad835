// A seccomp profile in docker's format (what `docker run --security-opt
// seccomp=profile.json` sends as `seccomp=<json>`): defaultAction,
// defaultErrnoRet, architectures or archMap, flags, listenerPath, and syscalls
// with name/names, action, errnoRet, args, includes/excludes. Decoded as
// dockerd decodes it (Go's encoding/json: keys match case-insensitively,
// unknown keys are ignored, null leaves a field unset) and refused with
// dockerd's words; then checked for what runc would refuse at start, so a bad
// profile fails before anything on the host is made.
import { parseGoJson, GoJsonSyntaxError, type GoJsonNode } from '../../common/gojson.js';
import { hostPlatform, NATIVE_TO_SECCOMP, type RuleCondition, type SeccompProfile, type SeccompRule, type OciSeccompArg } from './build.js';

class DecodeError extends Error {}

/** A Go type, as far as json.Unmarshal's messages and checks need it. */
type GoType =
  | { t: 'string'; name: string }
  | { t: 'uint'; name: 'uint' | 'uint64' }
  | { t: 'slice'; name: string; elem: GoType; ptr?: boolean }
  | { t: 'struct'; name: string; fields: Record<string, GoType> }
  | { t: 'kernel' };

type Named = Extract<GoType, { name: string }>;
const str = (name = 'string'): Named => ({ t: 'string', name });
/** A slice of strings or structs; `ptr` for Go's []*T (a null element is then a nil pointer). */
const slice = (elem: Named, ptr = false): Named => ({ t: 'slice', name: `[]${ptr ? '*' : ''}${elem.name}`, elem, ptr });
const FILTER: Named = { t: 'struct', name: 'seccomp.Filter', fields: { caps: slice(str()), arches: slice(str()), minKernel: { t: 'kernel' } } };
const ARG: Named = {
  t: 'struct',
  name: 'specs.LinuxSeccompArg',
  fields: { index: { t: 'uint', name: 'uint' }, value: { t: 'uint', name: 'uint64' }, valueTwo: { t: 'uint', name: 'uint64' }, op: str('specs.LinuxSeccompOperator') },
};
const SYSCALL: Named = {
  t: 'struct',
  name: 'seccomp.Syscall',
  fields: {
    names: slice(str()), name: str(), action: str('specs.LinuxSeccompAction'), errnoRet: { t: 'uint', name: 'uint' },
    args: slice(ARG, true), comment: str(), includes: FILTER, excludes: FILTER,
  },
};
const SECCOMP: GoType = {
  t: 'struct',
  name: 'seccomp.Seccomp',
  fields: {
    defaultAction: str('specs.LinuxSeccompAction'), defaultErrnoRet: { t: 'uint', name: 'uint' }, architectures: slice(str('specs.Arch')),
    archMap: slice({ t: 'struct', name: 'seccomp.Architecture', fields: { architecture: str('specs.Arch'), subArchitectures: slice(str('specs.Arch')) } }),
    syscalls: slice(SYSCALL, true), flags: slice(str('specs.LinuxSeccompFlag')), listenerPath: str(), listenerMetadata: str(),
  },
};

const KIND_WORD: Record<GoJsonNode['kind'], string> = { null: 'null', bool: 'bool', number: 'number', string: 'string', array: 'array', object: 'object' };

/** Go's UnmarshalTypeError: "cannot unmarshal number into Go struct field Syscall.syscalls.names of type string". */
function typeError(node: GoJsonNode, into: string, where: { struct: string; path: string[] } | undefined, withNumber = false): DecodeError {
  const value = node.kind === 'number' && withNumber ? `number ${node.raw}` : KIND_WORD[node.kind];
  const target = where ? `Go struct field ${where.struct.replace(/^\w+\./, '')}.${where.path.join('.')}` : 'Go value';
  return new DecodeError(`json: cannot unmarshal ${value} into ${target} of type ${into}`);
}

type Decoded = string | number | Decoded[] | { [k: string]: Decoded } | [number, number] | undefined;

class Decoder {
  constructor(private readonly text: string) {}

  decode(node: GoJsonNode, type: GoType, where: { struct: string; path: string[] } | undefined): Decoded {
    if (node.kind === 'null') return undefined;
    switch (type.t) {
      case 'string':
        if (node.kind !== 'string') throw typeError(node, type.name, where);
        return node.value;
      case 'uint': {
        if (node.kind !== 'number') throw typeError(node, type.name, where);
        // Go's ParseUint: digits only, within 64 bits; "-1", "1.5" and "1e3" are type errors that quote the number.
        if (!/^\d+$/.test(node.raw) || BigInt(node.raw) > 0xffff_ffff_ffff_ffffn) throw typeError(node, type.name, where, true);
        const n = Number(node.raw);
        if (!Number.isSafeInteger(n)) throw new DecodeError(`berth cannot pass on the integer ${node.raw} exactly (above 2^53-1) in ${where ? where.path.join('.') : 'the profile'}`);
        return n;
      }
      case 'kernel': {
        const raw = this.text.slice(node.start, node.end);
        const bad = (why = '') => new DecodeError(`invalid kernel version: ${raw}, expected "<kernel>.<major>"${why}`);
        if (node.kind !== 'string') throw bad(`: json: cannot unmarshal ${KIND_WORD[node.kind]} into Go value of type string`);
        if (node.value === '') return undefined;
        const parts = node.value.split('.');
        if (parts.length !== 2) throw bad();
        const [k, m] = parts.map((p) => parseUint8(p, bad));
        if (k === 0 && m === 0) throw bad(': version cannot be 0.0');
        return [k!, m!];
      }
      case 'slice': {
        if (node.kind !== 'array') throw typeError(node, type.name, where);
        return node.items.map((item, i) => {
          if (item.kind === 'null' && type.ptr) throw new DecodeError(`${where ? where.path.join('.') : 'value'}[${i}] is null`);
          if (item.kind === 'null' && type.elem.t === 'string') return '';
          return this.decode(item, type.elem, where) ?? (type.elem.t === 'struct' ? {} : undefined);
        }) as Decoded[];
      }
      case 'struct': {
        if (node.kind !== 'object') throw typeError(node, type.name, where);
        const out: { [k: string]: Decoded } = {};
        for (const [key, value] of node.entries) {
          // encoding/json: an exact name first, then any that matches without regard to case.
          const field = key in type.fields ? key : Object.keys(type.fields).find((f) => f.toLowerCase() === key.toLowerCase());
          if (!field) continue;
          const path = [...(where?.path ?? []), field];
          out[field] = this.decode(value, type.fields[field]!, { struct: type.name, path });
        }
        return out;
      }
    }
  }
}

function parseUint8(p: string, bad: (why: string) => DecodeError): number {
  if (!/^\d+$/.test(p)) throw bad(`: strconv.ParseUint: parsing ${JSON.stringify(p)}: invalid syntax`);
  const n = Number(p);
  if (n > 255) throw bad(`: strconv.ParseUint: parsing ${JSON.stringify(p)}: value out of range`);
  return n;
}

// What runc 1.1 with libseccomp 2.5.4 accepts (libcontainer/seccomp/config.go); checked here so the error comes at create.
const ACTIONS = ['SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY'];
const OPERATORS = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'];
const ARCHES = [
  'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_X32', 'SCMP_ARCH_ARM', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64',
  'SCMP_ARCH_MIPS64N32', 'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL64N32', 'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64',
  'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_S390', 'SCMP_ARCH_S390X', 'SCMP_ARCH_RISCV64',
];

function checkName(kind: string, v: string, known: string[]): void {
  if (!known.includes(v)) throw new DecodeError(`string ${v} is not a valid ${kind} for seccomp`);
}

type Obj = { [k: string]: Decoded };

function condition(f: Obj | undefined): RuleCondition | undefined {
  if (!f) return undefined;
  const c: RuleCondition = {};
  if ((f.caps as string[] | undefined)?.length) c.caps = f.caps as string[];
  if ((f.arches as string[] | undefined)?.length) c.arches = f.arches as string[];
  if (f.minKernel) c.minKernel = f.minKernel as [number, number];
  return Object.keys(c).length ? c : undefined;
}

/**
 * Decode docker's profile format. Returns undefined for a profile with neither
 * a default action nor syscalls (dockerd runs such a container unconfined).
 * Throws an Error whose message is the one dockerd (or runc) gives.
 */
export function decodeDockerProfile(json: string): SeccompProfile | undefined {
  let top: Obj;
  try {
    const tree = parseGoJson(json);
    if (tree.kind !== 'null' && tree.kind !== 'object') throw typeError(tree, 'seccomp.Seccomp', undefined);
    top = (new Decoder(json).decode(tree, SECCOMP, undefined) as Obj | undefined) ?? {};
  } catch (e) {
    if (e instanceof DecodeError || e instanceof GoJsonSyntaxError) throw new Error(`Decoding seccomp profile failed: ${e.message}`);
    throw e;
  }
  const syscalls = (top.syscalls as Obj[] | undefined) ?? [];
  if (!top.defaultAction && !syscalls.length) return undefined;
  const architectures = (top.architectures as string[] | undefined) ?? [];
  const archMap = ((top.archMap as Obj[] | undefined) ?? []).map((a) => ({ arch: (a.architecture as string | undefined) ?? '', subArches: (a.subArchitectures as string[] | undefined) ?? [] }));
  // dockerd 20.10's words (moby 25+ says "both 'architectures' and 'archMap' are specified ...").
  if (architectures.length && archMap.length) throw new Error("'architectures' and 'archMap' were specified in the seccomp profile, use either 'architectures' or 'archMap'");
  const rules: SeccompRule[] = syscalls.map((s) => {
    const names = (s.names as string[] | undefined) ?? [];
    if (s.name && names.length) throw new Error("'name' and 'names' were specified in the seccomp profile, use either 'name' or 'names'");
    const rule: SeccompRule = { names: s.name ? [s.name as string] : names, action: (s.action as string | undefined) ?? '' };
    if (s.errnoRet !== undefined) rule.errnoRet = s.errnoRet as number;
    const args = ((s.args as Obj[] | undefined) ?? []).map((a): OciSeccompArg => ({ index: (a.index as number | undefined) ?? 0, value: (a.value as number | undefined) ?? 0, ...(a.valueTwo ? { valueTwo: a.valueTwo as number } : {}), op: (a.op as string | undefined) ?? '' }));
    if (args.length) rule.args = args;
    const includes = condition(s.includes as Obj | undefined);
    const excludes = condition(s.excludes as Obj | undefined);
    if (includes) rule.includes = includes;
    if (excludes) rule.excludes = excludes;
    return rule;
  });
  const profile: SeccompProfile = { defaultAction: (top.defaultAction as string | undefined) ?? '', rules };
  if (top.defaultErrnoRet !== undefined) profile.defaultErrnoRet = top.defaultErrnoRet as number;
  if (architectures.length) profile.architectures = architectures;
  if (archMap.length) profile.archMap = archMap;
  if ((top.flags as string[] | undefined)?.length) profile.flags = top.flags as string[];
  if (top.listenerPath) profile.listenerPath = top.listenerPath as string;
  if (top.listenerMetadata) profile.listenerMetadata = top.listenerMetadata as string;
  checkForRunc(profile);
  return profile;
}

/** What runc would refuse when the container starts, in runc's words. Flags and listeners are left to runc. */
function checkForRunc(p: SeccompProfile): void {
  checkName('action', p.defaultAction, ACTIONS);
  // Of an archMap, only the host's entry reaches runc (the profile may name architectures this runc does not know).
  const native = NATIVE_TO_SECCOMP[hostPlatform().arch];
  const used = (p.archMap ?? []).filter((m) => m.arch === native).flatMap((m) => [m.arch, ...m.subArches]);
  for (const a of [...(p.architectures ?? []), ...used]) checkName('arch', a, ARCHES);
  for (const r of p.rules) {
    checkName('action', r.action, ACTIONS);
    for (const a of r.args ?? []) {
      checkName('operator', a.op, OPERATORS);
      if (a.index > 5) throw new Error(`error creating seccomp syscall condition for syscall ${r.names[0] ?? ''}: syscalls only have up to 6 arguments (${a.index + 1} given)`);
    }
  }
}
