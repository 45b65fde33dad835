// `berth registry serve` and `berth registry gc`: configuration in, a running
// registry out. The CLI wiring is registryCommand() in command.ts.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { invalidArgument } from '../common/errors.js';
import { createLogger, type Logger } from '../common/log.js';
import { loadConfig, defaultConfig, parseAddr, type RegistryConfig } from './config.js';
import { AccessControl } from './server/auth/acl.js';
import { allowAll, type Authorizer } from './server/auth/authorizer.js';
import { BasicAuthorizer } from './server/auth/basic.js';
import { Htpasswd } from './server/auth/htpasswd.js';
import { TokenAuthorizer } from './server/auth/token.js';
import { createRegistryServer } from './server/server.js';
import { FilesystemDriver } from './storage/fs/driver.js';
import { MemoryDriver } from './storage/memory/driver.js';
import type { StorageDriver } from './storage/driver.js';
import { collectGarbage, purgeUploads, type GcReport } from './store/gc.js';
import { Registry } from './store/registry.js';

/** Command-line flags; each overrides the config file. */
export interface RegistryFlags {
  addr?: string;
  root?: string;
  config?: string;
  logLevel?: string;
}

export function resolveConfig(flags: RegistryFlags): RegistryConfig {
  const c = flags.config ? loadConfig(flags.config) : defaultConfig();
  if (flags.addr !== undefined) {
    parseAddr(flags.addr);
    c.addr = flags.addr;
  }
  if (flags.root !== undefined) {
    if (flags.root === '') throw invalidArgument('--root must not be empty');
    c.storage = { kind: 'filesystem', root: flags.root };
  }
  if (flags.logLevel !== undefined) {
    const l = flags.logLevel;
    if (l !== 'debug' && l !== 'info' && l !== 'warn' && l !== 'error') throw invalidArgument(`invalid log level "${l}"`);
    c.logLevel = l;
  }
  return c;
}

export function openDriver(c: RegistryConfig): StorageDriver {
  if (c.storage.kind === 'inmemory') return new MemoryDriver();
  mkdirSync(c.storage.root, { recursive: true });
  return new FilesystemDriver(c.storage.root);
}

export function makeAuthorizer(c: RegistryConfig): Authorizer {
  const acl = new AccessControl(c.auth.access);
  const htpasswd = c.auth.htpasswd ? Htpasswd.load(c.auth.htpasswd.path) : undefined;
  if (c.auth.token) {
    const t = c.auth.token;
    const secret = t.secretFile ? readFileSync(t.secretFile) : randomBytes(32);
    if (secret.length < 32) throw invalidArgument('auth.token.secretfile must hold at least 32 bytes');
    const cfg = { service: t.service, issuer: t.issuer, secret, expiresIn: t.expiration, scheme: c.tls ? 'https' : 'http' } as const;
    return new TokenAuthorizer(t.realm ? { ...cfg, realm: t.realm } : cfg, acl, htpasswd);
  }
  if (htpasswd) return new BasicAuthorizer(htpasswd, acl, c.auth.htpasswd!.realm);
  return allowAll;
}

export interface RunningRegistry {
  readonly registry: Registry;
  readonly server: Server;
  readonly port: number;
  /** base URL, e.g. http://127.0.0.1:5000 */
  readonly url: string;
  gc(dryRun?: boolean): Promise<GcReport>;
  /** Stop accepting, let requests in flight finish (up to graceMs), then cut the rest. */
  close(graceMs?: number): Promise<void>;
}

export async function startRegistry(c: RegistryConfig, log: Logger = createLogger(c.logLevel), driver = openDriver(c)): Promise<RunningRegistry> {
  const registry = new Registry(driver);
  const tls = c.tls ? { cert: readFileSync(c.tls.certificate), key: readFileSync(c.tls.key) } : undefined;
  const server = createRegistryServer(
    registry,
    { manifestMaxBytes: c.manifestMaxBytes, deleteEnabled: c.deleteEnabled, authorizer: makeAuthorizer(c) },
    log,
    tls,
  );
  const { host, port } = parseAddr(c.addr);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actual = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const url = `${tls ? 'https' : 'http'}://${shownHost}:${actual}`;
  let gcRunning: Promise<GcReport> | undefined;
  const gc = (dryRun = false): Promise<GcReport> => {
    // One cycle at a time; a request for another while one runs shares it.
    gcRunning ??= collectGarbage(registry, {
      graceMs: c.gc.graceSec * 1000,
      untagged: c.gc.untagged,
      uploadTtlMs: c.gc.uploadTtlSec * 1000,
      dryRun,
      log,
    }).finally(() => (gcRunning = undefined));
    return gcRunning;
  };
  const timer = c.gc.intervalSec > 0 ? setInterval(() => void gc().catch((err) => log.error('gc failed', { err: String(err) })), c.gc.intervalSec * 1000) : undefined;
  timer?.unref();
  const purge =
    c.gc.uploadPurgeSec > 0
      ? setInterval(() => {
          if (!gcRunning) void purgeUploads(registry, c.gc.uploadTtlSec * 1000).catch((err) => log.error('upload purge failed', { err: String(err) }));
        }, c.gc.uploadPurgeSec * 1000)
      : undefined;
  purge?.unref();
  log.info('registry listening', { url, storage: c.storage.kind, auth: c.auth.token ? 'token' : c.auth.htpasswd ? 'htpasswd' : 'none' });
  return {
    registry,
    server,
    port: actual,
    url,
    gc,
    async close(graceMs = 10_000) {
      if (timer) clearInterval(timer);
      if (purge) clearInterval(purge);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const cut = setTimeout(() => server.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(cut);
      await gcRunning?.catch(() => undefined);
    },
  };
}

/** Run until SIGTERM/SIGINT, then shut down gracefully. */
export async function serveRegistry(flags: RegistryFlags): Promise<void> {
  const c = resolveConfig(flags);
  const log = createLogger(c.logLevel);
  const running = await startRegistry(c, log);
  await new Promise<void>((resolve) => {
    const stop = (sig: string) => {
      log.info('shutting down', { signal: sig });
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      void running.close().then(resolve);
    };
    const onTerm = () => stop('SIGTERM');
    const onInt = () => stop('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
  });
}

/** One GC cycle against the configured storage, from outside a running server. */
export async function gcRegistry(flags: RegistryFlags & { dryRun?: boolean; untagged?: boolean }): Promise<GcReport> {
  const c = resolveConfig(flags);
  if (c.storage.kind === 'inmemory') throw invalidArgument('gc needs persistent storage (storage.filesystem)');
  const registry = new Registry(openDriver(c));
  return collectGarbage(registry, {
    graceMs: c.gc.graceSec * 1000,
    untagged: flags.untagged ?? c.gc.untagged,
    uploadTtlMs: c.gc.uploadTtlSec * 1000,
    dryRun: flags.dryRun ?? false,
    log: createLogger(c.logLevel),
  });
}
