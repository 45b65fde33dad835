// Reading and checking JSON request bodies: every field that crosses the
// process boundary is checked for its type before berth acts on it.
import { invalidArgument } from '../common/errors.js';
import { readStream } from '../common/streams.js';
import type { Ctx } from './router.js';

export type Json = Record<string, unknown>;

export async function readJsonBody(ctx: Ctx, max = 4 << 20): Promise<Json> {
  const buf = ctx.upgrade ? ctx.upgrade.body : await readStream(ctx.req, max);
  if (buf.length > max) throw invalidArgument('request body too large');
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
