// A small router for the Engine API: versioned (/v1.45/...) and unversioned
// paths, method + pattern, and handlers that receive a parsed context.
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { invalidArgument, notFound } from '../common/errors.js';
import { API_VERSION, MIN_API_VERSION, type Daemon } from '../daemon/index.js';
import { sendError } from './errors.js';

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  params: string[];
  query: URLSearchParams;
  /** the API version the request asked for (or the server's own) */
  version: number;
  daemon: Daemon;
  /** set when the client asked to upgrade the connection (attach, exec start): the raw socket */
  upgrade?: { socket: Duplex; head: Buffer; body: Buffer };
}

export type Handler = (ctx: Ctx) => Promise<void> | void;

interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
}

export function versionNumber(v: string): number {
  const [maj, min] = v.split('.').map(Number);
  return (maj ?? 0) * 1000 + (min ?? 0);
}

export class Router {
  private readonly routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler): this {
    // "{name}" matches anything (image names contain slashes), like docker's {name:.*}; "{id}" one segment
    const re = new RegExp('^' + pattern.replace(/\{id\}/g, '([^/]+)').replace(/\{[a-z]+\}/g, '(.+)') + '$');
    this.routes.push({ method, pattern: re, handler });
    return this;
  }

  /** A request with `Upgrade: tcp`: answered on the raw socket, through a response bound to it until a handler hijacks it. */
  async dispatchUpgrade(daemon: Daemon, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const res = new ServerResponse(req);
    res.assignSocket(socket as unknown as import('node:net').Socket);
    res.shouldKeepAlive = false;
    socket.on('error', () => socket.destroy());
    // Node leaves an upgraded request's body unparsed: its Content-Length bytes come first on the socket.
    const want = Number(req.headers['content-length'] ?? 0);
    let got = head;
    while (got.length < want) {
      const more = await new Promise<Buffer | null>((resolve) => {
        const onData = (d: Buffer) => done(d);
        const onEnd = () => done(null);
        const done = (d: Buffer | null) => {
          socket.off('data', onData);
          socket.off('end', onEnd);
          socket.pause();
          resolve(d);
        };
        socket.on('data', onData);
        socket.on('end', onEnd);
        socket.resume();
      });
      if (!more) break;
      got = Buffer.concat([got, more]);
    }
    await this.dispatch(daemon, req, res, { socket, head: got.subarray(want), body: got.subarray(0, want) });
  }

  async dispatch(daemon: Daemon, req: IncomingMessage, res: ServerResponse, upgrade?: { socket: Duplex; head: Buffer; body: Buffer }): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://berth');
      let pathname = url.pathname;
      let version = versionNumber(API_VERSION);
      const vm = /^\/v(\d+\.\d+)(\/.*)$/.exec(pathname);
      if (vm) {
        version = versionNumber(vm[1]!);
        pathname = vm[2]!;
        if (version > versionNumber(API_VERSION)) {
          throw invalidArgument(`client version ${vm[1]} is too new. Maximum supported API version is ${API_VERSION}`);
        }
        if (version < versionNumber(MIN_API_VERSION)) {
          throw invalidArgument(`client version ${vm[1]} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`);
        }
      }
      const method = req.method === 'HEAD' ? 'HEAD' : req.method ?? 'GET';
      let pathMatched = false;
      for (const r of this.routes) {
        const m = r.pattern.exec(pathname);
        if (!m) continue;
        pathMatched = true;
        if (r.method !== method) continue;
        await r.handler({ req, res, params: m.slice(1).map((p) => decodeURIComponent(p)), query: url.searchParams, version, daemon, ...(upgrade ? { upgrade } : {}) });
        return;
      }
      if (pathMatched) {
        res.writeHead(405, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ message: `${method} ${pathname} is not allowed` }) + '\n');
        return;
      }
      throw notFound(`page not found`);
    } catch (err) {
      if (res.writableEnded) return;
      if (!upgrade && !res.headersSent) await drainBody(req);
      if (!res.writableEnded) sendError(res, err);
    }
  }
}

/**
 * Reads and drops what is left of a request's body before an error answers it. The client (a build
 * context's upload) may still be writing: answering first and closing would reset the connection
 * under its writes, and it would see EPIPE instead of the error. Bounded, so a client that never ends
 * its body still gets its answer. (A handler that destroyed the request, as a failed pipeline does,
 * has already reset the connection: nothing is left to read.)
 */
export async function drainBody(req: IncomingMessage, maxMs = 30_000): Promise<void> {
  if (req.complete || req.readableEnded || req.destroyed) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      req.off('end', done);
      req.off('close', done);
      req.off('error', done);
      resolve();
    };
    const timer = setTimeout(done, maxMs);
    timer.unref();
    req.on('end', done);
    req.on('close', done);
    req.on('error', done);
    req.unpipe();
    // A handler that read the body through an async iterator (for await, readStream) left a 'readable'
    // listener, and resume() does nothing while one is attached: the rest would never be read.
    req.removeAllListeners('readable');
    req.resume();
  });
}

export function sendJSON(res: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body) + '\n';
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) });
  res.end(data);
}

export function boolParam(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v !== null && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

/** Docker's "filters" query: JSON of {key: {value: true}} or {key: [values]}. */
export function parseFilters(q: URLSearchParams): Map<string, string[]> {
  const raw = q.get('filters');
  const out = new Map<string, string[]>();
  if (!raw) return out;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw invalidArgument(`invalid filter: ${raw}`);
  }
  if (typeof v !== 'object' || v === null) throw invalidArgument(`invalid filter: ${raw}`);
  for (const [k, val] of Object.entries(v)) {
    if (Array.isArray(val)) out.set(k, val.map(String));
    else if (typeof val === 'object' && val !== null) out.set(k, Object.keys(val).filter((x) => (val as Record<string, unknown>)[x]));
    else throw invalidArgument(`invalid filter: ${raw}`);
  }
  return out;
}
