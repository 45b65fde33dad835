// The instructions that only change the image config (ENV, LABEL, CMD, ...),
// applied as docker does, with the history text of docker's legacy builder
// ("/bin/sh -c #(nop)  ENV A=1").
//
// The lists and maps an instruction adds to (Env, Labels, ExposedPorts,
// Volumes, OnBuild) are changed in place: a build's states share them along a
// stage (state.ts), and copying them for each step made a long Dockerfile
// quadratic. Callers hand in a config of their own.
import * as path from 'node:path';
import type { ImageRuntimeConfig } from '../oci/image.js';
import { expandWord, expandWords, type Env } from './parser/index.js';
import type { Instruction } from './instructions/index.js';
import { envSet } from './envindex.js';

export class MetadataError extends Error {}

export const DEFAULT_SHELL = ['/bin/sh', '-c'];
export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Go's %q of a string slice, as docker prints CMD/ENTRYPOINT in history. */
export function goQuoteList(a: readonly string[]): string {
  return `[${a.map((s) => JSON.stringify(s)).join(' ')}]`;
}

export function nop(shell: readonly string[], text: string, single = false): string {
  return `${shell.join(' ')} #(nop) ${single ? '' : ' '}${text}`;
}

const DURATION = /^(?:(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h))+$/;
export function parseDuration(s: string, flag: string): number {
  if (!DURATION.test(s)) throw new MetadataError(`time: invalid duration "${s}" for --${flag}`);
  const mult: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  let total = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) total += Number(m[1]) * mult[m[2]!]!;
  return Math.round(total);
}

function expandPorts(p: string): string[] {
  const m = /^(\d+)(?:-(\d+))?(?:\/(\w+))?$/.exec(p);
  if (!m) throw new MetadataError(`Invalid containerPort: ${p}`);
  const proto = (m[3] ?? 'tcp').toLowerCase();
  if (!['tcp', 'udp', 'sctp'].includes(proto)) throw new MetadataError(`Invalid proto: ${m[3]}`);
  const lo = Number(m[1]);
  const hi = m[2] ? Number(m[2]) : lo;
  if (hi < lo || hi > 65535) throw new MetadataError(`Invalid range: ${p}`);
  const out: string[] = [];
  for (let i = lo; i <= hi; i++) out.push(`${i}/${proto}`);
  return out;
}

export interface MetaState {
  cfg: ImageRuntimeConfig;
  author?: string;
  /** CMD was set in this stage (ENTRYPOINT then keeps it) */
  cmdSet: boolean;
}

/**
 * Apply a config-only instruction; returns its history `created_by`, or
 * undefined when `ins` is not a config-only instruction.
 */
export function applyMetadata(st: MetaState, ins: Instruction, env: Env, esc: string): string | undefined {
  const cfg = st.cfg;
  const shell = cfg.Shell ?? DEFAULT_SHELL;
  const x = (s: string) => expandWord(s, env, esc);
  switch (ins.kind) {
    case 'env': {
      // `env` reads the config's list (envindex.ts ConfigEnv): a later pair sees an earlier one
      const e = (cfg.Env ??= []);
      const parts: string[] = [];
      for (const [k, v] of ins.pairs) {
        const key = x(k);
        const val = x(v);
        if (!key) throw new MetadataError('ENV names can not be blank');
        envSet(e, key, val);
        parts.push(`${key}=${val}`);
      }
      return nop(shell, `ENV ${parts.join(' ')}`);
    }
    case 'label': {
      const labels = (cfg.Labels ??= {});
      const parts: string[] = [];
      for (const [k, v] of ins.pairs) {
        const key = x(k);
        const val = x(v);
        if (!key) throw new MetadataError('LABEL names can not be blank');
        labels[key] = val;
        parts.push(`${key}=${val}`);
      }
      return nop(shell, `LABEL ${parts.join(' ')}`);
    }
    case 'cmd':
    case 'entrypoint': {
      const args = ins.shell ? [...shell, ...ins.args] : [...ins.args];
      if (ins.kind === 'cmd') {
        cfg.Cmd = args;
        st.cmdSet = true;
        return nop(shell, `CMD ${goQuoteList(args)}`);
      }
      cfg.Entrypoint = ins.shell && ins.args.length === 0 ? null : args;
      if (!st.cmdSet) cfg.Cmd = null;
      return nop(shell, `ENTRYPOINT ${goQuoteList(args)}`);
    }
    case 'expose': {
      const ports = (cfg.ExposedPorts ??= {});
      const shown: string[] = [];
      for (const w of ins.ports) for (const p of expandWords(w, env, esc)) for (const q of expandPorts(p)) {
        ports[q] = {};
        shown.push(q);
      }
      return nop(shell, `EXPOSE ${ins.ports.map((p) => x(p)).join(' ')}`);
    }
    case 'workdir': {
      const w = x(ins.value);
      cfg.WorkingDir = path.posix.resolve('/', cfg.WorkingDir || '/', w);
      return nop(shell, `WORKDIR ${cfg.WorkingDir}`, true);
    }
    case 'user':
      cfg.User = x(ins.value);
      return nop(shell, `USER ${cfg.User}`);
    case 'stopsignal': {
      const s = x(ins.value);
      if (!/^(SIG[A-Z0-9+-]+|\d+|RTMIN\+\d+)$/i.test(s)) throw new MetadataError(`Invalid signal: ${s}`);
      cfg.StopSignal = s;
      return nop(shell, `STOPSIGNAL ${s}`);
    }
    case 'maintainer':
      st.author = x(ins.value);
      return nop(shell, `MAINTAINER ${st.author}`);
    case 'volume': {
      const vols = (cfg.Volumes ??= {});
      const list: string[] = [];
      for (const v of ins.paths) {
        const e = x(v).trim();
        if (!e) throw new MetadataError('VOLUME specified can not be an empty string');
        vols[e] = {};
        list.push(e);
      }
      return nop(shell, `VOLUME [${list.join(' ')}]`);
    }
    case 'shell':
      cfg.Shell = [...ins.shell];
      return nop(shell, `SHELL [${ins.shell.join(' ')}]`);
    case 'onbuild':
      (cfg.OnBuild ??= []).push(ins.expression);
      return nop(shell, `ONBUILD ${ins.expression}`);
    case 'healthcheck': {
      if (ins.test === null) {
        cfg.Healthcheck = { Test: ['NONE'] };
        return nop(shell, 'HEALTHCHECK NONE');
      }
      const hc: NonNullable<ImageRuntimeConfig['Healthcheck']> = { Test: ins.test };
      if (ins.interval) hc.Interval = parseDuration(ins.interval, 'interval');
      if (ins.timeout) hc.Timeout = parseDuration(ins.timeout, 'timeout');
      if (ins.startPeriod) hc.StartPeriod = parseDuration(ins.startPeriod, 'start-period');
      if (ins.startInterval) hc.StartInterval = parseDuration(ins.startInterval, 'start-interval');
      if (ins.retries !== undefined) {
        const r = Number(ins.retries);
        if (!Number.isInteger(r) || r < 0) throw new MetadataError(`invalid --retries "${ins.retries}"`);
        hc.Retries = r;
      }
      cfg.Healthcheck = hc;
      return nop(shell, `HEALTHCHECK &{${goQuoteList(ins.test)} "${ins.interval ?? '0s'}" "${ins.timeout ?? '0s'}" "${ins.startPeriod ?? '0s'}" "${ins.startInterval ?? '0s'}" '\\x${(hc.Retries ?? 0).toString(16).padStart(2, '0')}'}`);
    }
    default:
      return undefined;
  }
}
