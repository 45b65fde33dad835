// The storage driver: the only thing the registry knows about where bytes live.
// It is deliberately small and path-based (like distribution's
// storagedriver.StorageDriver) so that an S3-compatible driver fits next:
// every operation maps onto one or a few object-store calls
//   getContent/putContent → GetObject/PutObject, reader(offset) → ranged GET,
//   writer → multipart upload (append = resume from listed parts),
//   stat → HeadObject (or a prefix list for "directories"), list → ListObjectsV2
//   with a delimiter, move → CopyObject + DeleteObject, delete → prefix delete,
//   touch → CopyObject onto itself with a new modification time.
// Paths are absolute, '/'-separated, and validated by checkPath: no empty, '.'
// or '..' components, so a caller's bug can never escape the driver's root.
import type { Readable, Writable } from 'node:stream';
import { invalidArgument } from '../../common/errors.js';

export interface FileInfo {
  path: string;
  /** bytes; 0 for directories */
  size: number;
  modTime: Date;
  isDir: boolean;
}

/** An append-only writer for large content (blob uploads). */
export interface FileWriter {
  /** Bytes in the file so far, including what was there before an append. */
  readonly size: number;
  /** Append bytes; a list is written in order with one call where the backend can (writev). */
  write(chunk: Uint8Array | readonly Uint8Array[]): Promise<void>;
  /** Stop writing and keep what was written (the upload can be resumed). */
  close(): Promise<void>;
  /** Make everything written durable (fsync) and close. */
  commit(): Promise<void>;
  /** Close and remove the file. */
  cancel(): Promise<void>;
  /**
   * Close and drop everything this writer wrote: the file is again what it was
   * when the writer was opened (a refused chunk must leave an upload as it
   * was). S3: abort the parts this writer added.
   */
  abort(): Promise<void>;
}

export interface StorageDriver {
  readonly name: string;
  /** The whole content of a small file. NotFound when absent. */
  getContent(path: string): Promise<Buffer>;
  /** Replace a small file atomically: readers see the old or the new content. */
  putContent(path: string, content: Uint8Array): Promise<void>;
  /** A stream of bytes [offset, offset+length) (to the end when length is undefined). NotFound when absent. */
  reader(path: string, offset?: number, length?: number): Promise<Readable>;
  /** A writer; append=true continues an existing file (creating it when absent). */
  writer(path: string, append: boolean): Promise<FileWriter>;
  /** NotFound when neither a file nor a directory is there. */
  stat(path: string): Promise<FileInfo>;
  /** Full paths of the direct children of a directory, sorted. NotFound when absent. */
  list(path: string): Promise<string[]>;
  /**
   * Move a file, atomically replacing dst (same content ⇒ concurrent moves
   * are harmless). `immutable` marks content that is never modified again
   * (the filesystem driver makes it read-only).
   */
  move(src: string, dst: string, immutable?: boolean): Promise<void>;
  /** Remove a file or a whole directory tree. NotFound when absent. */
  delete(path: string): Promise<void>;
  /** Set a file's modification time to now (GC's grace period reads it). */
  touch(path: string): Promise<void>;
  /**
   * Optional fast path: write bytes [offset, offset+length) of a file into
   * `out`, resolving when the last byte was handed to it. Drivers without it
   * are read through reader().
   */
  copyTo?(path: string, out: Writable, offset: number, length: number): Promise<void>;
}

const COMPONENT_RE = /^[A-Za-z0-9._+=:@-]+$/;

/** Validate a driver path; returns its components. */
export function checkPath(p: string): string[] {
  if (typeof p !== 'string' || !p.startsWith('/')) throw invalidArgument(`storage path "${p}" is not absolute`);
  if (p === '/') return [];
  const parts = p.slice(1).split('/');
  for (const c of parts) {
    if (c === '' || c === '.' || c === '..' || !COMPONENT_RE.test(c)) {
      throw invalidArgument(`storage path "${p}" has an invalid component "${c}"`);
    }
  }
  return parts;
}
