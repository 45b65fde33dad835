// The in-memory driver, for tests and for trying the registry without a disk.
// Files are immutable Buffers replaced whole, so a reader that started keeps
// seeing the content it opened, as with the filesystem driver.
import { Readable } from 'node:stream';
import { invalidArgument, notFound } from '../../../common/errors.js';
import { checkPath, type FileInfo, type FileWriter, type StorageDriver } from '../driver.js';

interface Entry {
  chunks: Buffer[];
  size: number;
  modTime: Date;
}

export class MemoryDriver implements StorageDriver {
  readonly name = 'inmemory';
  private readonly files = new Map<string, Entry>();

  private norm(p: string): string {
    const parts = checkPath(p);
    return '/' + parts.join('/');
  }

  private get(p: string): Entry {
    const e = this.files.get(this.norm(p));
    if (!e) throw notFound(`storage path ${p}: not found`);
    return e;
  }

  private isDir(p: string): boolean {
    const prefix = p === '/' ? '/' : p + '/';
    for (const k of this.files.keys()) if (k.startsWith(prefix)) return true;
    return false;
  }

  async getContent(p: string): Promise<Buffer> {
    const e = this.get(p);
    return Buffer.concat(e.chunks, e.size);
  }

  async putContent(p: string, content: Uint8Array): Promise<void> {
    const b = Buffer.from(content);
    this.files.set(this.norm(p), { chunks: [b], size: b.length, modTime: new Date() });
  }

  async reader(p: string, offset = 0, length?: number): Promise<Readable> {
    if (offset < 0 || (length !== undefined && length < 0)) throw invalidArgument(`storage path ${p}: bad range`);
    const e = this.get(p);
    const all = e.chunks.length === 1 ? e.chunks[0]! : Buffer.concat(e.chunks, e.size);
    const end = length === undefined ? all.length : Math.min(all.length, offset + length);
    const view = all.subarray(Math.min(offset, all.length), end);
    const CHUNK = 256 * 1024;
    function* pieces(): Generator<Buffer> {
      for (let i = 0; i < view.length; i += CHUNK) yield view.subarray(i, i + CHUNK);
    }
    return Readable.from(pieces());
  }

  async writer(p: string, append: boolean): Promise<FileWriter> {
    const key = this.norm(p);
    let e = this.files.get(key);
    if (!e || !append) {
      e = { chunks: [], size: 0, modTime: new Date() };
      this.files.set(key, e);
    }
    const entry = e;
    const files = this.files;
    const startSize = entry.size;
    let closed = false;
    return {
      get size() {
        return entry.size;
      },
      async write(chunk: Uint8Array | readonly Uint8Array[]) {
        if (closed) throw invalidArgument(`write to a closed writer of ${p}`);
        for (const c of chunk instanceof Uint8Array ? [chunk] : chunk) {
          entry.chunks.push(Buffer.from(c));
          entry.size += c.length;
        }
        entry.modTime = new Date();
      },
      async close() {
        closed = true;
      },
      async commit() {
        closed = true;
      },
      async cancel() {
        closed = true;
        if (files.get(key) === entry) files.delete(key);
      },
      async abort() {
        if (closed) throw invalidArgument(`abort of a closed writer of ${p}`);
        closed = true;
        const kept = Buffer.concat(entry.chunks).subarray(0, startSize);
        entry.chunks = [kept];
        entry.size = kept.length;
        entry.modTime = new Date();
      },
    };
  }

  async stat(p: string): Promise<FileInfo> {
    const key = this.norm(p);
    const e = this.files.get(key);
    if (e) return { path: p, size: e.size, modTime: e.modTime, isDir: false };
    if (this.isDir(key)) return { path: p, size: 0, modTime: new Date(0), isDir: true };
    throw notFound(`storage path ${p}: not found`);
  }

  async list(p: string): Promise<string[]> {
    const key = this.norm(p);
    const prefix = key === '/' ? '/' : key + '/';
    const children = new Set<string>();
    for (const k of this.files.keys()) {
      if (!k.startsWith(prefix)) continue;
      children.add(prefix + k.slice(prefix.length).split('/')[0]);
    }
    if (children.size === 0) throw notFound(`storage path ${p}: not found`);
    return [...children].sort();
  }

  async move(src: string, dst: string, _immutable = false): Promise<void> {
    const s = this.norm(src);
    const e = this.files.get(s);
    if (!e) throw notFound(`storage path ${src}: not found`);
    this.files.delete(s);
    this.files.set(this.norm(dst), e);
  }

  async delete(p: string): Promise<void> {
    const key = this.norm(p);
    const prefix = key === '/' ? '/' : key + '/';
    let found = this.files.delete(key);
    for (const k of [...this.files.keys()]) {
      if (k.startsWith(prefix)) {
        this.files.delete(k);
        found = true;
      }
    }
    if (!found) throw notFound(`storage path ${p}: not found`);
  }

  async touch(p: string): Promise<void> {
    this.get(p).modTime = new Date();
  }
}
