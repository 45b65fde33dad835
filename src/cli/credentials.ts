// Registry credentials where docker keeps them: $DOCKER_CONFIG/config.json
// (default ~/.docker/config.json), "auths" with base64 "user:pass", or a
// credential helper (credHelpers per registry, else credsStore) run as
// `docker-credential-<name> get|store|erase` with docker's JSON protocol.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';
import { DEFAULT_DOMAIN, parseReference } from '../common/reference.js';

export const INDEX_SERVER = 'https://index.docker.io/v1/';

export interface AuthConfig {
  username?: string;
  password?: string;
  identitytoken?: string;
  serveraddress?: string;
}

interface ConfigFile {
  auths?: Record<string, { auth?: string; identitytoken?: string; username?: string; password?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  [k: string]: unknown;
}

export function configDir(): string {
  return process.env['DOCKER_CONFIG'] ?? path.join(homedir(), '.docker');
}

function configPath(): string {
  return path.join(configDir(), 'config.json');
}

function readConfig(): ConfigFile {
  try {
    const j = JSON.parse(readFileSync(configPath(), 'utf8')) as unknown;
    return typeof j === 'object' && j !== null && !Array.isArray(j) ? (j as ConfigFile) : {};
  } catch {
    return {};
  }
}

function writeConfig(c: ConfigFile): void {
  mkdirSync(configDir(), { recursive: true, mode: 0o700 });
  const tmp = configPath() + '.tmp' + process.pid;
  writeFileSync(tmp, JSON.stringify(c, null, '\t') + '\n', { mode: 0o600 });
  renameSync(tmp, configPath());
}

/** The key docker files a registry under: the index URL for docker.io, else host[:port]. */
export function registryKey(server: string | undefined): string {
  if (!server) return INDEX_SERVER;
  const s = server.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  if (s === 'docker.io' || s === 'index.docker.io' || s === 'registry-1.docker.io') return INDEX_SERVER;
  return s;
}

/** The registry key of an image reference ("alpine" → the docker.io index). */
export function keyForImage(image: string): string {
  const ref = parseReference(image);
  return ref.domain === DEFAULT_DOMAIN ? INDEX_SERVER : ref.domain;
}

function helperFor(c: ConfigFile, key: string): string | undefined {
  const host = key === INDEX_SERVER ? 'index.docker.io' : key;
  return c.credHelpers?.[key] ?? c.credHelpers?.[host] ?? c.credsStore;
}

function runHelper(helper: string, action: 'get' | 'store' | 'erase', input: string): string {
  const r = spawnSync(`docker-credential-${helper}`, [action], { input, encoding: 'utf8' });
  if (r.error) throw new Error(`error getting credentials - err: ${r.error.message}, out: \`\``);
  if (r.status !== 0) {
    const out = (r.stdout || r.stderr).trim();
    if (/credentials not found/i.test(out)) return '';
    throw new Error(`error ${action === 'get' ? 'getting' : action === 'store' ? 'storing' : 'erasing'} credentials - err: exit status ${r.status}, out: \`${out}\``);
  }
  return r.stdout;
}

export function getCredentials(key: string): AuthConfig {
  const c = readConfig();
  const helper = helperFor(c, key);
  if (helper) {
    const out = runHelper(helper, 'get', key);
    if (!out.trim()) return { serveraddress: key };
    const j = JSON.parse(out) as { Username?: string; Secret?: string };
    // docker: a username of "<token>" means the secret is an identity token
    if (j.Username === '<token>') return { identitytoken: j.Secret ?? '', serveraddress: key };
    return { username: j.Username ?? '', password: j.Secret ?? '', serveraddress: key };
  }
  const e = c.auths?.[key];
  if (!e) return { serveraddress: key };
  const out: AuthConfig = { serveraddress: key };
  if (e.auth) {
    const dec = Buffer.from(e.auth, 'base64').toString('utf8');
    const i = dec.indexOf(':');
    out.username = dec.slice(0, i);
    out.password = dec.slice(i + 1);
  } else {
    if (e.username) out.username = e.username;
    if (e.password) out.password = e.password;
  }
  if (e.identitytoken) out.identitytoken = e.identitytoken;
  return out;
}

/**
 * Every stored credential, by registry (docker's GetAllCredentials: what
 * `build` sends as X-Registry-Config so the daemon can pull base images).
 * A credsStore holds more than the config file names; those are not listed.
 */
export function allCredentials(): Record<string, AuthConfig> {
  const c = readConfig();
  const out: Record<string, AuthConfig> = {};
  for (const key of new Set([...Object.keys(c.auths ?? {}), ...Object.keys(c.credHelpers ?? {})])) {
    const a = getCredentials(key);
    if (a.username || a.password || a.identitytoken) out[key] = a;
  }
  return out;
}

/** Store credentials; returns where they went ("file" warns that they are unencrypted). */
export function storeCredentials(key: string, a: AuthConfig): 'file' | 'helper' {
  const c = readConfig();
  const helper = helperFor(c, key);
  if (helper) {
    runHelper(helper, 'store', JSON.stringify({ ServerURL: key, Username: a.identitytoken ? '<token>' : a.username ?? '', Secret: a.identitytoken ?? a.password ?? '' }));
    c.auths ??= {};
    c.auths[key] = {};
    writeConfig(c);
    return 'helper';
  }
  c.auths ??= {};
  c.auths[key] = { auth: Buffer.from(`${a.username ?? ''}:${a.password ?? ''}`).toString('base64'), ...(a.identitytoken ? { identitytoken: a.identitytoken } : {}) };
  writeConfig(c);
  return 'file';
}

/** Remove credentials; false when there were none. */
export function eraseCredentials(key: string): boolean {
  const c = readConfig();
  const helper = helperFor(c, key);
  let had = false;
  if (helper) {
    const got = runHelper(helper, 'get', key);
    had = got.trim() !== '';
    if (had) runHelper(helper, 'erase', key);
  }
  if (c.auths?.[key]) {
    had = true;
    delete c.auths[key];
    writeConfig(c);
  }
  return had;
}

/** The X-Registry-Auth header value: base64url JSON, as the docker CLI sends it. */
export function encodeAuthHeader(a: AuthConfig): string {
  return Buffer.from(JSON.stringify(a)).toString('base64url');
}

export function configFilePath(): string {
  return configPath();
}
