// One layer blob → one directory: sniff the compression, decompress, digest
// the uncompressed bytes (the diffID), parse the tar as a stream and hand each
// entry to the unpacker. Errors are sorted by where they arose, so that the
// message says whether the compression, the tar structure or an entry was bad.
import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { DigestStream, type Digest } from '../../common/digest.js';
import { BerthError, internal, invalidArgument, messageOf } from '../../common/errors.js';
import { decompressor, detectCompression, peek, type Compression } from './decompress.js';
import { installRawXattrDecoding } from './pax.js';
import { LayerUnpacker, type TarHeader, type UnpackStats } from './unpack.js';

export interface UnpackResult {
  diffId: Digest;
  /** uncompressed bytes */
  size: number;
  compression: Compression;
  stats: UnpackStats;
}

/** Decompress and digest `layer` without unpacking it (to verify a layer already on disk). */
export async function digestLayer(layer: Readable): Promise<{ diffId: Digest; size: number }> {
  const digest = new DigestStream();
  await runStages(layer, digest, async () => {
    for await (const _ of digest);
  });
  return { diffId: digest.digest(), size: digest.size };
}

/** Unpack `layer` into the existing empty directory `dir`. */
export async function unpackLayer(layer: Readable, dir: string): Promise<UnpackResult> {
  installRawXattrDecoding();
  const digest = new DigestStream();
  const extract = tar.extract();
  const unpacker = new LayerUnpacker(dir);
  let lastEntry: string | undefined;
  let lastEntryDone = false;
  const compression = await runStages(layer, digest, async () => {
    // The 'entry' event with its explicit next() keeps one entry in flight and
    // lets every way of failing (a refused entry, a broken archive, an
    // upstream stage) end in the same place.
    await new Promise<void>((resolve, reject) => {
      let failed = false;
      const fail = (err: unknown) => {
        if (failed) return;
        failed = true;
        if (!(err instanceof BerthError)) err = tarError(err, lastEntry, lastEntryDone);
        extract.destroy(err as Error);
        reject(err);
      };
      extract.on('entry', (header: TarHeader, body: Readable, next: (err?: unknown) => void) => {
        lastEntry = header.name;
        lastEntryDone = false;
        unpacker.entry(header, body).then(() => {
          lastEntryDone = true;
          next();
        }, fail);
      });
      extract.on('error', fail);
      extract.on('finish', () => {
        if (!failed) resolve();
      });
      digest.on('error', fail);
      digest.pipe(extract);
    });
    unpacker.finish();
  });
  return { diffId: digest.digest(), size: digest.size, compression, stats: unpacker.stats };
}

/**
 * Run source → decompressor → digest, with `consume` reading from digest.
 * Whichever stage fails first decides the error.
 */
async function runStages(layer: Readable, digest: DigestStream, consume: () => Promise<void>): Promise<Compression> {
  let first: BerthError | undefined;
  const note = (e: BerthError) => {
    first ??= e;
    return first;
  };
  let peeked;
  try {
    peeked = await peek(layer, 4);
  } catch (err) {
    throw note(internal(`layer: read: ${messageOf(err)}`, err));
  }
  const compression = detectCompression(peeked.head);
  const stages: Array<Transform> = [];
  const d = decompressor(compression);
  if (d) {
    d.on('error', (err) => note(invalidArgument(`layer: invalid ${compression} data: ${messageOf(err)}`, err)));
    stages.push(d);
  }
  const source = async function* () {
    try {
      yield* peeked.stream();
    } catch (err) {
      throw note(internal(`layer: read: ${messageOf(err)}`, err));
    }
  };
  const feeding = pipeline([Readable.from(source(), { objectMode: false }), ...stages, digest]).catch((err: unknown) => {
    throw err instanceof BerthError ? note(err) : note(first ?? internal(`layer: ${messageOf(err)}`, err));
  });
  const consuming = consume().catch((err: unknown) => {
    const e = err instanceof BerthError ? note(err) : note(tarError(err, undefined, false));
    // A consumer that quits early would leave the feeding stages blocked on backpressure.
    digest.destroy(e);
    throw e;
  });
  const [fed, consumed] = await Promise.allSettled([feeding, consuming]);
  if (fed.status === 'rejected' || consumed.status === 'rejected') throw first ?? internal('layer: unpack failed');
  return compression;
}

function tarError(err: unknown, entry: string | undefined, entryDone: boolean): BerthError {
  const where = entry === undefined ? 'at the start' : `${entryDone ? 'after' : 'at'} entry "${entry}"`;
  let msg = messageOf(err);
  msg = msg.charAt(0).toLowerCase() + msg.slice(1);
  return invalidArgument(`layer: invalid tar archive ${where}: ${msg}`, err);
}
