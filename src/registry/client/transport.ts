// How berth reaches a registry host: HTTPS with the system CAs plus the
// per-registry certificates docker reads from /etc/docker/certs.d/<host>/
// (and berth's /etc/berth/certs.d/<host>/), or plain HTTP for insecure
// registries: 127.0.0.0/8 and ::1 by default as docker does, others from the
// daemon config (a host[:port] or a CIDR). For an insecure registry HTTPS is
// tried first, without verifying its certificate, and plain HTTP is the
// fallback, as docker does.
import * as http from 'node:http';
import * as https from 'node:https';
import { readdirSync, readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as tlsModule from 'node:tls';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { unavailable } from '../../common/errors.js';

export interface TransportOptions {
  /** host[:port] or CIDR entries of registries that may be reached over plain HTTP */
  insecureRegistries?: string[];
  /** directories holding <host>/ folders of *.crt (CAs) and *.cert/*.key (client pairs) */
  certsDirs?: string[];
  userAgent?: string;
}

export const DEFAULT_CERTS_DIRS = ['/etc/docker/certs.d', '/etc/berth/certs.d'];

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((a, p) => (a << 8) + Number(p), 0) >>> 0;
}

function inCidr(ip: string, cidr: string): boolean {
  const [base, bitsS] = cidr.split('/');
  const bits = Number(bitsS);
  if (!base || !net.isIPv4(base) || !net.isIPv4(ip) || !(bits >= 0 && bits <= 32)) return false;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (ipv4ToInt(ip) & mask) === (ipv4ToInt(base) & mask);
}

export function hostOnly(hostPort: string): string {
  if (hostPort.startsWith('[')) return hostPort.slice(1, hostPort.indexOf(']'));
  const i = hostPort.lastIndexOf(':');
  return i > 0 && hostPort.indexOf(':') === i ? hostPort.slice(0, i) : hostPort;
}

/** Whether a registry host may be reached over plain HTTP. */
export function isInsecure(hostPort: string, insecure: string[] = []): boolean {
  const h = hostOnly(hostPort);
  if (h === 'localhost' || h === '::1' || (net.isIPv4(h) && inCidr(h, '127.0.0.0/8'))) return true;
  for (const e of insecure) {
    if (e === hostPort || e === h) return true;
    if (e.includes('/') && inCidr(h, e)) return true;
  }
  return false;
}

export interface TlsFiles {
  ca?: Buffer[];
  cert?: Buffer;
  key?: Buffer;
}

/** Read <dir>/<host>/ as docker does: *.crt are CAs, X.cert + X.key a client pair. */
export function tlsFilesFor(hostPort: string, dirs = DEFAULT_CERTS_DIRS): TlsFiles {
  const out: TlsFiles = {};
  for (const dir of dirs) {
    const d = path.join(dir, hostPort);
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      continue;
    }
    for (const n of names.sort()) {
      const p = path.join(d, n);
      if (n.endsWith('.crt')) (out.ca ??= []).push(readFileSync(p));
      else if (n.endsWith('.cert')) {
        const key = path.join(d, n.slice(0, -5) + '.key');
        out.cert = readFileSync(p);
        out.key = readFileSync(key);
      }
    }
  }
  return out;
}

export interface Endpoint {
  host: string;
  scheme: 'http' | 'https';
}

export interface HttpRequest {
  method: string;
  /** absolute URL */
  url: string;
  headers?: Record<string, string>;
  body?: Buffer | string | Readable;
}

/** Keeps one keep-alive agent per scheme and the TLS settings per host. */
export class Transport {
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  private readonly httpsAgents = new Map<string, https.Agent>();
  constructor(readonly opts: TransportOptions = {}) {}

  private httpsAgent(hostPort: string): https.Agent {
    let a = this.httpsAgents.get(hostPort);
    if (!a) {
      const tls = tlsFilesFor(hostPort, this.opts.certsDirs);
      // Extra CAs add to the system store rather than replace it.
      const ca = tls.ca ? [...tlsModule.rootCertificates, ...tls.ca] : undefined;
      // As docker: an insecure registry's certificate is not verified (and plain HTTP is the fallback).
      const verify = !isInsecure(hostPort, this.opts.insecureRegistries);
      a = new https.Agent({ keepAlive: true, maxSockets: 16, rejectUnauthorized: verify, ...(ca ? { ca } : {}), ...(tls.cert ? { cert: tls.cert, key: tls.key } : {}) });
      this.httpsAgents.set(hostPort, a);
    }
    return a;
  }

  send(r: HttpRequest): Promise<http.IncomingMessage> {
    const u = new URL(r.url);
    const secure = u.protocol === 'https:';
    const mod = secure ? https : http;
    const headers: Record<string, string> = { 'User-Agent': this.opts.userAgent ?? 'berth/0.1', ...(r.headers ?? {}) };
    return new Promise((resolve, reject) => {
      const req = mod.request(u, { method: r.method, headers, agent: secure ? this.httpsAgent(u.host) : this.httpAgent }, resolve);
      req.on('error', (err) => reject(networkError(r.method, u, err)));
      const body = r.body;
      if (body === undefined) req.end();
      else if (typeof body === 'string' || Buffer.isBuffer(body)) req.end(body);
      else {
        body.on('error', (e) => req.destroy(e));
        body.pipe(req);
      }
    });
  }

  close(): void {
    this.httpAgent.destroy();
    for (const a of this.httpsAgents.values()) a.destroy();
  }
}

/** A connection failure in docker's words: `Get "https://x/v2/": dial tcp: lookup x: no such host`. */
export function networkError(method: string, u: URL, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException).code;
  const verb = method.charAt(0) + method.slice(1).toLowerCase();
  const what = `${verb} "${u.toString()}"`;
  const why =
    code === 'ENOTFOUND' || code === 'EAI_AGAIN'
      ? `dial tcp: lookup ${u.hostname}: no such host`
      : code === 'ECONNREFUSED'
        ? `dial tcp ${u.host}: connect: connection refused`
        : code === 'ECONNRESET'
          ? 'connection reset by peer'
          : code === 'ETIMEDOUT'
            ? `dial tcp ${u.host}: i/o timeout`
            : (err as Error).message;
  const e = unavailable(`${what}: ${why}`, err);
  (e as { code?: string }).code = code;
  return e;
}

export function isTlsHandshakeError(err: unknown): boolean {
  const c = (err as { code?: string }).code ?? ((err as { cause?: { code?: string } }).cause?.code);
  const m = err instanceof Error ? err.message : '';
  return c === 'EPROTO' || c === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number|ssl|tls|socket hang up|ECONNRESET/i.test(m) || c === 'ECONNRESET';
}
