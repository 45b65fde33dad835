// Content digests as the OCI image spec defines them: "<algorithm>:<encoded>".
// sha256 is the one berth writes; sha512 is accepted when reading.
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { invalidArgument } from './errors.js';

export type Digest = string & { readonly __digest: unique symbol };

const ALGORITHMS: Record<string, number> = { sha256: 64, sha512: 128 };
const DIGEST_RE = /^([a-z0-9]+(?:[.+_-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;

export function isDigest(s: string): s is Digest {
  const m = DIGEST_RE.exec(s);
  if (!m) return false;
  const len = ALGORITHMS[m[1]!];
  return len !== undefined && m[2]!.length === len && /^[a-f0-9]+$/.test(m[2]!);
}

/** Validate a digest string; the error says what is wrong with it. */
export function parseDigest(s: string): Digest {
  const m = DIGEST_RE.exec(s);
  if (!m) throw invalidArgument(`invalid digest "${s}": expected <algorithm>:<hex>`);
  const len = ALGORITHMS[m[1]!];
  if (len === undefined) throw invalidArgument(`invalid digest "${s}": unsupported algorithm "${m[1]}"`);
  if (m[2]!.length !== len || !/^[a-f0-9]+$/.test(m[2]!)) {
    throw invalidArgument(`invalid digest "${s}": ${m[1]} needs ${len} lowercase hex characters`);
  }
  return s as Digest;
}

export function algorithmOf(d: Digest): string {
  return d.slice(0, d.indexOf(':'));
}

export function encodedOf(d: Digest): string {
  return d.slice(d.indexOf(':') + 1);
}

export function sha256(data: string | Uint8Array): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}` as Digest;
}

/** An incremental digester that can also count bytes. */
export class Digester {
  private readonly hash: Hash;
  size = 0;
  constructor(readonly algorithm = 'sha256') {
    this.hash = createHash(algorithm);
  }
  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
    this.size += chunk.length;
  }
  digest(): Digest {
    return `${this.algorithm}:${this.hash.digest('hex')}` as Digest;
  }
}

/** A pass-through stream that digests what flows through it. */
export class DigestStream extends Transform {
  readonly digester: Digester;
  constructor(algorithm = 'sha256') {
    super();
    this.digester = new Digester(algorithm);
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.digester.update(chunk);
    cb(null, chunk);
  }
  digest(): Digest {
    return this.digester.digest();
  }
  get size(): number {
    return this.digester.size;
  }
}

/** Short form shown to users: the first 12 hex characters. */
export function shortId(d: string): string {
  const hex = d.includes(':') ? d.slice(d.indexOf(':') + 1) : d;
  return hex.slice(0, 12);
}
