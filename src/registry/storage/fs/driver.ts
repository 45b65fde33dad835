// The filesystem driver. Every path of the driver maps to root + path.
// Small files are replaced atomically (temp file + fsync + rename + fsync of the
// directory); moves are renames, so two pushes of the same blob that finish at
// once each rename a complete, verified file over the other: readers see one
// whole file at every instant. Uploads write into their own directory, never
// into a place a reader looks.
import { promises as fsp, constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { errnoCode, notFound, invalidArgument, wrap } from '../../../common/errors.js';
import { fsyncDir, writeFileAtomic } from '../../../common/atomic.js';
import { checkPath, type FileInfo, type FileWriter, type StorageDriver } from '../driver.js';

const COPY_CHUNK = 1024 * 1024;

export class FilesystemDriver implements StorageDriver {
  readonly name = 'filesystem';
  constructor(readonly root: string) {}

  private full(p: string): string {
    const parts = checkPath(p);
    return path.join(this.root, ...parts);
  }

  private rethrow(err: unknown, p: string): never {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') throw notFound(`storage path ${p}: not found`, err);
    throw wrap(err, `storage path ${p}`);
  }

  async getContent(p: string): Promise<Buffer> {
    try {
      return await fsp.readFile(this.full(p));
    } catch (err) {
      this.rethrow(err, p);
    }
  }

  async putContent(p: string, content: Uint8Array): Promise<void> {
    const f = this.full(p);
    await fsp.mkdir(path.dirname(f), { recursive: true });
    await writeFileAtomic(f, content);
  }

  async reader(p: string, offset = 0, length?: number): Promise<Readable> {
    if (offset < 0 || (length !== undefined && length < 0)) throw invalidArgument(`storage path ${p}: bad range`);
    let fh: FileHandle;
    try {
      fh = await fsp.open(this.full(p), constants.O_RDONLY);
    } catch (err) {
      this.rethrow(err, p);
    }
    const opts: { start: number; end?: number; highWaterMark: number; autoClose: boolean } = {
      start: offset,
      highWaterMark: 1024 * 1024,
      autoClose: true,
    };
    if (length !== undefined) {
      if (length === 0) {
        await fh.close();
        return Readable.from([]);
      }
      opts.end = offset + length - 1;
    }
    return fh.createReadStream(opts);
  }

  /**
   * Double-buffered copy with two reused buffers: read the next piece while
   * the previous one is being written, never allocating per chunk (a fresh
   * buffer per chunk, as fs streams do, costs page faults at GB/s).
   */
  async copyTo(p: string, out: Writable, offset: number, length: number): Promise<void> {
    let fh: FileHandle;
    try {
      fh = await fsp.open(this.full(p), constants.O_RDONLY);
    } catch (err) {
      this.rethrow(err, p);
    }
    const bufs = [Buffer.allocUnsafeSlow(COPY_CHUNK), Buffer.allocUnsafeSlow(COPY_CHUNK)];
    // A destination that closes early (client gone) never calls back: reject
    // the write in flight from its 'close' event instead.
    let closed: Error | undefined;
    let rejectPending: ((e: Error) => void) | undefined;
    const onClose = () => {
      closed ??= new Error('destination closed');
      rejectPending?.(closed);
    };
    out.once('close', onClose);
    try {
      let pending: Promise<void> | undefined;
      let pos = offset;
      let left = length;
      for (let i = 0; left > 0; i ^= 1) {
        const buf = bufs[i]!;
        const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, left), pos);
        if (bytesRead === 0) throw invalidArgument(`storage path ${p}: file shorter than expected`);
        if (pending) await pending;
        if (closed) throw closed;
        pending = new Promise<void>((resolve, reject) => {
          rejectPending = reject;
          out.write(buf.subarray(0, bytesRead), (err) => (err ? reject(err) : resolve()));
        });
        // It may fail while the next read is awaited; it is awaited (and thrown) right after.
        pending.catch(() => {});
        pos += bytesRead;
        left -= bytesRead;
      }
      if (pending) await pending;
    } finally {
      out.off('close', onClose);
      await fh.close();
    }
  }

  async writer(p: string, append: boolean): Promise<FileWriter> {
    const f = this.full(p);
    await fsp.mkdir(path.dirname(f), { recursive: true });
    const fh = await fsp.open(f, append ? 'a' : 'w');
    const size = append ? (await fh.stat()).size : 0;
    return new FsWriter(fh, f, size);
  }

  async stat(p: string): Promise<FileInfo> {
    try {
      const st = await fsp.stat(this.full(p));
      return { path: p, size: st.isDirectory() ? 0 : st.size, modTime: st.mtime, isDir: st.isDirectory() };
    } catch (err) {
      this.rethrow(err, p);
    }
  }

  async list(p: string): Promise<string[]> {
    try {
      const names = await fsp.readdir(this.full(p));
      const base = p === '/' ? '' : p;
      // Temp files of atomic writes are not part of the namespace.
      return names.filter((n) => !n.startsWith('.')).sort().map((n) => `${base}/${n}`);
    } catch (err) {
      this.rethrow(err, p);
    }
  }

  async move(src: string, dst: string, immutable = false): Promise<void> {
    const s = this.full(src);
    const d = this.full(dst);
    await fsp.mkdir(path.dirname(d), { recursive: true });
    try {
      if (immutable) await fsp.chmod(s, 0o444);
      await fsp.rename(s, d);
    } catch (err) {
      this.rethrow(err, src);
    }
    await fsyncDir(path.dirname(d));
  }

  async delete(p: string): Promise<void> {
    const f = this.full(p);
    try {
      await fsp.lstat(f);
    } catch (err) {
      this.rethrow(err, p);
    }
    await fsp.rm(f, { recursive: true, force: true });
  }

  async touch(p: string): Promise<void> {
    const now = new Date();
    try {
      await fsp.utimes(this.full(p), now, now);
    } catch (err) {
      this.rethrow(err, p);
    }
  }
}

class FsWriter implements FileWriter {
  private closed = false;
  private readonly startSize: number;
  constructor(
    private readonly fh: FileHandle,
    private readonly file: string,
    public size: number,
  ) {
    this.startSize = size;
  }

  async write(chunk: Uint8Array | readonly Uint8Array[]): Promise<void> {
    if (this.closed) throw invalidArgument(`write to a closed writer of ${this.file}`);
    const list = chunk instanceof Uint8Array ? [chunk] : chunk;
    let total = 0;
    for (const c of list) total += c.length;
    let written = list.length > 1 ? (await this.fh.writev(list as Uint8Array[])).bytesWritten : 0;
    // Finish short writes piece by piece.
    let skip = written;
    for (const c of list) {
      if (skip >= c.length) {
        skip -= c.length;
        continue;
      }
      let off = skip;
      skip = 0;
      while (off < c.length) {
        const { bytesWritten } = await this.fh.write(c, off, c.length - off);
        off += bytesWritten;
        written += bytesWritten;
      }
    }
    this.size += total;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.fh.close();
  }

  async commit(): Promise<void> {
    if (this.closed) throw invalidArgument(`commit of a closed writer of ${this.file}`);
    await this.fh.sync();
    await this.close();
  }

  async cancel(): Promise<void> {
    await this.close();
    await fsp.rm(this.file, { force: true });
  }

  async abort(): Promise<void> {
    if (this.closed) throw invalidArgument(`abort of a closed writer of ${this.file}`);
    try {
      await this.fh.truncate(this.startSize);
      // durable, or a crash could bring the refused bytes back
      await this.fh.sync();
      this.size = this.startSize;
    } finally {
      await this.close();
    }
  }
}
