// berthd's configuration: dockerd's flag names, and a daemon.json with
// dockerd's keys. A setting given both as a flag and in the file is an error,
// as dockerd makes it.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { errnoCode, invalidArgument } from '../common/errors.js';
import type { Level } from '../common/log.js';
import { DEFAULT_CONFIG_FILE, DEFAULT_DATA_ROOT, DEFAULT_EXEC_ROOT, DEFAULT_SOCKET } from './paths.js';

export interface DaemonConfig {
  dataRoot: string;
  execRoot: string;
  hosts: string[];
  pidfile?: string;
  logLevel: Level;
  /** group that may use the socket */
  group: string;
  insecureRegistries: string[];
  registryMirrors: string[];
  defaultRuntime?: string;
  /** name of the default bridge (dockerd's --bridge); berth0 when unset */
  bridge?: string;
}

const FILE_KEYS: Record<string, keyof DaemonConfig> = {
  'data-root': 'dataRoot',
  'exec-root': 'execRoot',
  hosts: 'hosts',
  pidfile: 'pidfile',
  'log-level': 'logLevel',
  group: 'group',
  'insecure-registries': 'insecureRegistries',
  'registry-mirrors': 'registryMirrors',
  'default-runtime': 'defaultRuntime',
  bridge: 'bridge',
};

export function readConfigFile(file: string, mustExist: boolean): Partial<DaemonConfig> & { _keys: string[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' && !mustExist) return { _keys: [] };
    throw invalidArgument(`unable to read daemon config file ${file}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw invalidArgument(`unable to configure the daemon from ${file}: invalid JSON: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalidArgument(`${file}: expected a JSON object`);
  const out: Partial<DaemonConfig> & { _keys: string[] } = { _keys: [] };
  for (const [k, v] of Object.entries(raw)) {
    const key = FILE_KEYS[k];
    if (!key) throw invalidArgument(`the following directives don't match any configuration option: ${k}`);
    const arrayKey = key === 'hosts' || key === 'insecureRegistries' || key === 'registryMirrors';
    if (arrayKey ? !Array.isArray(v) || v.some((x) => typeof x !== 'string') : typeof v !== 'string') {
      throw invalidArgument(`${file}: "${k}" must be ${arrayKey ? 'an array of strings' : 'a string'}`);
    }
    (out as Record<string, unknown>)[key] = v;
    out._keys.push(k);
  }
  if (out.bridge !== undefined && !/^[a-zA-Z0-9_.-]{1,15}$/.test(out.bridge)) throw invalidArgument(`${file}: bridge "${out.bridge}" is not a valid interface name (1-15 characters)`);
  if (out.logLevel && !['debug', 'info', 'warn', 'error'].includes(out.logLevel)) throw invalidArgument(`${file}: log-level "${out.logLevel}" is not one of debug, info, warn, error`);
  return out;
}

export interface FlagValues {
  dataRoot?: string;
  execRoot?: string;
  host?: string[];
  pidfile?: string;
  logLevel?: string;
  group?: string;
  configFile?: string;
  insecureRegistry?: string[];
  registryMirror?: string[];
  defaultRuntime?: string;
  bridge?: string;
}

const FLAG_TO_FILE: Record<string, string> = {
  dataRoot: 'data-root',
  execRoot: 'exec-root',
  host: 'hosts',
  pidfile: 'pidfile',
  logLevel: 'log-level',
  group: 'group',
  insecureRegistry: 'insecure-registries',
  registryMirror: 'registry-mirrors',
  defaultRuntime: 'default-runtime',
  bridge: 'bridge',
};

export function resolveConfig(flags: FlagValues): DaemonConfig {
  const file = readConfigFile(flags.configFile ?? DEFAULT_CONFIG_FILE, flags.configFile !== undefined);
  const both = Object.entries(FLAG_TO_FILE)
    .filter(([flag, key]) => (flags as Record<string, unknown>)[flag] !== undefined && file._keys.includes(key))
    .map(([, key]) => key);
  if (both.length) throw invalidArgument(`the following directives are specified both as a flag and in the configuration file: ${both.join(', ')}`);
  if (flags.bridge !== undefined && !/^[a-zA-Z0-9_.-]{1,15}$/.test(flags.bridge)) throw invalidArgument(`bridge "${flags.bridge}" is not a valid interface name (1-15 characters)`);
  const level = (flags.logLevel ?? file.logLevel ?? 'info') as Level;
  if (!['debug', 'info', 'warn', 'error'].includes(level)) throw invalidArgument(`log level "${level}" is not one of debug, info, warn, error`);
  const config: DaemonConfig = {
    dataRoot: flags.dataRoot ?? file.dataRoot ?? DEFAULT_DATA_ROOT,
    execRoot: flags.execRoot ?? file.execRoot ?? DEFAULT_EXEC_ROOT,
    hosts: flags.host?.length ? flags.host : file.hosts?.length ? file.hosts : [`unix://${DEFAULT_SOCKET}`],
    ...(flags.pidfile ?? file.pidfile ? { pidfile: flags.pidfile ?? file.pidfile } : {}),
    logLevel: level,
    group: flags.group ?? file.group ?? 'berth',
    insecureRegistries: flags.insecureRegistry ?? file.insecureRegistries ?? [],
    registryMirrors: flags.registryMirror ?? file.registryMirrors ?? [],
    ...(flags.defaultRuntime ?? file.defaultRuntime ? { defaultRuntime: flags.defaultRuntime ?? file.defaultRuntime } : {}),
    ...(flags.bridge ?? file.bridge ? { bridge: flags.bridge ?? file.bridge } : {}),
  };
  for (const h of config.hosts) checkHost(h);
  for (const [what, dir] of [['data-root', config.dataRoot], ['exec-root', config.execRoot]] as const) {
    if (!path.isAbsolute(dir)) throw invalidArgument(`${what} "${dir}" must be an absolute path`);
    // overlay's mount options give ',' ':' and '\\' meanings (the snapshotter refuses such a root later, after the host has changed)
    if (/[,:\\]/.test(dir)) throw invalidArgument(`${what} "${dir}" must not contain ',' ':' or '\\'`);
  }
  if (config.defaultRuntime !== undefined && !RUNTIMES.includes(config.defaultRuntime)) throw invalidArgument(`default-runtime ${config.defaultRuntime}: unknown runtime (runc or crun)`);
  return config;
}

const RUNTIMES = ['runc', 'crun'];

/**
 * A listening address as dockerd takes it; checked with the rest of the
 * configuration, before anything on the host changes (a refused start must
 * leave nothing behind). TCP only on loopback until TLS exists.
 */
export function checkHost(h: string): void {
  if (h.startsWith('unix://')) {
    const p = h.slice('unix://'.length);
    if (!path.isAbsolute(p)) throw invalidArgument(`invalid host "${h}": the socket path must be absolute`);
    return;
  }
  if (h.startsWith('tcp://')) {
    let u: URL;
    try {
      u = new URL(h);
    } catch {
      throw invalidArgument(`invalid host "${h}": expected tcp://host:port`);
    }
    const port = u.port === '' ? 2375 : Number(u.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535 || (u.pathname !== '' && u.pathname !== '/')) throw invalidArgument(`invalid host "${h}": expected tcp://host:port`);
    const host = u.hostname.replace(/^\[|\]$/g, '');
    if (!['127.0.0.1', 'localhost', '::1'].includes(host)) {
      throw invalidArgument(`refusing to listen on ${h} without TLS: only loopback TCP is allowed until TLS is configured`);
    }
    return;
  }
  throw invalidArgument(`invalid host "${h}": expected unix:///path or tcp://host:port`);
}
