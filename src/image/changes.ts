// `docker import --change` / `docker commit --change`: Dockerfile instructions
// that only touch the image config. Only the instructions docker accepts there
// are allowed; the shared word splitting follows docker's quoting rules
// (double quotes with backslash escapes, single quotes literal).
// TODO(build issue): reuse the full Dockerfile parser once build/ has it.
import { invalidArgument } from '../common/errors.js';
import type { ImageRuntimeConfig } from '../oci/image.js';
import * as path from 'node:path';

const VALID = new Set(['cmd', 'entrypoint', 'env', 'expose', 'label', 'onbuild', 'stopsignal', 'user', 'volume', 'workdir', 'healthcheck']);

/** Split on whitespace, honouring quotes; quotes are removed. */
export function splitWords(s: string, what: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < s.length) cur += s[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) throw invalidArgument(`${what}: unterminated quote in "${s}"`);
  if (inWord) words.push(cur);
  return words;
}

function execOrShell(rest: string, shell: string[]): string[] {
  const t = rest.trim();
  if (t.startsWith('[')) {
    try {
      const v: unknown = JSON.parse(t);
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
    } catch {
      /* not JSON: docker falls back to the shell form */
    }
  }
  return [...shell, t];
}

function keyValues(rest: string, instr: string): [string, string][] {
  const words = splitWords(rest, instr);
  if (words.length === 0) throw invalidArgument(`${instr} requires at least one argument`);
  if (!words[0]!.includes('=')) {
    // legacy form: ENV key value with spaces
    const m = /^\s*(\S+)\s+(.*)$/s.exec(rest);
    if (!m) throw invalidArgument(`${instr} names can not be blank`);
    return [[m[1]!, splitWords(m[2]!, instr).join(' ')]];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw invalidArgument(`${instr}: "${w}" is not of the form key=value`);
    return [w.slice(0, eq), w.slice(eq + 1)];
  });
}

function parseDuration(s: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)$/.exec(s);
  if (!m) throw invalidArgument(`${what}: invalid duration "${s}"`);
  const mult: Record<string, number> = { ns: 1, us: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  return Math.round(Number(m[1]) * mult[m[2]!]!);
}

/** Apply each change line to a copy of `base` and return it. */
export function applyChanges(base: ImageRuntimeConfig, changes: readonly string[]): ImageRuntimeConfig {
  const cfg: ImageRuntimeConfig = structuredClone(base);
  const shell = cfg.Shell ?? ['/bin/sh', '-c'];
  for (const raw of changes) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\S+)\s*(.*)$/s.exec(line)!;
    const instr = m[1]!.toLowerCase();
    const rest = m[2]!;
    if (!VALID.has(instr)) throw invalidArgument(`${m[1]!.toUpperCase()} is not a valid change command`);
    const name = instr.toUpperCase();
    switch (instr) {
      case 'cmd':
        cfg.Cmd = execOrShell(rest, shell);
        break;
      case 'entrypoint':
        cfg.Entrypoint = execOrShell(rest, shell);
        break;
      case 'env': {
        const env = [...(cfg.Env ?? [])];
        for (const [k, v] of keyValues(rest, name)) {
          const i = env.findIndex((e) => e.split('=')[0] === k);
          if (i >= 0) env[i] = `${k}=${v}`;
          else env.push(`${k}=${v}`);
        }
        cfg.Env = env;
        break;
      }
      case 'label':
        cfg.Labels = { ...(cfg.Labels ?? {}) };
        for (const [k, v] of keyValues(rest, name)) cfg.Labels[k] = v;
        break;
      case 'expose': {
        cfg.ExposedPorts = { ...(cfg.ExposedPorts ?? {}) };
        for (const p of splitWords(rest, name)) {
          if (!/^\d+(-\d+)?(\/(tcp|udp|sctp))?$/i.test(p)) throw invalidArgument(`EXPOSE: invalid port "${p}"`);
          cfg.ExposedPorts[p.includes('/') ? p.toLowerCase() : `${p}/tcp`] = {};
        }
        break;
      }
      case 'volume': {
        cfg.Volumes = { ...(cfg.Volumes ?? {}) };
        const vols = rest.trim().startsWith('[') ? execOrShell(rest, []) : splitWords(rest, name);
        if (vols.length === 0 || vols.some((v) => v === '')) throw invalidArgument('VOLUME specified can not be an empty string');
        for (const v of vols) cfg.Volumes[v] = {};
        break;
      }
      case 'workdir': {
        const w = splitWords(rest, name).join(' ');
        if (!w) throw invalidArgument('WORKDIR requires exactly one argument');
        cfg.WorkingDir = path.posix.resolve('/', cfg.WorkingDir ?? '/', w);
        break;
      }
      case 'user':
        if (!rest.trim()) throw invalidArgument('USER requires exactly one argument');
        cfg.User = rest.trim();
        break;
      case 'stopsignal':
        if (!/^(SIG)?[A-Z0-9+-]+$/i.test(rest.trim())) throw invalidArgument(`STOPSIGNAL: invalid signal "${rest.trim()}"`);
        cfg.StopSignal = rest.trim();
        break;
      case 'onbuild': {
        const inner = rest.trim().split(/\s+/)[0]?.toUpperCase() ?? '';
        if (!inner) throw invalidArgument('ONBUILD requires an instruction');
        if (inner === 'ONBUILD' || inner === 'FROM' || inner === 'MAINTAINER') throw invalidArgument(`${inner} isn't allowed as an ONBUILD trigger`);
        cfg.OnBuild = [...(cfg.OnBuild ?? []), rest.trim()];
        break;
      }
      case 'healthcheck': {
        const words = rest.trim();
        if (/^none$/i.test(words)) {
          cfg.Healthcheck = { Test: ['NONE'] };
          break;
        }
        const hc: NonNullable<ImageRuntimeConfig['Healthcheck']> = {};
        let r = words;
        for (;;) {
          const f = /^--(interval|timeout|start-period|start-interval|retries)=(\S+)\s+/.exec(r);
          if (!f) break;
          r = r.slice(f[0].length);
          if (f[1] === 'retries') hc.Retries = Number(f[2]);
          else {
            const key = ({ interval: 'Interval', timeout: 'Timeout', 'start-period': 'StartPeriod', 'start-interval': 'StartInterval' } as const)[f[1] as 'interval'];
            hc[key] = parseDuration(f[2]!, 'HEALTHCHECK');
          }
        }
        const cm = /^CMD\s+(.*)$/is.exec(r);
        if (!cm) throw invalidArgument('HEALTHCHECK: expected "CMD <command>" or "NONE"');
        const args = execOrShell(cm[1]!, []);
        hc.Test = args.length === 1 && !cm[1]!.trim().startsWith('[') ? ['CMD-SHELL', args[0]!] : ['CMD', ...args];
        cfg.Healthcheck = hc;
        break;
      }
    }
  }
  return cfg;
}
