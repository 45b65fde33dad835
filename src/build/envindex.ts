// A config's Env list ("NAME=value") read and set by name without a scan of
// the list: each list gets an index (name → position) that grows with it, so
// a step that reads or sets one variable costs O(1) however many ENV lines
// came before (a fresh map of the whole list per step made a long Dockerfile
// quadratic). Lists are changed in place only through envSet; one replaced
// wholesale (another array) simply gets an index of its own.
import { expansionEnv } from './instructions/index.js';
import type { Env } from './parser/index.js';

interface Index {
  /** entries indexed so far: the list only grows (envSet appends or replaces in place) */
  scanned: number;
  /** position of each name's first entry (the one ENV replaces) and of its last (the one expansion sees) */
  first: Map<string, number>;
  last: Map<string, number>;
}

const indexes = new WeakMap<readonly string[], Index>();

function nameOf(e: string): string {
  const eq = e.indexOf('=');
  return eq < 0 ? e : e.slice(0, eq);
}

function indexOf(list: readonly string[]): Index {
  let ix = indexes.get(list);
  if (!ix || ix.scanned > list.length) indexes.set(list, (ix = { scanned: 0, first: new Map(), last: new Map() }));
  for (; ix.scanned < list.length; ix.scanned++) {
    const n = nameOf(list[ix.scanned]!);
    if (!ix.first.has(n)) ix.first.set(n, ix.scanned);
    ix.last.set(n, ix.scanned);
  }
  return ix;
}

function position(list: readonly string[], name: string, which: 'first' | 'last'): number | undefined {
  const i = indexOf(list)[which].get(name);
  if (i === undefined || nameOf(list[i]!) === name) return i;
  // the list was changed in place behind the index's back: index it anew
  indexes.delete(list);
  return indexOf(list)[which].get(name);
}

/** The value of `name` in an Env list (its last entry, as a process sees it), or undefined. */
export function envGet(list: readonly string[], name: string): string | undefined {
  const i = position(list, name, 'last');
  if (i === undefined) return undefined;
  const e = list[i]!;
  const eq = e.indexOf('=');
  return eq < 0 ? '' : e.slice(eq + 1);
}

/** Set `name` in place, as docker's ENV does: its (first) entry keeps its position, a new name goes last. */
export function envSet(list: string[], name: string, value: string): void {
  const i = position(list, name, 'first');
  if (i === undefined) list.push(`${name}=${value}`);
  else list[i] = `${name}=${value}`;
}

/**
 * The expansion environment of a step: the config's ENV over the declared
 * ARGs (ENV wins), read through the index. It reads the config's current
 * list, so that an ENV's later pairs see its earlier ones.
 */
export class ConfigEnv implements Env {
  constructor(
    private readonly args: ReadonlyMap<string, string>,
    private readonly cfg: { Env?: string[] | undefined },
  ) {}

  get(name: string): string | undefined {
    const list = this.cfg.Env;
    const v = list ? envGet(list, name) : undefined;
    return v !== undefined ? v : this.args.get(name);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** the whole map, for the rare reader that walks it (O(n)) */
  private all(): ReadonlyMap<string, string> {
    return expansionEnv(this.args, this.cfg.Env ?? []);
  }

  get size(): number {
    return this.all().size;
  }

  forEach(fn: (value: string, key: string, map: ReadonlyMap<string, string>) => void, thisArg?: unknown): void {
    this.all().forEach((v, k) => fn.call(thisArg, v, k, this));
  }

  entries(): MapIterator<[string, string]> {
    return this.all().entries();
  }

  keys(): MapIterator<string> {
    return this.all().keys();
  }

  values(): MapIterator<string> {
    return this.all().values();
  }

  [Symbol.iterator](): MapIterator<[string, string]> {
    return this.entries();
  }
}
