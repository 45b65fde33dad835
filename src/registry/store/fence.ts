// How online garbage collection and concurrent pushes stay out of each other's
// way, without a global lock and without making the registry read-only.
//
// Every operation that makes a blob reachable (finishing an upload, a mount,
// a manifest PUT that references blobs, a HEAD that lets a client skip an
// upload) goes through `reference(digests)`, which, synchronously:
//   1. records the digests in `touched` while a GC cycle is running, and
//   2. waits for any sweep deletion of those very digests that is in flight;
// and then touches each blob's modification time, which doubles as the
// existence check (touch of a missing blob is NotFound).
//
// The sweep, for each candidate blob, synchronously checks `touched` and, if
// the blob is not there, registers its deletion in `deleting` before awaiting
// it. Because both sides do their check-and-record without an await in
// between, either the operation came first (the sweep sees it in `touched`
// and keeps the blob) or the sweep came first (the operation waits for the
// delete and then finds the blob missing, so it fails cleanly with
// BLOB_UNKNOWN / MANIFEST_BLOB_UNKNOWN instead of leaving a dangling link).
//
// Operations that did their check before the cycle started are covered by the
// grace period: the sweep spares any blob whose modification time is newer
// than (cycle start − grace), and every referencing operation touched it.
// The grace period also covers a `gc` run from another process, which cannot
// see this process's `touched` set.
import type { Digest } from '../../common/digest.js';

export class GcFence {
  private cycle: Set<string> | undefined;
  private readonly deleting = new Map<string, Promise<void>>();

  /** Call before the mark phase. */
  beginCycle(): void {
    this.cycle = new Set();
  }

  endCycle(): void {
    this.cycle = undefined;
  }

  get running(): boolean {
    return this.cycle !== undefined;
  }

  /** Record digests as referenced and wait out in-flight deletions of them. */
  async reference(digests: readonly Digest[]): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const d of digests) {
      this.cycle?.add(d);
      const p = this.deleting.get(d);
      if (p) waits.push(p);
    }
    if (waits.length) await Promise.allSettled(waits);
  }

  /**
   * Delete a blob unless something referenced it during this cycle. Returns
   * whether it was deleted.
   */
  async sweep(d: Digest, del: () => Promise<void>): Promise<boolean> {
    if (!this.cycle || this.cycle.has(d) || this.deleting.has(d)) return false;
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
