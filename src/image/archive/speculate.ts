// Unpacking the layers of a load while the archive is still streaming in.
// A layer's files do not depend on its parent, only its snapshot key does, so
// every blob that looks like a layer is unpacked as soon as it is in the
// content store, in parallel, with a parent that is settled later, once
// manifest.json (usually last in the archive) tells the order. A speculation
// that no image claims is cancelled and leaves nothing behind.
import { availableParallelism } from 'node:os';
import type { Digest } from '../../common/digest.js';
import { internal } from '../../common/errors.js';
import type { LayerApplyResult } from '../../snapshot/index.js';
import type { ImageService } from '../service.js';

interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
  reject(e: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((a, b) => ((resolve = a), (reject = b)));
  return { promise, resolve, reject };
}

class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

interface Speculation {
  parent: Deferred<Digest | null>;
  result: Promise<LayerApplyResult>;
  claimed: boolean;
}

/** True when the first bytes are a tar header, gzip or zstd: worth unpacking ahead. */
export function looksLikeLayer(head: Buffer): boolean {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return true;
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return true;
  return head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar';
}

export class LayerSpeculator {
  private readonly specs = new Map<Digest, Speculation>();
  private readonly sem = new Semaphore(Math.max(2, availableParallelism()));
  constructor(private readonly svc: ImageService) {}

  /** Start unpacking a blob that is in the content store. */
  start(digest: Digest): void {
    if (this.specs.has(digest)) return;
    const parent = deferred<Digest | null>();
    // The parent's rejection is observed by applyLayer, or by cancel() below.
    parent.promise.catch(() => {});
    const result = this.sem.run(async () => this.svc.snapshotter.applyLayer(parent.promise, await this.svc.content.reader(digest)));
    result.catch(() => {});
    this.specs.set(digest, { parent, result, claimed: false });
  }

  /**
   * The unpack of `digest` committed on top of `parent`, if one was started and
   * not used yet; undefined means: unpack it yourself.
   */
  async claim(digest: Digest, parent: Digest | null): Promise<LayerApplyResult | undefined> {
    const s = this.specs.get(digest);
    if (!s || s.claimed) return undefined;
    s.claimed = true;
    s.parent.resolve(parent);
    return s.result;
  }

  /** Cancel every unclaimed speculation and wait until all have settled. */
  async finish(): Promise<void> {
    for (const s of this.specs.values()) if (!s.claimed) s.parent.reject(internal('layer not used by any image in the archive'));
    await Promise.allSettled([...this.specs.values()].map((s) => s.result));
  }
}
