// The Engine API client: HTTP over a unix socket or TCP, with docker's API
// version negotiation (the lower of the server's and berth's version).
import * as http from 'node:http';
import * as net from 'node:net';
import type { Duplex, Readable } from 'node:stream';
import { BerthError, type ErrorKind } from '../common/errors.js';

export const CLIENT_API_VERSION = '1.45';

export class ApiError extends BerthError {
  constructor(readonly status: number, message: string) {
    super(kindForStatus(status), message);
  }
}

function kindForStatus(s: number): ErrorKind {
  return s === 404 ? 'NotFound' : s === 409 ? 'Conflict' : s === 400 ? 'InvalidArgument' : s === 401 ? 'Unauthorized' : s === 403 ? 'Forbidden' : s === 503 ? 'Unavailable' : 'Internal';
}

/** The daemon could not be reached at all (no socket, refused). */
export class ConnectError extends BerthError {
  constructor(readonly host: string, readonly code: string | undefined, message: string) {
    super('Unavailable', message);
  }
}

export interface RequestOptions {
  query?: Record<string, string | string[] | boolean | number | undefined>;
  body?: Readable | Buffer | string | object;
  headers?: Record<string, string>;
}

function compareVersions(a: string, b: string): number {
  const [a1, a2] = a.split('.').map(Number);
  const [b1, b2] = b.split('.').map(Number);
  return (a1! - b1!) || (a2! - b2!);
}

export class EngineClient {
  private negotiated: string | undefined;
  private readonly target: { socketPath: string } | { host: string; port: number };

