// Blobs: content stored once under /blobs, made visible in a repository by a
// link file. A blob is pullable from a repository only when both exist.
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Digest } from '../../common/digest.js';
import { isKind } from '../../common/errors.js';
import type { StorageDriver } from '../storage/driver.js';
import { blobDataPath, layerLinkPath, layerPendingPath } from '../storage/paths.js';
import { regErr } from '../errcode.js';
import type { GcFence } from './fence.js';

export class BlobStore {
  constructor(
    readonly driver: StorageDriver,
    readonly fence: GcFence,
  ) {}

  /** Size of a blob in a repository; BLOB_UNKNOWN when it is not there. */
  async stat(repo: string, d: Digest): Promise<number> {
    try {
      await this.driver.stat(layerLinkPath(repo, d));
      return (await this.driver.stat(blobDataPath(d))).size;
    } catch (err) {
      if (isKind(err, 'NotFound')) throw regErr('BLOB_UNKNOWN', `blob unknown to registry: ${d}`, { digest: d });
      throw err;
    }
  }

  /**
   * Like stat, for a client asking whether it can skip an upload: the blob is
   * referenced for GC's sake, so it survives until the manifest arrives.
   */
  async statForPush(repo: string, d: Digest): Promise<number> {
    return this.fence.guard([d], async () => {
      const size = await this.stat(repo, d);
      await this.touch(d);
      // a push still waiting for its manifest keeps its blobs another TTL
      await this.driver.touch(layerPendingPath(repo, d)).catch((err: unknown) => {
        if (!isKind(err, 'NotFound')) throw err;
      });
      return size;
    });
  }

  async open(d: Digest, offset?: number, length?: number): Promise<Readable> {
    try {
      return await this.driver.reader(blobDataPath(d), offset, length);
    } catch (err) {
      if (isKind(err, 'NotFound')) throw regErr('BLOB_UNKNOWN', `blob unknown to registry: ${d}`, { digest: d });
      throw err;
    }
  }

  /** Write bytes [offset, offset+length) of a blob into `out` (streamed), without ending it. */
  async send(d: Digest, out: Writable, offset: number, length: number): Promise<void> {
    const path = blobDataPath(d);
    try {
      if (this.driver.copyTo) return await this.driver.copyTo(path, out, offset, length);
      const r = await this.driver.reader(path, offset, length);
      await pipeline(r, out, { end: false });
    } catch (err) {
      if (isKind(err, 'NotFound')) throw regErr('BLOB_UNKNOWN', `blob unknown to registry: ${d}`, { digest: d });
      throw err;
    }
  }

  /**
   * Refresh a blob's modification time for GC's grace period; also the
   * existence check (BLOB_UNKNOWN when it is gone). Call inside fence.guard.
   */
  async touch(d: Digest): Promise<void> {
    try {
      await this.driver.touch(blobDataPath(d));
    } catch (err) {
      if (isKind(err, 'NotFound')) throw regErr('BLOB_UNKNOWN', `blob unknown to registry: ${d}`, { digest: d });
      throw err;
    }
  }

  async link(repo: string, d: Digest): Promise<void> {
    await this.driver.putContent(layerLinkPath(repo, d), Buffer.from(d));
  }

  /**
   * Link a blob a push has just made pullable (a finished upload, a mount)
   * and mark it pending: until a manifest in `repo` names it, GC keeps it for
   * the upload TTL rather than the much shorter grace period, so a push whose
   * manifest comes late is not lost. Call inside fence.guard.
   */
  async linkPending(repo: string, d: Digest): Promise<void> {
    await this.link(repo, d);
    await this.driver.putContent(layerPendingPath(repo, d), Buffer.from(new Date().toISOString()));
  }

  /** A manifest in `repo` names the blob now: it is no longer a pending push's. Call inside fence.guard. */
  async settle(repo: string, d: Digest): Promise<void> {
    await this.driver.delete(layerPendingPath(repo, d)).catch((err: unknown) => {
      if (!isKind(err, 'NotFound')) throw err;
    });
  }

  /** Cross-repository mount: link a blob that `from` has into `repo`. */
  async mount(repo: string, from: string, d: Digest): Promise<number> {
    return this.fence.guard([d], async () => {
      const size = await this.stat(from, d);
      await this.touch(d);
      await this.linkPending(repo, d);
      return size;
    });
  }

  async unlink(repo: string, d: Digest): Promise<void> {
    try {
      await this.driver.delete(layerLinkPath(repo, d).replace(/\/link$/, ''));
    } catch (err) {
      if (isKind(err, 'NotFound')) throw regErr('BLOB_UNKNOWN', `blob unknown to registry: ${d}`, { digest: d });
      throw err;
    }
  }

  /** Store small content (a manifest) as a blob; same content ⇒ same file. Call inside fence.guard. */
  async putSmall(d: Digest, content: Uint8Array): Promise<void> {
    await this.driver.putContent(blobDataPath(d), content);
  }

  async getSmall(d: Digest): Promise<Buffer> {
    return this.driver.getContent(blobDataPath(d));
  }
}
