// LocalContentStore keeps blobs as read-only files named by digest, and
// in-progress writes in ingest/ until they are verified.
//
//   <root>/                       (e.g. /var/lib/berth/content)
//     blobs/<alg>/<hex>           committed blob, mode 0444, never rewritten
//     ingest/<sha256(ref)[:32]>/  one in-progress write
//       data                      bytes received so far
//       ref                       the writer's ref (for resume and for cleanup)
//
// Commit = fsync data → verify size and digest → link(data, blob) → fsync the
// blob dir → remove the ingest dir. link() fails with EEXIST rather than
// replacing, so of two writers of the same digest exactly one commits and the
// other learns "already exists"; a reader never sees a partial blob, and a
// crash leaves only an ingest dir, which cleanIngests() removes at the next
// start (and GC, of ingests no live writer owns).
import { createReadStream, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Digester, algorithmOf, encodedOf, isDigest, type Digest } from '../../common/digest.js';
import { alreadyExists, conflict, errnoCode, invalidArgument, notFound, internal, isKind } from '../../common/errors.js';
import { fsyncDir } from '../../common/atomic.js';
import type { ContentInfo, ContentStore, ContentWriter, WriterOptions } from '../content.js';

/** refs of writers that nothing can resume (load, import, build layers) */
const ANON_PREFIX = 'anon-';

function ingestName(ref: string): string {
  return createHash('sha256').update(ref).digest('hex').slice(0, 32);
}

export class LocalContentStore implements ContentStore {
  private readonly blobsDir: string;
  private readonly ingestDir: string;
  private readonly lockedRefs = new Set<string>();

  constructor(readonly root: string) {
    this.blobsDir = path.join(root, 'blobs');
    this.ingestDir = path.join(root, 'ingest');
  }

  async init(): Promise<this> {
    await fsp.mkdir(path.join(this.blobsDir, 'sha256'), { recursive: true, mode: 0o700 });
    await fsp.mkdir(this.ingestDir, { recursive: true, mode: 0o700 });
    return this;
  }

  blobPath(d: Digest): string {
    return path.join(this.blobsDir, algorithmOf(d), encodedOf(d));
  }

  async info(digest: Digest): Promise<ContentInfo> {
    try {
      const st = await fsp.stat(this.blobPath(digest));
      return { digest, size: st.size, createdAt: st.mtime };
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') throw notFound(`content ${digest}: not found`);
      throw err;
    }
  }

  async exists(digest: Digest): Promise<boolean> {
    try {
      await fsp.access(this.blobPath(digest));
      return true;
    } catch {
      return false;
    }
  }

  async readBlob(digest: Digest, maxSize = 64 << 20): Promise<Buffer> {
    const info = await this.info(digest);
    if (info.size > maxSize) throw invalidArgument(`content ${digest}: ${info.size} bytes is over the ${maxSize}-byte limit`);
    const data = await fsp.readFile(this.blobPath(digest));
    const d = new Digester(algorithmOf(digest));
    d.update(data);
    if (d.digest() !== digest) throw internal(`content ${digest}: stored bytes do not match the digest (corrupted blob)`);
    return data;
  }

  async reader(digest: Digest, range?: { start: number; end?: number }): Promise<Readable> {
    await this.info(digest);
    const file = createReadStream(this.blobPath(digest), { highWaterMark: 1 << 20, ...(range ? { start: range.start, end: range.end } : {}) });
    if (range) return file;
    const d = new Digester(algorithmOf(digest));
    const verify = new Transform({
      transform(chunk: Buffer, _e, cb: TransformCallback) {
        d.update(chunk);
        cb(null, chunk);
      },
      flush(cb: TransformCallback) {
        const got = d.digest();
        cb(got === digest ? null : internal(`content ${digest}: stored bytes hash to ${got} (corrupted blob)`));
      },
    });
    file.on('error', (e) => verify.destroy(e));
    return file.pipe(verify);
  }

  async writer(opts: WriterOptions = {}): Promise<ContentWriter> {
    const ref = opts.ref ?? `${ANON_PREFIX}${randomBytes(12).toString('hex')}`;
    if (this.lockedRefs.has(ref)) throw conflict(`ingest ref "${ref}" is locked by another writer`);
    this.lockedRefs.add(ref);
    try {
      const dir = path.join(this.ingestDir, ingestName(ref));
      await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
      await fsp.writeFile(path.join(dir, 'ref'), ref);
      const dataPath = path.join(dir, 'data');
      const fh = await fsp.open(dataPath, 'a+', 0o600);
      const digester = new Digester(opts.expected ? algorithmOf(opts.expected) : 'sha256');
      // Resume: rehash what an earlier writer with this ref left behind.
      if (opts.ref !== undefined) {
        await pipeline(createReadStream(dataPath, { highWaterMark: 1 << 20 }), async function* (src) {
          for await (const c of src) digester.update(c as Buffer);
        });
      }
      return new LocalWriter(this, ref, dir, dataPath, fh, digester, opts, () => this.lockedRefs.delete(ref));
    } catch (err) {
      this.lockedRefs.delete(ref);
      throw err;
    }
  }

