// --cache-from: docker's legacy builder semantics (moby image/cache, the
// history-based ImageCache), so that it works with images that were pulled
// or loaded and of which berth's build_cache table knows nothing. A step may
// take the next entry of a cache source when:
//   - the state so far is a prefix of the source: its history entries equal
//     the source's first ones (docker's isValidParent: created, created_by,
//     author, comment, empty_layer) and its diff IDs are the source's first ones;
//   - the source's next history entry was made by the same step: the same
//     created_by (docker's isValidConfig) and the same comment.
// created_by names everything a step depends on for the instructions docker's
// legacy builder knows (COPY/ADD carry the content digest, "file:<sha256>");
// for what berth adds (RUN --mount and --network, COPY --chmod and --link) the step's
// history comment carries a digest of the rest of its cache key
// ("berth.run.v0 sha256:..."), see solver.ts. The step then reuses the
// source's history entry and its layer; the config is the build's own.
// Once a step took a source, the stage's later steps only look at that source
// (docker: "avoid jumping to different target"); docker keeps that choice for
// the rest of the build, berth per stage, since stages run concurrently.
import type { Digest } from '../common/digest.js';
import type { Descriptor, HistoryEntry, ImageConfig } from '../oci/image.js';

export interface CacheSource {
  /** image ID */
  id: string;
  /** the reference it was given as */
  name: string;
  config: ImageConfig;
  /** manifest layer descriptors, one per diff ID */
  layers: Descriptor[];
  /** what the image record points at (a manifest, or an index holding it) */
  target: Descriptor;
}

export interface CacheFromHit {
  source: CacheSource;
  entry: HistoryEntry;
  /** the layer the step added, when its history entry is not an empty layer */
  layer?: { descriptor: Descriptor; diffId: Digest };
}

function sameEntry(a: HistoryEntry, b: HistoryEntry): boolean {
  return (
    (a.created ?? '') === (b.created ?? '') &&
    (a.created_by ?? '') === (b.created_by ?? '') &&
    (a.author ?? '') === (b.author ?? '') &&
    (a.comment ?? '') === (b.comment ?? '') &&
    (a.empty_layer ?? false) === (b.empty_layer ?? false)
  );
}

/** Whether the history and layers of `source` are consistent (one diff ID per non-empty entry, one descriptor per diff ID). */
export function usableSource(s: CacheSource): boolean {
  const history = s.config.history ?? [];
  const nonEmpty = history.filter((h) => !h.empty_layer).length;
  return history.length > 0 && nonEmpty === s.config.rootfs.diff_ids.length && s.layers.length === s.config.rootfs.diff_ids.length;
}

/** docker's isValidParent: the state so far is where `target` was at the same point. */
function isValidParent(target: ImageConfig, parent: ImageConfig): boolean {
  const th = target.history ?? [];
  const ph = parent.history ?? [];
  if (th.length === 0) return false;
  if (ph.length === 0 && parent.rootfs.diff_ids.length === 0) return true;
  if (ph.length >= th.length) return false;
  const pd = parent.rootfs.diff_ids;
  const td = target.rootfs.diff_ids;
  if (pd.length > td.length) return false;
  return ph.every((h, i) => sameEntry(h, th[i]!)) && pd.every((d, i) => d === td[i]);
}

/**
 * Find the next step of a cache source: `parent` is the state before the
 * step, `createdBy` and `comment` what the step would write in its history.
 */
export function matchCacheFrom(sources: readonly CacheSource[], parent: ImageConfig, createdBy: string, comment: string | undefined): CacheFromHit | undefined {
  const at = (parent.history ?? []).length;
  for (const source of sources) {
    const target = source.config;
    if (!isValidParent(target, parent)) continue;
    const entry = target.history![at]!;
    if (entry.created_by !== createdBy || (entry.comment ?? '') !== (comment ?? '')) continue;
    if (entry.empty_layer) return { source, entry };
    const index = target.history!.slice(0, at).filter((h) => !h.empty_layer).length;
    // a non-empty entry takes the next diff ID: the parent's layers are exactly the ones before it
    if (index !== parent.rootfs.diff_ids.length) continue;
    return { source, entry, layer: { descriptor: source.layers[index]!, diffId: target.rootfs.diff_ids[index]! } };
  }
  return undefined;
}
