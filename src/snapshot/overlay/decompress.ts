// Layer compression is detected from the first bytes rather than trusted from
// the media type: registries and old tools mislabel layers, and docker does
// the same sniffing.
import { Transform, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';

export type Compression = 'gzip' | 'zstd' | 'none';

export function detectCompression(head: Uint8Array): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  return 'none';
}

/** fzstd's push-style streaming decoder as a Node Transform. */
export class ZstdDecompressStream extends Transform {
  private readonly decoder: Decompress;
  constructor() {
    super();
    // fzstd keeps block buffers for its back-reference window, so each chunk
    // is copied before it leaves.
    this.decoder = new Decompress((data) => {
      if (data.length > 0) this.push(Buffer.from(data));
    });
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.decoder.push(chunk);
      cb();
    } catch (err) {
      cb(err instanceof Error ? err : new Error(String(err)));
    }
  }
  override _flush(cb: TransformCallback): void {
    try {
      this.decoder.push(new Uint8Array(0), true);
      cb();
    } catch (err) {
      cb(err instanceof Error ? err : new Error(String(err)));
    }
  }
}

/** The stage that undoes `c`, or null for an uncompressed tar. */
export function decompressor(c: Compression): Transform | null {
  switch (c) {
    case 'gzip':
      // Larger output chunks than zlib's 16 KiB default: fewer writes and tar parser steps per layer.
      return createGunzip({ chunkSize: 256 * 1024 });
    case 'zstd':
      return new ZstdDecompressStream();
    case 'none':
      return null;
  }
}

/**
 * Read the first bytes of `source` without losing them: returns the bytes and
 * a generator that yields everything (those bytes included) in order.
 */
export async function peek(
  source: AsyncIterable<Uint8Array>,
  want: number,
): Promise<{ head: Buffer; stream: () => AsyncGenerator<Uint8Array> }> {
  const it = source[Symbol.asyncIterator]();
  const first: Uint8Array[] = [];
  let have = 0;
  let done = false;
  while (have < want) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    first.push(r.value);
    have += r.value.length;
  }
  const head = Buffer.concat(first.map((c) => c.subarray(0, want))).subarray(0, want);
  async function* stream(): AsyncGenerator<Uint8Array> {
    try {
      yield* first;
      if (done) return;
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield r.value;
      }
    } finally {
      await it.return?.();
    }
  }
  return { head, stream };
}
