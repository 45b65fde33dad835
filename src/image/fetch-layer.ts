// Download one layer blob into the content store while the same bytes are
// unpacked. The ingest is named by the blob digest, so an interrupted
// download (a cut connection, a killed daemon) is resumed with a Range request
// instead of starting over; within a pull a cut connection is retried at once.
// The snapshot of a layer commits only after its blob verified (the parent
// promise waits for it), so a corrupted blob leaves neither blob nor snapshot.
import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import type { Digest } from '../common/digest.js';
import { invalidArgument, isKind, messageOf, wrap } from '../common/errors.js';
import type { Descriptor } from '../oci/image.js';
import type { Repository } from '../registry/index.js';
import type { LayerApplyResult } from '../snapshot/index.js';
import type { ContentStore, ContentWriter } from './content.js';
import { byteProgress, type ProgressSink } from './progress.js';

export const INGEST_PREFIX = 'pull-';
const RETRIES = 5;

export interface FetchLayerDeps {
  content: ContentStore;
  repo: Repository;
  progress: ProgressSink;
  id: string;
}

// The unpack may fail first (a flipped byte breaks gzip before the digest can
// be checked); the download then goes on alone so that the error the user sees
// is the verification failure, and nothing waits on a dead unpack.
async function writeBoth(w: ContentWriter, tap: PassThrough | undefined, chunk: Buffer, tapFailed: Promise<unknown>): Promise<void> {
  await w.write(chunk);
  if (tap && !tap.destroyed && !tap.write(chunk)) await Promise.race([once(tap, 'drain').catch(() => {}), tapFailed.then(() => {}, () => {})]);
}

/**
 * Fetch `layer` into the content store. `tap`, when given, receives the bytes
 * from offset 0 as they arrive (for an unpack running alongside); it is left
 * unused (and ended) when the ingest resumes past 0, and the return says so.
 */
export async function fetchLayer(d: FetchLayerDeps, layer: Descriptor, tap: PassThrough | undefined, tapFailed: Promise<unknown>): Promise<{ tapped: boolean }> {
  const ref = INGEST_PREFIX + layer.digest;
  const opened = await openOrWait(d, layer, ref);
  if (opened === 'present') {
    tap?.end();
    d.progress({ status: 'Download complete', id: d.id });
    return { tapped: false };
  }
  let w = opened;
  const tapped = w.offset === 0 && tap !== undefined;
  if (!tapped) tap?.end();
  const report = byteProgress(d.progress, 'Downloading', d.id, layer.size);
  let attempts = 0;
  try {
    while (w.offset < layer.size) {
      let src: Readable;
      let start: number;
      try {
        const b = await d.repo.blob(layer.digest, w.offset);
        src = b.stream;
        start = b.offset;
      } catch (err) {
        if (isKind(err, 'Unavailable') && ++attempts <= RETRIES) {
          await new Promise((r) => setTimeout(r, 200 * attempts));
          continue;
        }
        throw err;
      }
      if (start !== w.offset) {
        // the registry ignored the range: start over (only possible before any tapped byte was used)
        if (tapped && w.offset > 0) throw invalidArgument(`blob ${layer.digest}: registry restarted the download without honouring the range`);
        await w.abort();
        w = await d.content.writer({ ref, expected: layer.digest, expectedSize: layer.size });
      }
      try {
        for await (const c of src) {
          const chunk = c as Buffer;
          if (w.offset + chunk.length > layer.size) throw invalidArgument(`blob ${layer.digest}: the registry sent more than the ${layer.size} bytes the manifest declares`);
          await writeBoth(w, tapped ? tap : undefined, chunk, tapFailed);
          report(w.offset);
        }
      } catch (err) {
        src.destroy();
        if (isKind(err, 'InvalidArgument')) throw err;
        if (++attempts > RETRIES) throw wrap(err, `downloading ${layer.digest}`);
        d.progress({ status: `Retrying download from byte ${w.offset}`, id: d.id });
        continue;
      }
      if (w.offset < layer.size && ++attempts > RETRIES) throw invalidArgument(`blob ${layer.digest}: the registry ended the blob at ${w.offset} of ${layer.size} bytes`);
    }
    report(w.offset, true);
    d.progress({ status: 'Verifying Checksum', id: d.id });
    try {
      await w.commit();
    } catch (err) {
      if (!isKind(err, 'AlreadyExists')) {
        throw invalidArgument(`filesystem layer verification failed for digest ${layer.digest}: ${messageOf(err)}`);
      }
    }
    if (tapped) tap!.end();
    d.progress({ status: 'Download complete', id: d.id });
    return { tapped };
  } catch (err) {
    // a network failure keeps the partial ingest for the next pull; bad content does not
    if (isKind(err, 'Unavailable') || isKind(err, 'Internal')) await w.close().catch(() => {});
    else await w.abort().catch(() => {});
    tap?.destroy(err instanceof Error ? err : new Error(String(err)));
    throw err;
  }
}

/**
 * The layer's ingest writer; when another pull is downloading the same blob,
 * wait for it instead, and take over if it gave up without the blob.
 */
async function openOrWait(d: FetchLayerDeps, layer: Descriptor, ref: string): Promise<ContentWriter | 'present'> {
  let waiting = false;
  for (;;) {
    if (await d.content.exists(layer.digest)) return 'present';
    try {
      return await d.content.writer({ ref, expected: layer.digest, expectedSize: layer.size });
    } catch (err) {
      if (!isKind(err, 'Conflict')) throw err;
    }
    if (!waiting) d.progress({ status: 'Waiting', id: d.id });
    waiting = true;
    await new Promise((r) => setTimeout(r, 250));
  }
}

export type { LayerApplyResult, Digest };
