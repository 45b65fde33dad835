// `docker push`: upload an image's blobs exactly as they are stored (layers
// stay compressed as built, pulled or imported: no recompression), skipping
// what the registry has (HEAD) and mounting what another repository on the
// same registry has, then the manifest as stored, last.
import { shortId, type Digest } from '../common/digest.js';
import { invalidArgument, notFound, wrap } from '../common/errors.js';
import { formatReference, fullName, parseReference, withDefaultTag, type Reference } from '../common/reference.js';
import { isIndexType } from '../oci/mediatypes.js';
import type { Descriptor } from '../oci/image.js';
import { RegistryClient, Repository, type RegistryClientOptions } from '../registry/index.js';
import { parseIndex, parseManifest } from './manifest.js';
import { byteProgress, type ProgressSink } from './progress.js';
import type { ImageService } from './service.js';

export interface PushOptions {
  /** repository, with the tag to push; no tag: every tag of the repository */
  ref: Reference;
  registry: RegistryClientOptions;
  progress: ProgressSink;
  /** parallel uploads (docker's max-concurrent-uploads is 5) */
  concurrency?: number;
  /** bytes per PATCH; 0 = the whole blob in one request */
  chunkSize?: number;
}

/** The stored manifest of an image (the child of its index when it was loaded with one). */
async function storedManifest(svc: ImageService, id: Digest): Promise<{ desc: Descriptor; bytes: Buffer }> {
  const rec = svc.meta.get(id);
  if (!rec) throw notFound(`No such image: ${id}`);
  if (!isIndexType(rec.target.mediaType)) return { desc: rec.target, bytes: await svc.content.readBlob(rec.target.digest) };
  for (const d of parseIndex(await svc.content.readBlob(rec.target.digest)).manifests) {
    if (!(await svc.content.exists(d.digest))) continue;
    const bytes = await svc.content.readBlob(d.digest);
    if (parseManifest(bytes).config.digest === id) return { desc: d, bytes };
  }
  throw notFound(`image ${id}: no stored manifest for its config`);
}

export async function pushImage(svc: ImageService, o: PushOptions): Promise<{ tag: string; digest: Digest; size: number }[]> {
  const repoName = fullName(o.ref);
  const tags = o.ref.tag !== undefined
    ? [o.ref.tag]
    : svc.meta.list().flatMap((r) => svc.meta.names(r.id).filter((n) => n.kind === 'tag' && n.name.startsWith(repoName + ':')).map((n) => n.name.slice(repoName.length + 1)));
  if (tags.length === 0) throw notFound(`An image does not exist locally with the tag: ${formatReference(o.ref, true)}`);
  o.progress({ status: `The push refers to repository [${repoName}]` });
  const client = new RegistryClient(o.ref.domain, o.registry);
  const out: { tag: string; digest: Digest; size: number }[] = [];
  try {
    const repo = new Repository(client, o.ref.path, true);
    for (const tag of tags) {
      const key = svc.nameKey({ domain: o.ref.domain, path: o.ref.path, tag });
      const id = svc.meta.resolveName(key);
      if (!id) throw notFound(`An image does not exist locally with the tag: ${formatReference({ ...o.ref, tag }, true)}`);
      const pushed = await svc.gcLock.shared(() => pushOne(svc, repo, id, tag, o));
      out.push({ tag, ...pushed });
      // docker records the pushed digest as a RepoDigest
      svc.meta.setName(`${repoName}@${pushed.digest}`, 'digest', id);
    }
    return out;
  } finally {
    client.close();
  }
}

async function pushOne(svc: ImageService, repo: Repository, id: Digest, tag: string, o: PushOptions): Promise<{ digest: Digest; size: number }> {
  const { desc, bytes } = await storedManifest(svc, id);
  const manifest = parseManifest(bytes, `manifest ${desc.digest}`);
  const image = await svc.load(id);
  const diffIds = image.config.rootfs.diff_ids;
  // other repositories on the same registry that hold this image: mount sources
  const mountFrom = [...new Set([...image.repoTags, ...image.repoDigests].map((n) => withDefaultTag(parseReference(n))).filter((r) => r.domain === repo.client.domain && r.path !== repo.name).map((r) => r.path))];
  for (const l of manifest.layers) if (!(await svc.content.exists(l.digest))) throw notFound(`blob ${l.digest} of image ${id} is not in the content store (it cannot be pushed)`);
  const order = manifest.layers.map((l, i) => ({ l, id: shortId(diffIds[i] ?? l.digest) })).reverse();
  for (const x of order) o.progress({ status: 'Preparing', id: x.id });
  const limit = Math.max(1, o.concurrency ?? 5);
  for (const x of order.slice(limit)) o.progress({ status: 'Waiting', id: x.id });
  let next = 0;
  const seen = new Set<string>();
  const worker = async () => {
    while (next < order.length) {
      const { l, id: sid } = order[next++]!;
      if (seen.has(l.digest)) continue;
      seen.add(l.digest);
      const report = byteProgress(o.progress, 'Pushing', sid, l.size);
      try {
        const r = await repo.pushBlob(l.digest, l.size, { open: (offset) => svc.content.reader(l.digest, offset > 0 ? { start: offset } : undefined), chunkSize: o.chunkSize ?? 0, onProgress: report, mountFrom });
        o.progress({ status: r === 'exists' ? 'Layer already exists' : r === 'mounted' ? `Mounted from ${mountFrom[0] ?? repo.name}` : 'Pushed', id: sid });
      } catch (err) {
        throw wrap(err, `pushing layer ${l.digest}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, order.length) }, worker));
  const cfg = manifest.config;
  if (!(await svc.content.exists(cfg.digest))) throw invalidArgument(`config ${cfg.digest} missing from the content store`);
  await repo.pushBlob(cfg.digest, cfg.size, { open: (offset) => svc.content.reader(cfg.digest, offset > 0 ? { start: offset } : undefined) });
  const mediaType = manifest.mediaType ?? desc.mediaType;
  const digest = await repo.putManifest(tag, mediaType, bytes);
  o.progress({ status: `${tag}: digest: ${digest} size: ${bytes.length}` });
  o.progress({ progressDetail: {}, aux: { Tag: tag, Digest: digest, Size: bytes.length } });
  return { digest, size: bytes.length };
}
