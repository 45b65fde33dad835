// Parser nodes → typed instructions grouped in stages, with each
// instruction's flags validated (docker's "Unknown flag" errors).
import { DockerfileError, drain, parseDockerfile, parseSteps, type Node } from '../parser/index.js';
import { parseMount } from './mounts.js';
import type { CopyLike, Dockerfile, Instruction, Stage } from './types.js';

const FLAGS: Record<string, string[]> = {
  from: ['platform'],
  run: ['mount', 'network', 'security'],
  copy: ['from', 'chown', 'chmod', 'link', 'exclude', 'parents'],
  add: ['chown', 'chmod', 'link', 'exclude', 'checksum', 'keep-git-dir'],
  healthcheck: ['interval', 'timeout', 'start-period', 'start-interval', 'retries'],
};
const BOOL_FLAGS = new Set(['link', 'parents', 'keep-git-dir']);
const REPEATABLE = new Set(['mount', 'exclude']);

export class InstructionError extends DockerfileError {}

function err(n: Node, msg: string, file: string): InstructionError {
  return new InstructionError(file, n.startLine, 1, msg);
}

function unquote(s: string): string {
  const m = /^(["'])([\s\S]*)\1$/.exec(s);
  return m ? m[2]! : s;
}

function flagsOf(n: Node, file: string): Map<string, string[]> {
  const allowed = FLAGS[n.value] ?? [];
  const out = new Map<string, string[]>();
  for (const f of n.flags) {
    const m = /^--([A-Za-z][A-Za-z0-9-]*)(?:=([\s\S]*))?$/.exec(f);
    if (!m) throw err(n, `Unknown flag: ${f.replace(/^--/, '')}`, file);
    const name = m[1]!;
    if (!allowed.includes(name)) throw err(n, `Unknown flag: ${name}`, file);
    let v = m[2];
    if (v === undefined) {
      if (!BOOL_FLAGS.has(name)) throw err(n, `Missing a value on flag: --${name}`, file);
      v = 'true';
    }
    if (out.has(name) && !REPEATABLE.has(name)) throw err(n, `Duplicate flag specified: ${name}`, file);
    out.set(name, [...(out.get(name) ?? []), unquote(v)]);
  }
  return out;
}

function one(f: Map<string, string[]>, k: string): string | undefined {
  return f.get(k)?.[0];
}

function bool(v: string | undefined): boolean {
  return v !== undefined && v !== 'false';
}

function toInstruction(n: Node, file: string, esc: string): Instruction {
  const f = flagsOf(n, file);
  const need = (count: number, msg: string) => {
    if (n.next.length < count) throw err(n, msg, file);
  };
  const upper = n.value.toUpperCase();
  switch (n.value) {
    case 'run': {
      if (n.next.length === 0 && n.heredocs.length === 0) throw err(n, 'RUN requires at least one argument', file);
      const network = one(f, 'network') ?? 'default';
      if (!['default', 'none', 'host'].includes(network)) throw err(n, `unsupported network mode: ${network}`, file);
      const mounts = (f.get('mount') ?? []).map((m) => {
        try {
          return parseMount(m);
        } catch (e) {
          throw err(n, (e as Error).message, file);
        }
      });
      return { kind: 'run', node: n, args: n.next, shell: !n.json, mounts, network: network as 'default', heredocs: n.heredocs };
    }
    case 'cmd':
    case 'entrypoint':
      return { kind: n.value, node: n, args: n.next, shell: !n.json };
    case 'env':
    case 'label': {
      need(2, `${upper} requires at least one argument`);
      const pairs: [string, string][] = [];
      for (let i = 0; i + 1 < n.next.length; i += 2) pairs.push([n.next[i]!, n.next[i + 1]!]);
      return { kind: n.value, node: n, pairs };
    }
    case 'arg': {
      if (n.next.length === 0) throw err(n, 'ARG requires at least one argument', file);
      return {
        kind: 'arg',
        node: n,
        args: n.next.map((w) => {
          const eq = w.indexOf('=');
          if (eq === 0) throw err(n, 'ARG names can not be blank', file);
          return eq < 0 ? { name: w } : { name: w.slice(0, eq), value: w.slice(eq + 1) };
        }),
      };
    }
    case 'expose':
      need(1, 'EXPOSE requires at least one argument');
      return { kind: 'expose', node: n, ports: n.next };
    case 'workdir':
    case 'user':
    case 'stopsignal':
    case 'maintainer':
      if (n.next.length !== 1) throw err(n, `${upper} requires exactly one argument`, file);
      return { kind: n.value, node: n, value: n.next[0]! };
    case 'volume':
      if (n.next.length === 0 || n.next.some((v) => v.trim() === '')) throw err(n, 'VOLUME specified can not be an empty string', file);
      return { kind: 'volume', node: n, paths: n.next };
    case 'shell':
      if (!n.json) throw err(n, 'SHELL requires the arguments to be in JSON form', file);
      if (n.next.length === 0) throw err(n, 'SHELL requires at least one argument', file);
      return { kind: 'shell', node: n, shell: n.next };
    case 'onbuild':
      return { kind: 'onbuild', node: n, expression: n.next[0]! };
    case 'healthcheck': {
      if (n.next[0] === 'NONE') return { kind: 'healthcheck', node: n, test: null };
      if (n.next.length < 2) throw err(n, 'Missing command after HEALTHCHECK CMD', file);
      const test = n.json ? ['CMD', ...n.next.slice(1)] : ['CMD-SHELL', n.next[1]!];
      const h: Instruction = { kind: 'healthcheck', node: n, test };
      for (const [k, key] of [['interval', 'interval'], ['timeout', 'timeout'], ['start-period', 'startPeriod'], ['start-interval', 'startInterval'], ['retries', 'retries']] as const) {
        const v = one(f, k);
        if (v !== undefined) h[key] = v;
      }
      return h;
    }
    case 'copy':
    case 'add': {
      const heredocNames = new Set(n.heredocs.map((h) => h.name));
      const words = n.next.filter((w) => !(/^\d*<<-?/.test(w) && heredocNames.size > 0));
      if (words.length + n.heredocs.length < 2 || words.length < 1) throw err(n, `${upper} requires at least two arguments, but only one was provided. Destination could not be determined.`, file);
      const c: CopyLike = {
        kind: n.value,
        sources: words.slice(0, -1).map((s) => (n.json ? s : s)),
        dest: words.at(-1)!,
        link: bool(one(f, 'link')),
        exclude: f.get('exclude') ?? [],
        heredocs: n.heredocs,
        keepGitDir: bool(one(f, 'keep-git-dir')),
      };
      for (const k of ['from', 'chown', 'chmod', 'checksum'] as const) {
        const v = one(f, k);
        if (v !== undefined) c[k] = v;
      }
      void esc;
      return { ...c, node: n };
    }
    default:
      throw err(n, `unknown instruction: ${upper}`, file);
  }
}

/** Parse a Dockerfile into stages of typed instructions. */
export function parseStages(source: string, file = 'Dockerfile'): Dockerfile {
  return drain(stageSteps(source, file));
}

/**
 * parseStages for the daemon: the event loop gets a turn every `sliceMs`
 * (a Dockerfile of thousands of lines takes a while to parse).
 */
export async function parseStagesSliced(source: string, file = 'Dockerfile', sliceMs = 4): Promise<Dockerfile> {
  const g = stageSteps(source, file);
  let start = performance.now();
  for (let n = 0; ; n++) {
    const r = g.next();
    if (r.done) return r.value;
    if ((n & 63) === 0 && performance.now() - start >= sliceMs) {
      await new Promise<void>((res) => setImmediate(res));
      start = performance.now();
    }
  }
}

function* stageSteps(source: string, file: string): Generator<void, Dockerfile> {
  const { nodes, directives } = yield* parseSteps(source, file);
  const df: Dockerfile = { metaArgs: [], stages: [], escape: directives.escape, file };
  let stage: Stage | undefined;
  for (const n of nodes) {
    if (n.value === 'from') {
      const f = flagsOf(n, file);
      const w = n.next;
      if (!(w.length === 1 || (w.length === 3 && w[1]!.toLowerCase() === 'as'))) throw err(n, 'FROM requires either one or three arguments', file);
      const name = w.length === 3 ? w[2]!.toLowerCase() : undefined;
      if (name !== undefined) {
        if (!/^[a-z][a-z0-9-_.]*$/.test(name)) throw err(n, `invalid name for build stage: "${w[2]}", name can't start with a number or contain symbols`, file);
        if (df.stages.some((s) => s.name === name)) throw err(n, `duplicate name ${name}`, file);
      }
      const platform = one(f, 'platform');
      stage = { base: w[0]!, index: df.stages.length, node: n, instructions: [], ...(name ? { name } : {}), ...(platform ? { platform } : {}) };
      df.stages.push(stage);
      continue;
    }
    const ins = toInstruction(n, file, directives.escape);
    if (!stage) {
      if (ins.kind !== 'arg') throw err(n, 'no build stage in current context', file);
      df.metaArgs.push(...ins.args);
      continue;
    }
    stage.instructions.push(ins);
    yield;
  }
  if (df.stages.length === 0) throw new InstructionError(file, 0, 0, 'the Dockerfile (' + file + ') cannot be empty');
  return df;
}

/** Parse one ONBUILD trigger or `--change` line as an instruction. */
export function parseSingle(line: string, file = 'Dockerfile'): Instruction {
  const { nodes, directives } = parseDockerfile(line, file);
  if (nodes.length !== 1) throw new InstructionError(file, 1, 1, `expected one instruction, got ${nodes.length}`);
  return toInstruction(nodes[0]!, file, directives.escape);
}
