// Blob uploads. An upload's bytes live under the repository's _uploads/<id>/,
// which no read path looks at; only a digest-verified, fsynced file is moved
// into /blobs. A killed upload therefore leaves nothing visible, and GC
// reclaims its directory once it is older than the upload TTL.
//
// The running sha256 of each upload is kept in memory so that finishing a
// 500 MB upload costs no second read; when it is missing (after a restart, or
// a client asked for another algorithm) the data file is hashed again.
import { createHash, randomUUID, type Hash } from 'node:crypto';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { algorithmOf, type Digest } from '../../common/digest.js';
import { isKind } from '../../common/errors.js';
import type { FileWriter, StorageDriver } from '../storage/driver.js';
import { blobDataPath, uploadDataPath, uploadStartedAtPath, uploadsDir } from '../storage/paths.js';
import { regErr } from '../errcode.js';
import type { BlobStore } from './blobs.js';

const UPLOAD_ID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface HashState {
  hash: Hash;
  size: number;
}

export interface AppendRange {
  /** first byte offset the client claims (Content-Range start) */
  start: number;
  /** last byte offset, inclusive */
  end: number;
}

export class UploadStore {
  private readonly hashes = new Map<string, HashState>();
  private readonly busy = new Set<string>();

  constructor(
    readonly driver: StorageDriver,
    readonly blobs: BlobStore,
  ) {}

  checkId(id: string): void {
    if (!UPLOAD_ID_RE.test(id)) throw regErr('BLOB_UPLOAD_UNKNOWN', `blob upload unknown: ${id.slice(0, 80)}`);
  }

  async start(repo: string): Promise<string> {
    const id = randomUUID();
    await this.driver.putContent(uploadStartedAtPath(repo, id), Buffer.from(new Date().toISOString()));
    const w = await this.driver.writer(uploadDataPath(repo, id), false);
    await w.close();
    this.hashes.set(`${repo}/${id}`, { hash: createHash('sha256'), size: 0 });
    return id;
  }

  /** Bytes received so far; BLOB_UPLOAD_UNKNOWN when there is no such upload. */
  async size(repo: string, id: string): Promise<number> {
    this.checkId(id);
    try {
      return (await this.driver.stat(uploadDataPath(repo, id))).size;
    } catch (err) {
      if (isKind(err, 'NotFound')) throw regErr('BLOB_UPLOAD_UNKNOWN', `blob upload unknown: ${id}`);
      throw err;
    }
  }

  /**
   * Append a request body. With a range, its start must be the current size
   * (416 otherwise) and the body must be exactly as long as the range says.
   */
  async append(repo: string, id: string, body: Readable, range?: AppendRange): Promise<number> {
    const key = `${repo}/${id}`;
    const size = await this.size(repo, id);
    if (this.busy.has(key)) throw regErr('BLOB_UPLOAD_INVALID', `upload ${id} is receiving another request`);
    if (range && range.start !== size) {
      throw regErr('RANGE_INVALID', `chunk starts at ${range.start} but the upload has ${size} bytes`, { size });
    }
    this.busy.add(key);
    let writer: FileWriter | undefined;
    try {
      let st = this.hashes.get(key);
      if (!st || st.size !== size) st = undefined;
      // the running hash as it was, for a chunk that is refused after it took the bytes
      const hashBefore = st?.hash.copy();
      writer = await this.driver.writer(uploadDataPath(repo, id), true);
      const w = writer;
      let written = 0;
      const state = st;
      const sink = new Writable({
        highWaterMark: 4 * 1024 * 1024,
        writev(chunks, cb) {
          const bufs = chunks.map((c) => c.chunk as Buffer);
          w.write(bufs).then(() => {
            for (const b of bufs) {
              state?.hash.update(b);
              if (state) state.size += b.length;
              written += b.length;
            }
            cb();
          }, cb);
        },
      });
      try {
        await pipeline(body, sink);
      } catch (err) {
        // A broken connection keeps what arrived: the client can ask for the
        // offset and resume. The hash state stays consistent with the file.
        await w.close();
        writer = undefined;
        throw regErr('BLOB_UPLOAD_INVALID', `upload ${id} interrupted after ${written} bytes`, { cause: String(err) });
      }
      if (range && written !== range.end - range.start + 1) {
        // Refused: the upload must be exactly as before, file and hash alike,
        // so that the client's corrected retry at the same offset fits.
        writer = undefined;
        try {
          await w.abort();
        } finally {
          if (st && hashBefore) this.hashes.set(key, { hash: hashBefore, size });
          else this.hashes.delete(key);
        }
        throw regErr('SIZE_INVALID', `chunk has ${written} bytes, Content-Range says ${range.end - range.start + 1}`);
      }
      await w.commit();
      writer = undefined;
      return size + written;
    } finally {
      if (writer) await writer.close().catch(() => {});
      this.busy.delete(key);
    }
  }

  private async digestOf(repo: string, id: string, algorithm: string): Promise<Digest> {
    const st = this.hashes.get(`${repo}/${id}`);
    const size = await this.size(repo, id);
    if (st && algorithm === 'sha256' && st.size === size) return `sha256:${st.hash.copy().digest('hex')}` as Digest;
    const h = createHash(algorithm);
    for await (const c of await this.driver.reader(uploadDataPath(repo, id))) h.update(c as Buffer);
    return `${algorithm}:${h.digest('hex')}` as Digest;
  }

  /**
   * Verify the whole upload against `expected` and move it into /blobs, linked
   * into the repository. A mismatch cancels the upload (DIGEST_INVALID).
   */
  async finish(repo: string, id: string, expected: Digest): Promise<number> {
    const key = `${repo}/${id}`;
    if (this.busy.has(key)) throw regErr('BLOB_UPLOAD_INVALID', `upload ${id} is receiving another request`);
    this.busy.add(key);
    try {
      const actual = await this.digestOf(repo, id, algorithmOf(expected));
      if (actual !== expected) {
        await this.remove(repo, id);
        throw regErr('DIGEST_INVALID', `digest mismatch: expected ${expected}, got ${actual}`, { digest: expected });
      }
      const size = await this.size(repo, id);
      await this.blobs.fence.guard([expected], async () => {
        await this.driver.move(uploadDataPath(repo, id), blobDataPath(expected), true);
        await this.blobs.linkPending(repo, expected);
      });
      await this.remove(repo, id);
      return size;
    } finally {
      this.busy.delete(key);
    }
  }

  async cancel(repo: string, id: string): Promise<void> {
    await this.size(repo, id);
    await this.remove(repo, id);
  }

  private async remove(repo: string, id: string): Promise<void> {
    this.hashes.delete(`${repo}/${id}`);
    await this.driver.delete(`${uploadsDir(repo)}/${id}`).catch((err: unknown) => {
      if (!isKind(err, 'NotFound')) throw err;
    });
  }

  /** Forget in-memory state of an upload GC reclaimed. */
  forget(repo: string, id: string): void {
    if (!this.busy.has(`${repo}/${id}`)) this.hashes.delete(`${repo}/${id}`);
  }

  isBusy(repo: string, id: string): boolean {
    return this.busy.has(`${repo}/${id}`);
  }
}
