// The content store: immutable, content-addressed blobs (layers, configs,
// manifests). Interface only; the local implementation is in ./content/local.ts.
import type { Readable } from 'node:stream';
import type { Digest } from '../common/digest.js';

export interface ContentInfo {
  digest: Digest;
  size: number;
  createdAt: Date;
}

export interface WriterOptions {
  /**
   * Names the ingest so an interrupted write can be resumed by a later writer
   * with the same ref (only one writer per ref at a time: a second is a
   * Conflict). Without a ref every writer is anonymous and starts empty.
   */
  ref?: string;
  expected?: Digest;
  expectedSize?: number;
}

export interface ContentWriter {
  /** Bytes already written (non-zero when an earlier ingest was resumed). */
  readonly offset: number;
  /** The digest computed by commit(), also when commit failed with AlreadyExists. */
  readonly committedDigest: Digest | undefined;
  write(chunk: Uint8Array): Promise<void>;
  /**
   * fsync, verify size and digest, make the blob visible. Resolves with the
   * digest. If the blob already exists the ingest is dropped and the error is
   * AlreadyExists (the content is the same by definition).
   */
  commit(expectedSize?: number, expected?: Digest): Promise<{ digest: Digest; size: number }>;
  /** Drop the ingest and its partial data. */
  abort(): Promise<void>;
  /** Release the writer but keep the partial data for a later resume (ref writers only). */
  close(): Promise<void>;
}

export interface ContentStore {
  info(digest: Digest): Promise<ContentInfo>;
  exists(digest: Digest): Promise<boolean>;
  /** Whole small blob (configs, manifests), verified against its digest. */
  readBlob(digest: Digest, maxSize?: number): Promise<Buffer>;
  /**
   * Stream a blob. A full read is verified at its end: a blob whose bytes no
   * longer match its digest ends the stream with an error instead of a clean end.
   */
  reader(digest: Digest, range?: { start: number; end?: number }): Promise<Readable>;
  writer(opts?: WriterOptions): Promise<ContentWriter>;
  /** Write a whole stream; an existing blob of the same digest is success. */
  ingest(src: Readable, opts?: WriterOptions): Promise<{ digest: Digest; size: number }>;
  /** Write a small buffer; an existing blob is success. */
  put(data: Uint8Array, expected?: Digest): Promise<{ digest: Digest; size: number }>;
  delete(digest: Digest): Promise<void>;
  list(): AsyncIterable<ContentInfo>;
  /**
   * Drop ingests no live writer owns: anonymous ones (nothing can resume
   * them) at once, named ones (a pull's partial layer, kept for a resume)
   * once untouched for `keepNamedMs`. At daemon start no writer is live.
   */
  cleanIngests(keepNamedMs: number): Promise<number>;
}