  constructor(readonly host: string) {
    if (host.startsWith('unix://')) this.target = { socketPath: host.slice(7) };
    else if (host.startsWith('tcp://') || host.startsWith('http://')) {
      const u = new URL(host.replace(/^tcp:/, 'http:'));
      this.target = { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 2375) };
    } else if (host.startsWith('/')) this.target = { socketPath: host };
    else throw new BerthError('InvalidArgument', `unsupported host "${host}": use unix:///path or tcp://host:port`);
  }

  /**
   * How http.request reaches the daemon. A unix socket is connected directly
   * (createConnection, no Agent): the CLI makes one or two requests, and the
   * Agent's TLS server-name guess compiles node's IPv6 regex, ~15 ms of every
   * command's start-up.
   */
  private connectOptions(): http.RequestOptions {
    if ('socketPath' in this.target) {
      const p = this.target.socketPath;
      return { createConnection: () => net.createConnection(p) };
    }
    return this.target;
  }

  /** GET /_ping; also learns the server's API version. */
  async ping(): Promise<{ apiVersion: string; osType?: string }> {
    const res = await this.raw('GET', '/_ping', {});
    res.resume();
    if (res.statusCode !== 200) throw new ApiError(res.statusCode ?? 500, `ping: HTTP ${res.statusCode}`);
    const v = String(res.headers['api-version'] ?? CLIENT_API_VERSION);
    // a ping (autostart's check) also settles the version: no second one before the first request
    this.negotiated ??= negotiate(v);
    return { apiVersion: v, ...(res.headers['ostype'] ? { osType: String(res.headers['ostype']) } : {}) };
  }

  async apiVersion(): Promise<string> {
    if (!this.negotiated) {
      const { apiVersion } = await this.ping();
      this.negotiated = negotiate(apiVersion);
    }
    return this.negotiated;
  }

  /** A versioned request; a non-2xx answer becomes an ApiError with the daemon's message. */
  async request(method: string, path: string, opts: RequestOptions = {}): Promise<http.IncomingMessage> {
    const v = await this.apiVersion();
    const res = await this.raw(method, `/v${v}${path}`, opts);
    const status = res.statusCode ?? 500;
    if (status >= 400) {
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      const text = Buffer.concat(chunks).toString('utf8');
      let msg = text.trim();
      try {
        const j = JSON.parse(text) as { message?: string };
        if (j.message) msg = j.message;
      } catch {
        /* not JSON */
      }
      throw new ApiError(status, msg || `HTTP ${status}`);
    }
    return res;
  }

  async json<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.request(method, path, opts);
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    return (text.trim() ? JSON.parse(text) : undefined) as T;
  }

  /**
   * Read a JSON-lines progress stream; each message goes to onMessage. A
   * message with an "error" field ends the stream with an ApiError.
   */
  async stream(res: http.IncomingMessage, onMessage: (m: Record<string, unknown>) => void): Promise<void> {
    await jsonLines(res, (m) => {
      if (typeof m['error'] === 'string') throw new ApiError(500, m['error']);
      onMessage(m);
    });
  }

  /**
   * A request that takes over the connection (attach, exec start): asks for
   * `Upgrade: tcp` and resolves with the raw socket once the daemon answers 101.
   */
  async hijack(path: string, opts: RequestOptions = {}): Promise<{ socket: Duplex; head: Buffer }> {
    const v = await this.apiVersion();
    return new Promise((resolve, reject) => {
      const qs = new URLSearchParams();
      for (const [k, val] of Object.entries(opts.query ?? {})) if (val !== undefined) qs.set(k, typeof val === 'boolean' ? (val ? '1' : '0') : String(val));
      const q = qs.toString();
      const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
      const headers: Record<string, string> = { 'User-Agent': 'berth-cli', Connection: 'Upgrade', Upgrade: 'tcp', ...(body ? { 'Content-Type': 'application/json' } : {}) };
      const req = http.request({ ...this.connectOptions(), method: 'POST', path: `/v${v}${path}${q ? `?${q}` : ''}`, headers });
      req.on('upgrade', (_res, socket, head) => resolve({ socket, head }));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let msg = text.trim();
          try {
            msg = (JSON.parse(text) as { message?: string }).message ?? msg;
          } catch {
            /* not JSON */
          }
          reject(new ApiError(res.statusCode ?? 500, msg || `HTTP ${res.statusCode}`));
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  raw(method: string, path: string, opts: RequestOptions): Promise<http.IncomingMessage> {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.query ?? {})) {
      if (v === undefined) continue;
      if (Array.isArray(v)) for (const x of v) qs.append(k, x);
      else qs.set(k, typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
    }
    const q = qs.toString();
    const headers: Record<string, string> = { 'User-Agent': 'berth-cli', ...(opts.headers ?? {}) };
    let body = opts.body;
    if (body !== undefined && !Buffer.isBuffer(body) && typeof body !== 'string' && !isReadable(body)) {
      body = JSON.stringify(body);
      headers['Content-Type'] ??= 'application/json';
    }
    return new Promise((resolve, reject) => {
      const req = http.request({ ...this.connectOptions(), method, path: q ? `${path}?${q}` : path, headers }, resolve);
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (['ENOENT', 'ECONNREFUSED', 'EACCES'].includes(err.code ?? '') && !req.reusedSocket) {
          const where = 'socketPath' in this.target ? `unix://${this.target.socketPath}` : this.host;
          const why = err.code === 'EACCES' ? 'permission denied' : 'Is the berth daemon running?';
          reject(new ConnectError(this.host, err.code, `Cannot connect to the berth daemon at ${where}. ${why}`));
        } else reject(err);
      });
      if (body === undefined) req.end();
      else if (typeof body === 'string' || Buffer.isBuffer(body)) req.end(body);
      else {
        const src = body as Readable;
        src.on('error', (e) => req.destroy(e));
        src.pipe(req);
      }
    });
  }
}

function isReadable(x: unknown): x is Readable {
  return typeof x === 'object' && x !== null && typeof (x as Readable).pipe === 'function';
}

/** The version to speak: the server's when it is older than ours. */
function negotiate(server: string): string {
  return compareVersions(server, CLIENT_API_VERSION) < 0 ? server : CLIENT_API_VERSION;
}

/** Each JSON message of a progress stream (one per line), as it arrives. */
export async function jsonLines(res: AsyncIterable<unknown>, onMessage: (m: Record<string, unknown>) => void): Promise<void> {
  let buf = '';
  const handle = (line: string) => {
    if (line.trim()) onMessage(JSON.parse(line) as Record<string, unknown>);
  };
  for await (const c of res) {
    buf += (c as Buffer).toString('utf8');
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      handle(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  }
  handle(buf);
}
