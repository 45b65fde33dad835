// registry.yaml: parsed with the `yaml` package and validated field by field
// (it crosses the process boundary). Unknown keys are refused so a typo does
// not silently turn auth off.
//
//   addr: 127.0.0.1:5000          # or http: { addr: ... }
//   http: { draintimeout: 10 }     # seconds requests in flight get to finish on SIGTERM
//   storage:
//     filesystem: { rootdirectory: /var/lib/berth-registry }   # or  inmemory: {}
//     delete: { enabled: true }
//   limits: { manifestbytes: 4194304 }
//   tls: { certificate: /etc/berth/cert.pem, key: /etc/berth/key.pem }
//   auth:
//     htpasswd: { realm: berth-registry, path: /etc/berth/htpasswd }
//     token: { realm: https://registry.example/token, service: berth-registry,
//              issuer: berth-registry, secretfile: /etc/berth/token.key, expiration: 300 }
//     access: [ { account: alice, name: "team/*", actions: [pull, push] } ]
//   gc: { interval: 3600, grace: 600, untagged: false, uploadttl: 86400, uploadpurge: 3600 }
//       # seconds; interval 0 = no scheduled GC; uploadpurge: how often idle uploads are
//       # reclaimed even without GC (0 = never); uploadttl: also how long GC keeps the blobs
//       # of a push whose manifest has not come (store/gc.ts)
//   log: { level: info }
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { invalidArgument, wrap } from '../common/errors.js';
import type { Level } from '../common/log.js';
import { parseRules, type AccessRule } from './server/auth/acl.js';

export interface RegistryConfig {
  addr: string;
  storage: { kind: 'filesystem'; root: string } | { kind: 'inmemory' };
  deleteEnabled: boolean;
  manifestMaxBytes: number;
  tls?: { certificate: string; key: string };
  auth: {
    htpasswd?: { realm: string; path: string };
    token?: { realm?: string; service: string; issuer: string; secretFile?: string; expiration: number };
    access: AccessRule[];
  };
  gc: { intervalSec: number; graceSec: number; untagged: boolean; uploadTtlSec: number; uploadPurgeSec: number };
  logLevel: Level;
  /** seconds requests in flight get to finish after SIGTERM before they are cut */
  drainTimeoutSec: number;
}

export function defaultConfig(): RegistryConfig {
  return {
    addr: '127.0.0.1:5000',
    storage: { kind: 'filesystem', root: '/var/lib/berth-registry' },
    deleteEnabled: true,
    manifestMaxBytes: 4 * 1024 * 1024,
    auth: { access: [] },
    gc: { intervalSec: 0, graceSec: 600, untagged: false, uploadTtlSec: 86400, uploadPurgeSec: 3600 },
    logLevel: 'info',
    drainTimeoutSec: 10,
  };
}

type Obj = Record<string, unknown>;

function obj(v: unknown, where: string, keys: string[]): Obj {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw invalidArgument(`${where} must be a mapping`);
  for (const k of Object.keys(v)) if (!keys.includes(k)) throw invalidArgument(`${where}: unknown key "${k}"`);
  return v as Obj;
}

function str(v: unknown, where: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') throw invalidArgument(`${where} must be a non-empty string`);
  return v;
}

function num(v: unknown, where: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw invalidArgument(`${where} must be a non-negative number`);
  return v;
}

function bool(v: unknown, where: string): boolean | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw invalidArgument(`${where} must be true or false`);
  return v;
}

