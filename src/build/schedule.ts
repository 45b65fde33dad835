// Running the stages of a build: each starts as soon as the stages it depends
// on are done, independent ones side by side (at most `limit` at once). The
// output stays what the legacy builder prints, one stage after another in
// Dockerfile order: the first stage not yet printed streams live, later ones
// are held back until every earlier stage has printed. The first failure
// aborts the rest; the build then reports the first real failure in
// Dockerfile order (not the cancellations it caused).
import type { BuildEvent, Emit } from './events.js';

/** A stage that did not run to its end because another one failed. */
export class StageCancelled extends Error {
  constructor(what: string) {
    super(`${what}: cancelled`);
  }
}

export interface StageTask<T> {
  /** position in the Dockerfile: the printing order, and the order failures are ranked in */
  index: number;
  /** indexes of the tasks this one needs (all lower than its own) */
  deps: ReadonlySet<number>;
  run(emit: Emit, signal: AbortSignal): Promise<T>;
}

/** Holds each stage's output until every earlier stage has printed. */
export class OrderedOutput {
  private readonly held = new Map<number, [string, BuildEvent | undefined][]>();
  private readonly finished = new Set<number>();
  private pos = 0;

  constructor(
    private readonly order: readonly number[],
    private readonly out: Emit,
  ) {
    for (const i of order) this.held.set(i, []);
  }

  private get live(): number | undefined {
    return this.order[this.pos];
  }

  emit(index: number, text: string, ev?: BuildEvent): void {
    if (index === this.live) this.out(text, ev);
    else this.held.get(index)?.push([text, ev]);
  }

  /** `index` has printed all it will; the stages after it may follow. */
  finish(index: number): void {
    this.finished.add(index);
    while (this.live !== undefined && this.finished.has(this.live)) {
      this.pos++;
      const next = this.live;
      if (next === undefined) break;
      for (const [t, ev] of this.held.get(next)!) this.out(t, ev);
      this.held.set(next, []);
    }
  }
}

/** Bounded concurrency: run() waits for a free slot. */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  constructor(n: number) {
    this.free = n;
  }
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((r) => this.waiting.push(r));
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}

export async function runStages<T>(tasks: readonly StageTask<T>[], limit: number, out: Emit, outer?: AbortSignal): Promise<Map<number, T>> {
  const sorted = [...tasks].sort((a, b) => a.index - b.index);
  const output = new OrderedOutput(sorted.map((t) => t.index), out);
  const abort = new AbortController();
  const onOuter = () => abort.abort();
  if (outer?.aborted) abort.abort();
  outer?.addEventListener('abort', onOuter);
  const slots = new Slots(limit);
  const promises = new Map<number, Promise<T>>();
  for (const t of sorted) {
    const p = (async () => {
      try {
        for (const d of t.deps) {
          const dep = promises.get(d);
          if (!dep) throw new Error(`stage ${t.index} depends on stage ${d}, which is not scheduled before it`);
          await dep.catch(() => {
            throw new StageCancelled(`stage ${t.index}`);
          });
        }
        return await slots.run(async () => {
          if (abort.signal.aborted) throw new StageCancelled(`stage ${t.index}`);
          return await t.run((text, ev) => output.emit(t.index, text, ev), abort.signal);
        });
      } catch (err) {
        abort.abort();
        throw err;
      } finally {
        output.finish(t.index);
      }
    })();
    p.catch(() => {}); // observed below, after every stage settled
    promises.set(t.index, p);
  }
  const settled = await Promise.allSettled([...promises.values()]);
  outer?.removeEventListener('abort', onOuter);
  const results = new Map<number, T>();
  let failure: { index: number; err: unknown } | undefined;
  let cancelled: { index: number; err: unknown } | undefined;
  settled.forEach((s, i) => {
    const index = sorted[i]!.index;
    if (s.status === 'fulfilled') results.set(index, s.value);
    else if (s.reason instanceof StageCancelled || (abort.signal.aborted && isAbortError(s.reason))) cancelled ??= { index, err: s.reason };
    else failure ??= { index, err: s.reason };
  });
  const first = failure ?? cancelled;
  if (first) throw first.err;
  return results;
}

function isAbortError(e: unknown): boolean {
  return e instanceof Error && e.name === 'AbortError';
}
