// Registries for distribution tests, each on an ephemeral 127.0.0.1 port:
// berth's own (in-process, optionally with htpasswd + bearer tokens) and the
// CNCF distribution registry (/usr/bin/docker-registry as a child, optionally
// with htpasswd basic auth), ended by PID. Plus an HTTP proxy that can cut a
// blob download once or flip one of its bytes.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as http from 'node:http';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import bcrypt from 'bcryptjs';
import { REPO } from './daemon.js';

export const USER = 'alice';
export const PASS = 'wonderland';

export interface Reg {
  kind: string;
  host: string;
  auth: boolean;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function htpasswd(dir: string): Promise<string> {
  const file = path.join(dir, 'htpasswd');
  await writeFile(file, `${USER}:${bcrypt.hashSync(PASS, 5)}\n`);
  return file;
}

/** berth's registry as a child process (the tests block on spawnSync, so it cannot run in-process). */
export async function berthRegistry(auth: boolean): Promise<Reg> {
  const dir = await mkdtemp(path.join(tmpdir(), 'berth-pull-reg-'));
  const port = await freePort();
  const file = await htpasswd(dir);
  const cfg = path.join(dir, 'registry.yaml');
  await writeFile(
    cfg,
    auth
      ? [
          'auth:',
          `  htpasswd: { realm: berth-test, path: ${file} }`,
          '  token: { service: berth-test, issuer: berth-test, expiration: 300 }',
          `  access: [ { account: ${USER}, name: "*", actions: [pull, push] } ]`,
        ].join('\n') + '\n'
      : '{}\n',
  );
  const main = path.join(REPO, 'dist/src/registry/main.js');
  return child(auth ? 'berth registry (bearer tokens)' : 'berth registry', process.execPath, [main, 'serve', '--addr', `127.0.0.1:${port}`, '--root', path.join(dir, 'data'), '--config', cfg, '--log-level', 'error'], port, auth, dir);
}

async function child(kind: string, cmd: string, args: string[], port: number, auth: boolean, dir: string): Promise<Reg> {
  const proc: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const gone = new Promise((r) => proc.once('exit', r));
      process.kill(proc.pid!, 'SIGTERM');
      const t = setTimeout(() => proc.exitCode === null && process.kill(proc.pid!, 'SIGKILL'), 5000);
      await gone;
      clearTimeout(t);
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/v2/' }, (res) => {
        res.resume();
        resolve(true);
      });
      req.on('error', () => resolve(false));
    });
    if (ok) return { kind, host: `127.0.0.1:${port}`, auth, stop };
    if (proc.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await stop();
  throw new Error(`${kind} did not start: ${log}`);
}

export const DISTRIBUTION = '/usr/bin/docker-registry';

export async function distributionRegistry(auth: boolean): Promise<Reg> {
  const dir = await mkdtemp(path.join(tmpdir(), 'berth-pull-dist-'));
  const port = await freePort();
  const file = await htpasswd(dir);
  const cfg = path.join(dir, 'config.yml');
  await writeFile(
    cfg,
    [
      'version: 0.1',
      'log: { level: error, accesslog: { disabled: true } }',
      `storage: { filesystem: { rootdirectory: ${path.join(dir, 'data')} }, delete: { enabled: true } }`,
      `http: { addr: 127.0.0.1:${port} }`,
      ...(auth ? [`auth: { htpasswd: { realm: basic-realm, path: ${file} } }`] : []),
    ].join('\n') + '\n',
  );
  return child(auth ? 'distribution (htpasswd basic)' : 'distribution', DISTRIBUTION, ['serve', cfg], port, auth, dir);
}

export function hasDistribution(): boolean {
  return existsSync(DISTRIBUTION);
}

export interface FaultProxy {
  host: string;
  /** bytes of blob bodies sent to clients */
  blobBytes: number;
  /** Range headers seen on blob requests */
  ranges: string[];
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of `target`. mode "cut": the first `cuts` blob
 * responses over `minSize` bytes are cut after half their body. mode "flip": every blob response
 * over `minSize` bytes has one byte inverted.
 */
export async function faultProxy(target: string, mode: 'cut' | 'flip', minSize = 1 << 20, cuts = 1): Promise<FaultProxy> {
  const [thost, tport] = target.split(':') as [string, string];
  let cutsLeft = cuts;
  const p: FaultProxy = { host: '', blobBytes: 0, ranges: [], close: async () => {} };
  const server = http.createServer((req, res) => {
    const isBlob = req.method === 'GET' && /\/blobs\/sha256:/.test(req.url ?? '');
    if (isBlob && req.headers.range) p.ranges.push(String(req.headers.range));
    const up = http.request({ host: thost, port: Number(tport), method: req.method, path: req.url, headers: req.headers }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      const len = Number(ur.headers['content-length'] ?? 0);
      const fault = isBlob && len >= minSize && (ur.statusCode === 200 || ur.statusCode === 206);
      let sent = 0;
      ur.on('data', (c: Buffer) => {
        if (fault && mode === 'cut' && cutsLeft > 0 && sent + c.length > len / 2) {
          cutsLeft--;
          const part = c.subarray(0, Math.max(0, Math.floor(len / 2) - sent));
          p.blobBytes += part.length;
          res.write(part, () => res.socket?.destroy());
          ur.destroy();
          return;
        }
        if (fault && mode === 'flip' && sent <= len / 2 && sent + c.length > len / 2) {
          c = Buffer.from(c);
          const i = Math.floor(len / 2) - sent;
          c[i] = c[i]! ^ 0xff;
        }
        sent += c.length;
        if (isBlob) p.blobBytes += c.length;
        res.write(c);
      });
      ur.on('end', () => res.end());
      ur.on('error', () => res.destroy());
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  p.host = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  p.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return p;
}