  async ingest(src: Readable, opts: WriterOptions = {}): Promise<{ digest: Digest; size: number }> {
    const w = await this.writer(opts);
    try {
      for await (const chunk of src) await w.write(chunk as Buffer);
      return await w.commit();
    } catch (err) {
      const existing = w.committedDigest;
      if (isKind(err, 'AlreadyExists') && existing) return { digest: existing, size: (await this.info(existing)).size };
      await w.abort();
      throw err;
    }
  }

  async put(data: Uint8Array, expected?: Digest): Promise<{ digest: Digest; size: number }> {
    const d = new Digester(expected ? algorithmOf(expected) : 'sha256');
    d.update(data);
    const digest = d.digest();
    if (expected && digest !== expected) throw invalidArgument(`content: got ${digest}, expected ${expected}`);
    if (await this.exists(digest)) return { digest, size: data.length };
    const w = await this.writer();
    try {
      await w.write(data);
      return await w.commit(data.length, digest);
    } catch (err) {
      await w.abort();
      if (isKind(err, 'AlreadyExists')) return { digest, size: data.length };
      throw err;
    }
  }

  async delete(digest: Digest): Promise<void> {
    try {
      await fsp.unlink(this.blobPath(digest));
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') throw notFound(`content ${digest}: not found`);
      throw err;
    }
  }

  async *list(): AsyncIterable<ContentInfo> {
    for (const alg of await fsp.readdir(this.blobsDir)) {
      for (const hex of await fsp.readdir(path.join(this.blobsDir, alg))) {
        const digest = `${alg}:${hex}`;
        if (!isDigest(digest)) continue;
        try {
          yield await this.info(digest);
        } catch (err) {
          if (!isKind(err, 'NotFound')) throw err;
        }
      }
    }
  }

  async cleanIngests(keepNamedMs: number): Promise<number> {
    let removed = 0;
    const now = Date.now();
    // by directory name: a writer being opened has its directory before its ref file
    const live = new Set([...this.lockedRefs].map((r) => ingestName(r)));
    for (const name of await fsp.readdir(this.ingestDir)) {
      if (live.has(name)) continue;
      const dir = path.join(this.ingestDir, name);
      const ref = await fsp.readFile(path.join(dir, 'ref'), 'utf8').catch(() => undefined);
      if (ref !== undefined && !ref.startsWith(ANON_PREFIX)) {
        const st = await fsp.stat(dir).catch(() => undefined);
        if (!st || now - st.mtimeMs < keepNamedMs) continue;
      }
      await fsp.rm(dir, { recursive: true, force: true });
      removed++;
    }
    return removed;
  }

  /** @internal used by LocalWriter.commit */
  async publish(dataPath: string, digest: Digest): Promise<void> {
    const target = this.blobPath(digest);
    await fsp.mkdir(path.dirname(target), { recursive: true });
    await fsp.chmod(dataPath, 0o444);
    try {
      await fsp.link(dataPath, target);
    } catch (err) {
      if (errnoCode(err) === 'EEXIST') throw alreadyExists(`content ${digest}: already exists`);
      throw err;
    }
    await fsyncDir(path.dirname(target));
  }
}

class LocalWriter implements ContentWriter {
  private done = false;
  committedDigest: Digest | undefined;
  constructor(
    private readonly store: LocalContentStore,
    readonly ref: string,
    private readonly dir: string,
    private readonly dataPath: string,
    private readonly fh: fsp.FileHandle,
    private readonly digester: Digester,
    private readonly opts: WriterOptions,
    private readonly unlock: () => void,
  ) {}

  get offset(): number {
    return this.digester.size;
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.done) throw invalidArgument(`ingest ${this.ref}: write after commit or abort`);
    let off = 0;
    while (off < chunk.length) {
      const { bytesWritten } = await this.fh.write(chunk, off, chunk.length - off);
      off += bytesWritten;
    }
    this.digester.update(chunk);
  }

  async commit(expectedSize = this.opts.expectedSize, expected = this.opts.expected): Promise<{ digest: Digest; size: number }> {
    if (this.done) throw invalidArgument(`ingest ${this.ref}: already committed or aborted`);
    const size = this.digester.size;
    const digest = this.digester.digest();
    this.committedDigest = digest;
    try {
      if (expectedSize !== undefined && size !== expectedSize) {
        throw invalidArgument(`content size mismatch: got ${size} bytes, expected ${expectedSize}`);
      }
      if (expected !== undefined && digest !== expected) {
        throw invalidArgument(`content digest mismatch: got ${digest}, expected ${expected}`);
      }
      await this.fh.sync();
      await this.fh.close();
      await this.store.publish(this.dataPath, digest);
      return { digest, size };
    } catch (err) {
      // A failed verification leaves nothing behind: the bytes are discarded.
      await this.fh.close().catch(() => {});
      await fsp.rm(this.dir, { recursive: true, force: true });
      throw err;
    } finally {
      this.finish();
      await fsp.rm(this.dir, { recursive: true, force: true });
    }
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.finish();
    await this.fh.close().catch(() => {});
    await fsp.rm(this.dir, { recursive: true, force: true });
  }

  async close(): Promise<void> {
    if (this.done) return;
    this.finish();
    await this.fh.sync().catch(() => {});
    await this.fh.close();
  }

  private finish(): void {
    this.done = true;
    this.unlock();
  }
}
