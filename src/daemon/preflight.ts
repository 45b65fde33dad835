// Everything a start can be refused for, checked before anything on the host
// changes: a refused berthd leaves no directory, mount, bridge or iptables
// rule behind. The configuration itself is checked by resolveConfig; here
// what depends on the host: another daemon on the same pid file or socket, a
// TCP port taken, roots that cannot be written. Then, once the roots exist,
// the data root's lock (held until the process ends, kill -9 included) makes
// a second daemon on the same data root, whatever its socket, fail before its
// recovery could undo the first one's live builds.
import { accessSync, closeSync, constants, mkdirSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { conflict, errnoCode, invalidArgument } from '../common/errors.js';
import { tryFlock } from '../common/libc.js';
import type { DaemonConfig } from './config.js';
import type { DaemonPaths } from './paths.js';

/** The pid a pid file names when that process is alive (a zombie, e.g. kill -9 not yet reaped, is not). */
export function livePid(file: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(file, 'utf8').trim());
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if (errnoCode(err) === 'ESRCH') return undefined;
    throw err;
  }
  try {
    // "pid (comm) S ...": the state follows the last ')'
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return undefined;
  } catch {
    return undefined;
  }
  return pid;
}

function checkPidfile(file: string): void {
  const pid = livePid(file);
  if (pid !== undefined) throw conflict(`berthd is already running (pid ${pid}, from ${file})`);
}

/** Whether something accepts connections on a unix socket path. */
function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(socketPath);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** A TCP address can be bound (probed by binding it and letting go at once). */
function bindable(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', (err) => resolve(errnoCode(err) ?? String(err)));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(undefined)));
  });
}

async function checkHosts(hosts: readonly string[]): Promise<void> {
  for (const h of hosts) {
    if (h.startsWith('unix://')) {
      const p = h.slice('unix://'.length);
      // the socket of a live daemon would be unlinked and taken over by listen()
      if (await answers(p)) throw conflict(`another daemon is listening on ${h}: stop it first, or give this one its own socket (-H)`);
      checkCreatable('socket', path.dirname(p));
    } else {
      const u = new URL(h);
      const err = await bindable(u.hostname.replace(/^\[|\]$/g, ''), Number(u.port || 2375));
      if (err) throw conflict(`cannot listen on ${h}: ${err === 'EADDRINUSE' ? 'the address is already in use' : err}`);
    }
  }
}

/**
 * `dir` exists as a writable directory, or can be made: its nearest existing
 * ancestor is a directory this process may write (EROFS, EACCES and a file in
 * the way are found here, not by a mkdir halfway through the start).
 */
function checkCreatable(what: string, dir: string): void {
  let p = path.resolve(dir);
  for (;;) {
    let st;
    try {
      st = statSync(p);
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT') {
        p = path.dirname(p);
        continue;
      }
      if (code === 'ENOTDIR') throw invalidArgument(`${what} ${dir}: a path component is not a directory`);
      throw invalidArgument(`${what} ${dir}: ${(err as Error).message}`);
    }
    if (!st.isDirectory()) throw invalidArgument(`${what} ${dir}: ${p} is not a directory`);
    try {
      accessSync(p, constants.W_OK | constants.X_OK);
    } catch (err) {
      throw invalidArgument(`${what} ${dir}: ${p} is not writable (${errnoCode(err) ?? (err as Error).message})`);
    }
    return;
  }
}

/** The checks that need the host but change nothing on it. */
export async function preflight(config: DaemonConfig, paths: DaemonPaths): Promise<void> {
  checkPidfile(paths.pidfile);
  await checkHosts(config.hosts);
  checkCreatable('data-root', paths.dataRoot);
  checkCreatable('exec-root', paths.execRoot);
  checkCreatable('pidfile', path.dirname(paths.pidfile));
}

/**
 * Lock the data root for this process (kept until it exits; a lock of a
 * killed daemon goes with it). Refused when another berthd holds it.
 */
export function lockDataRoot(dataRoot: string): number {
  const file = path.join(dataRoot, 'berthd.lock');
  const fd = openSync(file, 'a', 0o600);
  if (!tryFlock(fd)) {
    closeSync(fd);
    throw conflict(`data root ${dataRoot} is in use by another berthd (it holds ${file}): give this daemon its own --data-root`);
  }
  return fd;
}

/** Write this process's pid file (checked again: another daemon may have started since preflight). */
export function claimPidfile(file: string): void {
  checkPidfile(file);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${process.pid}\n`);
}
