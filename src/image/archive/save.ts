// `docker save`: images as one tar in the layout docker 25+ writes, which both
// old and new docker and berth load: an OCI image layout (oci-layout,
// index.json, blobs/sha256/...) plus docker's manifest.json naming the config
// and layer files of each image and its tags.
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { encodedOf, type Digest } from '../../common/digest.js';
import { fullName, parseReference, formatReference } from '../../common/reference.js';
import { MediaType } from '../../oci/mediatypes.js';
import { Annotations, type Descriptor } from '../../oci/image.js';
import type { ImageService, Image } from '../service.js';

interface SaveItem {
  image: Image;
  /** full references "docker.io/library/busybox:latest" */
  tags: string[];
}

/** Resolve what `docker save NAME...` means: a repo without a tag saves all its tags. */
export async function planSave(svc: ImageService, names: readonly string[]): Promise<SaveItem[]> {
  const items = new Map<Digest, SaveItem>();
  const add = async (id: Digest, tag?: string) => {
    let it = items.get(id);
    if (!it) items.set(id, (it = { image: await svc.load(id), tags: [] }));
    if (tag && !it.tags.includes(tag)) it.tags.push(tag);
  };
  for (const n of names) {
    let ref;
    try {
      ref = parseReference(n);
    } catch {
      ref = undefined;
    }
    if (ref && ref.tag === undefined && ref.digest === undefined) {
      const repo = fullName(ref);
      const all = svc.meta.list().flatMap((rec) => svc.meta.names(rec.id).filter((x) => x.kind === 'tag' && x.name.startsWith(`${repo}:`)).map((x) => ({ id: rec.id, name: x.name })));
      if (all.length > 0) {
        for (const t of all) await add(t.id, t.name);
        continue;
      }
    }
    const { id, ref: matched } = svc.resolve(n);
    await add(id, matched && !matched.digest ? svc.nameKey(matched) : undefined);
  }
  return [...items.values()];
}

export async function saveImages(svc: ImageService, items: SaveItem[], out: NodeJS.WritableStream): Promise<void> {
  const pack = tar.pack();
  const done = pipeline(pack, out as NodeJS.WritableStream);
  const mtime = new Date(0);
  const addBuffer = (name: string, data: Buffer) =>
    new Promise<void>((resolve, reject) => pack.entry({ name, size: data.length, mode: 0o644, mtime }, data, (e) => (e ? reject(e) : resolve())));
  const addBlob = async (d: Descriptor, written: Set<string>) => {
    if (written.has(d.digest)) return;
    written.add(d.digest);
    const info = await svc.content.info(d.digest);
    const src: Readable = await svc.content.reader(d.digest);
    await new Promise<void>((resolve, reject) => {
      const entry = pack.entry({ name: `blobs/sha256/${encodedOf(d.digest)}`, size: info.size, mode: 0o444, mtime }, (e) => (e ? reject(e) : resolve()));
      src.on('error', (e) => entry.destroy(e));
      src.pipe(entry);
    });
  };
  try {
    pack.entry({ name: 'blobs/', type: 'directory', mode: 0o755, mtime });
    pack.entry({ name: 'blobs/sha256/', type: 'directory', mode: 0o755, mtime });
    const written = new Set<string>();
    const indexEntries: Descriptor[] = [];
    const manifestJson: { Config: string; RepoTags: string[]; Layers: string[] }[] = [];
    for (const it of items) {
      const img = it.image;
      await addBlob(img.record.target, written);
      await addBlob(img.manifest.config, written);
      for (const l of img.manifest.layers) await addBlob(l, written);
      const base = { mediaType: img.record.target.mediaType, digest: img.record.target.digest, size: img.record.target.size };
      if (it.tags.length === 0) indexEntries.push(base);
      for (const t of it.tags) {
        const r = parseReference(t);
        indexEntries.push({ ...base, annotations: { [Annotations.ContainerdImageName]: t, [Annotations.RefName]: r.tag ?? 'latest' } });
      }
      manifestJson.push({
        Config: `blobs/sha256/${encodedOf(img.manifest.config.digest)}`,
        RepoTags: it.tags.map((t) => formatReference(parseReference(t), true)),
        Layers: img.manifest.layers.map((l) => `blobs/sha256/${encodedOf(l.digest)}`),
      });
    }
    await addBuffer('index.json', Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: indexEntries })));
    await addBuffer('manifest.json', Buffer.from(JSON.stringify(manifestJson)));
    await addBuffer('oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
    pack.finalize();
  } catch (err) {
    pack.destroy(err as Error);
  }
  await done;
}
