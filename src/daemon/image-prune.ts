// POST /images/prune: dockerd 20.10's ImagesPrune over berth's image and container services.
// Dangling (untagged) images by default, with dangling=false every image no container uses;
// filters until, label, label!; the space is what the removed layers held (their unpacked size).
import { invalidArgument, messageOf } from '../common/errors.js';
import type { Logger } from '../common/log.js';
import type { DeleteResponseItem, ImageService } from '../image/index.js';
import { checkPruneFilters, pruneLabelsMatch, pruneUntil } from './containers/prune.js';
import type { ContainerService } from './containers/index.js';

export interface ImagesPruneReport {
  ImagesDeleted: DeleteResponseItem[] | null;
  SpaceReclaimed: number;
}

function danglingOnly(filters: Map<string, string[]>): boolean {
  const v = filters.get('dangling');
  if (!v?.length) return true;
  if (v.length === 1 && (v[0] === 'false' || v[0] === '0')) return false;
  if (v.length === 1 && (v[0] === 'true' || v[0] === '1')) return true;
  throw invalidArgument(`Invalid filter 'dangling=[${v.join(' ')}]'`);
}

export async function pruneImages(images: ImageService, containers: ContainerService, filters: Map<string, string[]>, log: Logger): Promise<ImagesPruneReport> {
  checkPruneFilters(filters, ['dangling', 'label', 'label!', 'until']);
  const onlyDangling = danglingOnly(filters);
  const until = pruneUntil(filters);
  const used = new Set(containers.list().map((c) => c.Image));
  const all = await images.list();
  // the layers' sizes now: a removal forgets them
  const layerSize = new Map<string, number>();
  for (const img of all) for (const c of img.chainIds) layerSize.set(c, images.meta.getLayer(c)?.size ?? 0);
  const out: DeleteResponseItem[] = [];
  const remove = async (ref: string) => {
    try {
      out.push(...(await images.remove(ref, { force: false })));
    } catch (err) {
      // as dockerd: one that cannot go (a container took it meanwhile, a name went) is skipped
      log.warn('failed to prune image', { ref, err: messageOf(err) });
    }
  };
  for (const img of all) {
    const id = img.record.id;
    if (used.has(id)) continue;
    const created = img.config.created ? Date.parse(img.config.created) : NaN;
    if (until !== undefined && !Number.isNaN(created) && created > until) continue;
    if (!pruneLabelsMatch(filters, img.config.config?.Labels ?? undefined)) continue;
    const refs = [...img.repoTags, ...img.repoDigests];
    if (!refs.length) {
      await remove(id);
      continue;
    }
    // a digest reference alone still makes it dangling; a tag does not
    if (onlyDangling && img.repoTags.length) continue;
    for (const r of refs) await remove(r);
  }
  let space = 0;
  for (const d of out) if (d.Deleted) space += layerSize.get(d.Deleted) ?? 0;
  return { ImagesDeleted: out.length ? out : null, SpaceReclaimed: space };
}
