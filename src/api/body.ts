// Reading and checking JSON request bodies: every field that crosses the
// process boundary is checked for its type before berth acts on it.
import { invalidArgument } from '../common/errors.js';
import type { Readable } from 'node:stream';
import type { Ctx } from './router.js';

export type Json = Record<string, unknown>;

/** The largest JSON body berthd reads: a create body is a few KB; anything near this is an attack or a mistake. */
export const MAX_JSON_BODY = 4 << 20;

/**
 * The JSON object a request carries. A body over `max` bytes is refused (400) without being held in
 * memory: by its Content-Length before a byte is read, or as soon as the count passes `max`; the
 * router reads away and drops the rest before it answers.
 */
export async function readJsonBody(ctx: Ctx, max = MAX_JSON_BODY): Promise<Json> {
  const tooLarge = () => invalidArgument(`request body too large: a JSON body is limited to ${max} bytes`);
  if (Number(ctx.req.headers['content-length'] ?? 0) > max) throw tooLarge();
  let buf: Buffer;
  if (ctx.upgrade) buf = ctx.upgrade.body;
  else {
    const got = await readBounded(ctx.req, max);
    if (!got) throw tooLarge();
    buf = got;
  }
  if (buf.length > max) throw tooLarge();
  if (!buf.length) return {};
  let v: unknown;
  try {
    v = JSON.parse(buf.toString('utf8'));
  } catch (err) {
    throw invalidArgument(`invalid JSON: ${(err as Error).message}`);
  }
  if (v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw invalidArgument('invalid JSON: expected an object');
  return v as Json;
}

/**
 * The whole body, or undefined as soon as it passes `max` bytes. Past that the rest keeps flowing
 * and is dropped: the request is not destroyed (for-await would), so the client still gets its 400.
 */
function readBounded(req: Readable, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      if (n > max) return;
      n += c.length;
      if (n > max) {
        parts.length = 0;
        resolve(undefined);
      } else parts.push(c);
    });
    req.once('end', () => resolve(n > max ? undefined : Buffer.concat(parts)));
    req.once('error', reject);
    req.once('close', () => reject(new Error('the client closed the connection before its request body ended')));
  });
}

const fail = (field: string, want: string): never => {
  throw invalidArgument(`json: cannot unmarshal field ${field}: expected ${want}`);
};

export function obj(j: Json, k: string): Json | undefined {
  const v = j[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) fail(k, 'an object');
  return v as Json;
}

export function str(j: Json, k: string): string | undefined {
  const v = j[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') fail(k, 'a string');
  return v as string;
}

export function bool(j: Json, k: string): boolean | undefined {
  const v = j[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') fail(k, 'a boolean');
  return v as boolean;
}

export function num(j: Json, k: string): number | undefined {
  const v = j[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(k, 'a number');
  return v as number;
}

export function strList(j: Json, k: string): string[] | undefined {
  const v = j[k];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) fail(k, 'a list of strings');
  return v as string[];
}

/** docker's strslice: a list of strings, or one string. */
export function strSlice(j: Json, k: string): string[] | undefined {
  const v = j[k];
  if (typeof v === 'string') return [v];
  return strList(j, k);
}

export function strMap(j: Json, k: string): Record<string, string> | undefined {
  const o = obj(j, k);
  if (!o) return undefined;
  for (const [kk, v] of Object.entries(o)) if (typeof v !== 'string') fail(`${k}.${kk}`, 'a string');
  return o as Record<string, string>;
}