export function parseConfig(text: string, source = 'registry.yaml'): RegistryConfig {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw wrap(invalidArgument(String(err)), source);
  }
  const c = defaultConfig();
  const top = obj(doc, source, ['version', 'addr', 'storage', 'limits', 'tls', 'auth', 'gc', 'log', 'http']);
  const http = obj(top.http, 'http', ['addr', 'draintimeout']);
  c.addr = str(top.addr, 'addr') ?? str(http.addr, 'http.addr') ?? c.addr;
  c.drainTimeoutSec = num(http.draintimeout, 'http.draintimeout') ?? c.drainTimeoutSec;
  const storage = obj(top.storage, 'storage', ['filesystem', 'inmemory', 'delete']);
  if (storage.inmemory !== undefined) c.storage = { kind: 'inmemory' };
  if (storage.filesystem !== undefined) {
    const fs = obj(storage.filesystem, 'storage.filesystem', ['rootdirectory']);
    c.storage = { kind: 'filesystem', root: str(fs.rootdirectory, 'storage.filesystem.rootdirectory') ?? '/var/lib/berth-registry' };
  }
  c.deleteEnabled = bool(obj(storage.delete, 'storage.delete', ['enabled']).enabled, 'storage.delete.enabled') ?? c.deleteEnabled;
  c.manifestMaxBytes = num(obj(top.limits, 'limits', ['manifestbytes']).manifestbytes, 'limits.manifestbytes') ?? c.manifestMaxBytes;
  if (top.tls !== undefined) {
    const t = obj(top.tls, 'tls', ['certificate', 'key']);
    const certificate = str(t.certificate, 'tls.certificate');
    const key = str(t.key, 'tls.key');
    if (!certificate || !key) throw invalidArgument('tls needs certificate and key');
    c.tls = { certificate, key };
  }
  const auth = obj(top.auth, 'auth', ['htpasswd', 'token', 'access']);
  if (auth.htpasswd !== undefined) {
    const h = obj(auth.htpasswd, 'auth.htpasswd', ['realm', 'path']);
    const path = str(h.path, 'auth.htpasswd.path');
    if (!path) throw invalidArgument('auth.htpasswd.path is required');
    c.auth.htpasswd = { realm: str(h.realm, 'auth.htpasswd.realm') ?? 'berth-registry', path };
  }
  if (auth.token !== undefined) {
    const t = obj(auth.token, 'auth.token', ['realm', 'service', 'issuer', 'secretfile', 'expiration']);
    const tok: NonNullable<RegistryConfig['auth']['token']> = {
      service: str(t.service, 'auth.token.service') ?? 'berth-registry',
      issuer: str(t.issuer, 'auth.token.issuer') ?? 'berth-registry',
      expiration: num(t.expiration, 'auth.token.expiration') ?? 300,
    };
    const realm = str(t.realm, 'auth.token.realm');
    if (realm) tok.realm = realm;
    const secretFile = str(t.secretfile, 'auth.token.secretfile');
    if (secretFile) tok.secretFile = secretFile;
    c.auth.token = tok;
  }
  c.auth.access = parseRules(auth.access);
  const gc = obj(top.gc, 'gc', ['interval', 'grace', 'untagged', 'uploadttl', 'uploadpurge']);
  c.gc = {
    intervalSec: num(gc.interval, 'gc.interval') ?? c.gc.intervalSec,
    graceSec: num(gc.grace, 'gc.grace') ?? c.gc.graceSec,
    untagged: bool(gc.untagged, 'gc.untagged') ?? c.gc.untagged,
    uploadTtlSec: num(gc.uploadttl, 'gc.uploadttl') ?? c.gc.uploadTtlSec,
    uploadPurgeSec: num(gc.uploadpurge, 'gc.uploadpurge') ?? c.gc.uploadPurgeSec,
  };
  const level = obj(top.log, 'log', ['level']).level;
  if (level !== undefined) {
    if (level !== 'debug' && level !== 'info' && level !== 'warn' && level !== 'error') throw invalidArgument('log.level must be debug, info, warn or error');
    c.logLevel = level;
  }
  return c;
}

export function loadConfig(path: string): RegistryConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw wrap(invalidArgument(String(err)), `reading config ${path}`);
  }
  return parseConfig(text, path);
}

/** "host:port", "[::1]:port" or ":port" → host and port; validated. */
export function parseAddr(addr: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]*)):(\d{1,5})$/.exec(addr);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw invalidArgument(`invalid address "${addr}": expected host:port`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}
