import { PassThrough, type Readable } from 'node:stream';

/**
 * Split one stream into two that each see every byte, with backpressure: the
 * source is paused while either branch is full. An error on the source reaches
 * both branches.
 */
export function tee(src: Readable): [PassThrough, PassThrough] {
  const a = new PassThrough({ highWaterMark: 1 << 20 });
  const b = new PassThrough({ highWaterMark: 1 << 20 });
  let waiting = 0;
  const resume = () => {
    if (--waiting === 0) src.resume();
  };
  src.on('data', (chunk: Buffer) => {
    const okA = a.destroyed || a.write(chunk);
    const okB = b.destroyed || b.write(chunk);
    if (!okA) {
      waiting++;
      a.once('drain', resume);
    }
    if (!okB) {
      waiting++;
      b.once('drain', resume);
    }
    if (waiting > 0) src.pause();
  });
  src.on('end', () => {
    if (!a.destroyed) a.end();
    if (!b.destroyed) b.end();
  });
  src.on('error', (err) => {
    a.destroy(err);
    b.destroy(err);
  });
  // A consumer that gives up must not leave the other branch stalled.
  const onBranchClose = () => {
    if (waiting > 0) {
      waiting = 0;
      src.resume();
    }
  };
  a.on('close', onBranchClose);
  b.on('close', onBranchClose);
  return [a, b];
}

/** Read a whole (small) stream into memory, refusing more than `max` bytes. */
export async function readStream(src: Readable, max = 64 << 20): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of src) {
    n += (c as Buffer).length;
    if (n > max) throw new Error(`stream larger than ${max} bytes`);
    parts.push(c as Buffer);
  }
  return Buffer.concat(parts);
}
