// How online garbage collection and concurrent pushes stay out of each other's
// way, without a global lock and without making the registry read-only.
//
// Every operation that makes content reachable (finishing an upload, a mount,
// a manifest PUT, a HEAD that lets a client skip an upload) runs inside
// `guard(digests, fn)`. Entering the guard, synchronously:
//   1. counts the digests as in flight, and records them in the running
//      cycle's `protected` set if a GC cycle is running;
//   2. then waits for any sweep deletion of those very digests in flight.
// Leaving the guard records the digests in the running cycle's set again (a
// cycle may have begun meanwhile). A cycle begins with `protected` seeded
// from everything in flight.
//
// The sweep, for each candidate, synchronously checks `protected` and the
// in-flight counts and, if neither holds the digest, registers its deletion
// in `deleting` before awaiting it. Because both sides check-and-record
// without an await in between, either the operation came first (the sweep
// sees it and keeps the content) or the sweep came first (the operation waits
// for the delete and then finds the content missing: BLOB_UNKNOWN or
// MANIFEST_BLOB_UNKNOWN, a clean error, never a dangling reference).
// An operation that finished before the cycle began has written its links or
// manifest already, so the mark phase, which starts after, sees them.
//
// What the fence cannot see: a blob uploaded (and linked) but not yet named by
// a manifest when a cycle starts. That is what the grace period is for: the
// sweep spares content modified after (cycle start − grace), and every guard
// touches the content's modification time. It also covers `gc` run from
// another process, which does not share this process's fence.
import type { Digest } from '../../common/digest.js';

export class GcFence {
  private cycle: Set<string> | undefined;
  private readonly inflight = new Map<string, number>();
  private readonly deleting = new Map<string, Promise<void>>();

  /** Call before the mark phase. */
  beginCycle(): void {
    this.cycle = new Set(this.inflight.keys());
  }

  endCycle(): void {
    this.cycle = undefined;
  }

  get running(): boolean {
    return this.cycle !== undefined;
  }

  /** Run `fn` with `digests` protected from the sweep (see above). */
  async guard<T>(digests: readonly Digest[], fn: () => Promise<T>): Promise<T> {
    const waits: Promise<void>[] = [];
    for (const d of digests) {
      this.inflight.set(d, (this.inflight.get(d) ?? 0) + 1);
      this.cycle?.add(d);
      const p = this.deleting.get(d);
      if (p) waits.push(p);
    }
    try {
      if (waits.length) await Promise.allSettled(waits);
      return await fn();
    } finally {
      for (const d of digests) {
        const n = (this.inflight.get(d) ?? 1) - 1;
        if (n === 0) this.inflight.delete(d);
        else this.inflight.set(d, n);
        this.cycle?.add(d);
      }
    }
  }

  /** Delete unless the content is protected in this cycle or in flight. Returns whether it was deleted. */
  async sweep(d: Digest, del: () => Promise<void>): Promise<boolean> {
    if (!this.cycle || this.cycle.has(d) || this.inflight.has(d) || this.deleting.has(d)) return false;
    const p = del();
    this.deleting.set(d, p);
    try {
      await p;
      return true;
    } finally {
      this.deleting.delete(d);
    }
  }
}
