// Small HTTP helpers shared by the handlers: responses, bodies with limits,
// query parameters. Nothing here knows about registry semantics.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { regErr } from '../errcode.js';

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** the repository name of the route, validated */
  repo: string;
  /** the last route parameter (reference, digest or upload id) */
  param: string;
  /** the authenticated account, when there is one */
  account?: string;
}

export function send(res: ServerResponse, status: number, headers: Record<string, string | number> = {}, body?: string | Buffer): void {
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  if (body !== undefined) {
    const buf = typeof body === 'string' ? Buffer.from(body) : body;
    res.setHeader('Content-Length', buf.length);
    res.writeHead(status);
    res.end(res.req.method === 'HEAD' ? undefined : buf);
  } else {
    if (!res.hasHeader('Content-Length')) res.setHeader('Content-Length', 0);
    res.writeHead(status);
    res.end();
  }
}

export function sendJson(res: ServerResponse, status: number, value: unknown, contentType = 'application/json', headers: Record<string, string | number> = {}): void {
  send(res, status, { 'Content-Type': contentType, ...headers }, JSON.stringify(value));
}

/** Read a whole (small) body; SIZE_INVALID with status 413 past `limit` bytes. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    throw regErr('SIZE_INVALID', `body of ${declared} bytes exceeds the limit of ${limit}`, { limit }, 413);
  }
  const parts: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    const b = c as Buffer;
    size += b.length;
    if (size > limit) throw regErr('SIZE_INVALID', `body exceeds the limit of ${limit} bytes`, { limit }, 413);
    parts.push(b);
  }
  return Buffer.concat(parts, size);
}

/** Whether the request carries a body (a declared non-zero length or chunked encoding). */
export function hasBody(req: IncomingMessage): boolean {
  const cl = req.headers['content-length'];
  if (cl !== undefined) return Number(cl) > 0;
  return req.headers['transfer-encoding'] !== undefined;
}

/** The `n` pagination parameter: undefined when absent, PAGINATION_NUMBER_INVALID when not a count. */
export function pageSize(url: URL, max = 10000): number | undefined {
  const n = url.searchParams.get('n');
  if (n === null) return undefined;
  if (!/^\d{1,9}$/.test(n)) throw regErr('PAGINATION_NUMBER_INVALID', `invalid n "${n.slice(0, 20)}"`);
  return Math.min(Number(n), max);
}

/** Paginate a sorted list after `last`; returns the page and whether there is more. */
export function paginate(all: string[], n: number | undefined, last: string | null): { page: string[]; more: boolean } {
  let rest = last ? all.filter((x) => x > last) : all;
  if (n === undefined) return { page: rest, more: false };
  const more = rest.length > n;
  rest = rest.slice(0, n);
  return { page: rest, more };
}
