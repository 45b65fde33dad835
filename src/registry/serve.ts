// `berth registry serve` and `berth registry gc`: configuration in, a running
// registry out. The CLI wiring is registryCommand() in command.ts.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { invalidArgument, messageOf } from '../common/errors.js';
import { createLogger, type Level, type Logger } from '../common/log.js';
import { loadConfig, defaultConfig, parseAddr, type RegistryConfig } from './config.js';
import { AccessControl } from './server/auth/acl.js';
import { allowAll, type Authorizer } from './server/auth/authorizer.js';
import { BasicAuthorizer } from './server/auth/basic.js';
import { Htpasswd } from './server/auth/htpasswd.js';
import { TokenAuthorizer } from './server/auth/token.js';
import { createRegistryServer } from './server/server.js';
import type { ServerOptions } from './server/options.js';
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

/**
 * The authorizer a config asks for. `tokenSecret` signs tokens when the config
 * names no secret file; a running registry passes the same one on every
 * reload, so tokens it issued stay valid.
 */
export function makeAuthorizer(c: RegistryConfig, tokenSecret: Buffer = randomBytes(32)): Authorizer {
  const acl = new AccessControl(c.auth.access);
  const htpasswd = c.auth.htpasswd ? Htpasswd.load(c.auth.htpasswd.path) : undefined;
  if (c.auth.token) {
    const t = c.auth.token;
    const secret = t.secretFile ? readFileSync(t.secretFile) : tokenSecret;
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
  /**
   * Apply a new configuration to the running registry: auth (htpasswd and
   * token files are read again), access rules, limits, deletes, GC settings,
   * the drain timeout and the TLS certificate and key. Everything is checked
   * before anything changes; a bad config throws and changes nothing. Returns
   * the settings that differ but need a restart (addr, storage, TLS on/off).
   */
  reload(next: RegistryConfig): string[];
  /** Stop accepting, let requests in flight finish (up to graceMs, default the config's drain timeout), then cut the rest. */
  close(graceMs?: number): Promise<void>;
}

export async function startRegistry(c: RegistryConfig, log: Logger = createLogger(c.logLevel), driver = openDriver(c)): Promise<RunningRegistry> {
  const registry = new Registry(driver);
  const tls = c.tls ? { cert: readFileSync(c.tls.certificate), key: readFileSync(c.tls.key) } : undefined;
  const tokenSecret = randomBytes(32);
  // The server reads these on every request, so a reload changes them in place.
  const opts: ServerOptions = { manifestMaxBytes: c.manifestMaxBytes, deleteEnabled: c.deleteEnabled, authorizer: makeAuthorizer(c, tokenSecret) };
  const server = createRegistryServer(registry, opts, log, tls);
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
  let cur = c;
  let gcRunning: Promise<GcReport> | undefined;
  const gc = (dryRun = false): Promise<GcReport> => {
    // One cycle at a time; a request for another while one runs shares it.
    gcRunning ??= collectGarbage(registry, {
      graceMs: cur.gc.graceSec * 1000,
      untagged: cur.gc.untagged,
      uploadTtlMs: cur.gc.uploadTtlSec * 1000,
      dryRun,
      log,
    }).finally(() => (gcRunning = undefined));
    return gcRunning;
  };
  let timer: NodeJS.Timeout | undefined;
  let purge: NodeJS.Timeout | undefined;
  const schedule = () => {
    if (timer) clearInterval(timer);
    if (purge) clearInterval(purge);
    timer = cur.gc.intervalSec > 0 ? setInterval(() => void gc().catch((err) => log.error('gc failed', { err: String(err) })), cur.gc.intervalSec * 1000) : undefined;
    timer?.unref();
    purge =
      cur.gc.uploadPurgeSec > 0
        ? setInterval(() => {
            if (!gcRunning) void purgeUploads(registry, cur.gc.uploadTtlSec * 1000).catch((err) => log.error('upload purge failed', { err: String(err) }));
          }, cur.gc.uploadPurgeSec * 1000)
        : undefined;
    purge?.unref();
  };
  schedule();
  // Requests in flight, so that a drain can tell each to close its connection
  // once answered instead of keeping it alive.
  const inFlight = new Set<ServerResponse>();
  let draining = false;
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    if (draining && !res.headersSent) res.setHeader('Connection', 'close');
    inFlight.add(res);
    res.once('close', () => {
      inFlight.delete(res);
      if (draining) setImmediate(() => server.closeIdleConnections());
    });
  });
  log.info('registry listening', { url, storage: c.storage.kind, auth: c.auth.token ? 'token' : c.auth.htpasswd ? 'htpasswd' : 'none' });
  return {
    registry,
    server,
    port: actual,
    url,
    gc,
    reload(next) {
      const restart: string[] = [];
      if (next.addr !== cur.addr) restart.push('addr');
      if (JSON.stringify(next.storage) !== JSON.stringify(cur.storage)) restart.push('storage');
      if (Boolean(next.tls) !== Boolean(tls)) restart.push('tls');
      // What can change in place; the rest keeps its running value.
      const effective: RegistryConfig = { ...next, addr: cur.addr, storage: cur.storage };
      delete effective.tls;
      if (tls) effective.tls = next.tls ?? cur.tls!;
      // Read and check everything first: a bad file leaves the running config alone.
      const authorizer = makeAuthorizer(effective, tokenSecret);
      const files = next.tls && tls ? { cert: readFileSync(next.tls.certificate), key: readFileSync(next.tls.key) } : undefined;
      if (files) (server as HttpsServer).setSecureContext(files);
      opts.authorizer = authorizer;
      opts.manifestMaxBytes = effective.manifestMaxBytes;
      opts.deleteEnabled = effective.deleteEnabled;
      cur = effective;
      schedule();
      return restart;
    },
    async close(graceMs = cur.drainTimeoutSec * 1000) {
      if (timer) clearInterval(timer);
      if (purge) clearInterval(purge);
      draining = true;
      for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const cut = setTimeout(() => {
        if (inFlight.size > 0) log.warn('drain timeout: cutting requests still in flight', { requests: inFlight.size });
        server.closeAllConnections();
      }, graceMs);
      await closed;
      clearTimeout(cut);
      await gcRunning?.catch(() => undefined);
    },
  };
}

