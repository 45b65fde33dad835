// COPY/ADD --link, with BuildKit's semantics: the files are copied into an
// empty directory, that directory becomes a layer of its own, and the layer
// is stacked on the stage as it is (a MergeOp in BuildKit). Nothing of the
// parent is read: the destination path is made of plain directories (a
// symlink in the parent is not followed: the layer's directory replaces it
// when stacked), and no whiteout can arise, so no parent file is deleted.
// Likewise "COPY --link f /existing-dir" (no trailing slash) makes a file
// named existing-dir, which replaces the parent's directory when stacked, and
// the directories made for the destination (0755, the --chown owner) replace
// the parent's modes and owners of those paths: BuildKit's documented caveat.
//
// Because the layer depends on nothing below it, it is cached by its own key
// (instruction, flags, destination, source digests; never the parent's key):
// after an earlier step or the base changes, the same blob (same digest and
// diff ID) is stacked on the new parent. The step's state key still chains on
// the parent's (solver.ts), so every later step depends on the whole chain.
import type { Descriptor } from '../oci/image.js';
import type { Digest } from '../common/digest.js';
import type { ImageService } from '../image/index.js';
import type { BuildCache } from './cache.js';
import type { CopyStepPlan } from './copystep.js';
import { withLinkLayer, type LayerResult } from './layers.js';
import { addLayer, type State } from './state.js';

export interface LinkDeps {
  images: ImageService;
  cache: BuildCache;
  tmp: string;
  epoch: number | undefined;
  noCache: boolean;
  emit: (text: string) => void;
}

/** A usable cached link layer: the result (null: the copy made no layer), or undefined when there is none. */
async function cachedLink(deps: LinkDeps, linkKey: string): Promise<LayerResult | null | undefined> {
  const rec = deps.cache.getLink(linkKey);
  if (!rec) return undefined;
  if (rec.layer === null || rec.diffId === null) return null;
  const descriptor = JSON.parse(rec.layer) as Descriptor;
  if (!(await deps.images.content.exists(descriptor.digest))) {
    deps.cache.deleteLink(linkKey);
    return undefined;
  }
  return { descriptor, diffId: rec.diffId as Digest };
}

function stack(st: State, res: LayerResult): void {
  addLayer(st, res.descriptor, res.diffId);
}

/**
 * Append the --link layer of `plan` to `st`: the cached one when there is
 * one, else one made anew (and cached). Returns whether there is a layer.
 */
export async function linkedLayer(deps: LinkDeps, st: State, linkKey: string, plan: CopyStepPlan): Promise<boolean> {
  const reused = deps.noCache ? undefined : await cachedLink(deps, linkKey);
  if (reused !== undefined) {
    if (reused) {
      stack(st, reused);
      // unpack the chain new parent + this blob, if it is not there yet
      await deps.images.unpack(st.config, st.layers);
    }
    deps.emit(` ---> Using cache (--link layer${reused ? ` ${reused.descriptor.digest.slice(7, 19)}` : ''}, stacked on the new parent)\n`);
    return reused !== null;
  }
  const parent = st.config.rootfs.diff_ids;
  let made: LayerResult | undefined;
  await plan.execute(async (work) => {
    made = await withLinkLayer(deps.images, deps.tmp, parent, deps.epoch, work);
    return made !== undefined;
  });
  deps.cache.putLink(linkKey, made ? { layer: JSON.stringify(made.descriptor), diffId: made.diffId } : { layer: null, diffId: null });
  if (made) stack(st, made);
  return made !== undefined;
}