/** A logger whose level a reload can change. */
function reloadableLogger(level: Level): { log: Logger; setLevel(l: Level): void } {
  let inner = createLogger(level);
  return {
    log: {
      debug: (m, f) => inner.debug(m, f),
      info: (m, f) => inner.info(m, f),
      warn: (m, f) => inner.warn(m, f),
      error: (m, f) => inner.error(m, f),
    },
    setLevel(l) {
      inner = createLogger(l);
    },
  };
}

/**
 * Run until SIGTERM/SIGINT, then drain: stop accepting, let requests in
 * flight (uploads included) finish up to the drain timeout, exit. SIGHUP
 * reloads the config file (and the flags over it) as distribution does; a
 * config that does not load keeps the running one.
 */
export async function serveRegistry(flags: RegistryFlags): Promise<void> {
  const c = resolveConfig(flags);
  const logger = reloadableLogger(c.logLevel);
  const log = logger.log;
  const running = await startRegistry(c, log);
  await new Promise<void>((resolve) => {
    const stop = (sig: string) => {
      log.info('shutting down: draining requests in flight', { signal: sig });
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      process.off('SIGHUP', onHup);
      void running.close().then(resolve);
    };
    const onHup = () => {
      try {
        const next = resolveConfig(flags);
        const restart = running.reload(next);
        logger.setLevel(next.logLevel);
        log.info('configuration reloaded', { signal: 'SIGHUP', config: flags.config ?? '(flags only)' });
        if (restart.length > 0) log.warn('these settings changed but need a restart', { settings: restart });
      } catch (err) {
        log.error('configuration reload failed; keeping the running configuration', { signal: 'SIGHUP', err: messageOf(err) });
      }
    };
    const onTerm = () => stop('SIGTERM');
    const onInt = () => stop('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
    process.on('SIGHUP', onHup);
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
