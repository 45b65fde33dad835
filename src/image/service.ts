// ImageService: the image operations the daemon offers (list, inspect, tag,
// delete, import, save, load), over the content store, the metadata store and
// the snapshotter. Anything that writes content runs under a shared lease of
// the GC lock; delete and garbage collection take it exclusively, so a blob
// that is being loaded can never be collected before its image is recorded.
import type { Digest } from '../common/digest.js';
import { conflict, invalidArgument, notFound } from '../common/errors.js';
import { RWLock } from '../common/lock.js';
import type { Logger } from '../common/log.js';
import {
  familiarName,
  formatReference,
  fullName,
  parseReference,
  withDefaultTag,
  validateTag,
  type Reference,
} from '../common/reference.js';
import type { Descriptor, ImageConfig, ImageRuntimeConfig, Manifest } from '../oci/image.js';
import { chainIds, type LayerApplyResult, type Snapshotter } from '../snapshot/index.js';
import type { ContentStore } from './content.js';
import { parseImageConfig, parseIndex, parseManifest } from './manifest.js';
import type { ImageMetadataStore, ImageRecord } from './store.js';

export interface Image {
  record: ImageRecord;
  config: ImageConfig;
  configRaw: Buffer;
  manifest: Manifest;
  /** familiar "name:tag" strings, oldest first */
  repoTags: string[];
  /** familiar "name@sha256:..." strings */
  repoDigests: string[];
  /** committed snapshot keys of each layer, base first */
  chainIds: Digest[];
}

export interface DeleteResponseItem {
  Untagged?: string;
  Deleted?: string;
}

export interface ImageServiceDeps {
  content: ContentStore;
  meta: ImageMetadataStore;
  snapshotter: Snapshotter;
  log: Logger;
  /** `--change` lines → config: the daemon injects build/'s, which parses them as Dockerfile instructions. */
  applyChanges: (base: ImageRuntimeConfig, changes: readonly string[]) => ImageRuntimeConfig;
  /** Set by the daemon once containers exist: which container (if any) uses an image. */
  imageUser?: (id: Digest) => { id: string; running: boolean } | undefined;
}

const ID_PREFIX = /^(?:sha256:)?([a-f0-9]{1,64})$/;
/** how long a pull's partial layer (closed after a network failure) waits for the pull to be retried */
export const INGEST_RESUME_MS = 24 * 3600 * 1000;

export class ImageService {
  readonly gcLock = new RWLock();
  constructor(readonly deps: ImageServiceDeps) {}

  get content(): ContentStore {
    return this.deps.content;
  }
  get meta(): ImageMetadataStore {
    return this.deps.meta;
  }
  get snapshotter(): Snapshotter {
    return this.deps.snapshotter;
  }

  /** Find an image by name[:tag], name@digest, full ID or unique ID prefix. */
  resolve(refOrId: string): { id: Digest; ref?: Reference } {
    let ref: Reference | undefined;
    const full = /^sha256:[a-f0-9]{64}$/.exec(refOrId);
    if (full) {
      if (this.meta.get(refOrId as Digest)) return { id: refOrId as Digest };
      throw notFound(`No such image: ${refOrId}`);
    }
    try {
      ref = withDefaultTag(parseReference(refOrId));
    } catch {
      ref = undefined;
    }
    if (ref) {
      const id = this.meta.resolveName(this.nameKey(ref));
      if (id) return { id, ref };
      if (ref.digest) {
        // name@digest also matches an image whose manifest has that digest
        for (const rec of this.meta.list()) {
          if (rec.target.digest === ref.digest && this.meta.names(rec.id).some((n) => n.name.startsWith(fullName(ref!) + ':'))) return { id: rec.id, ref };
        }
      }
    }
    const m = ID_PREFIX.exec(refOrId);
    if (m) {
      const found = this.meta.findByIdPrefix(m[1]!);
      if (found.length === 1) return { id: found[0]!.id };
      if (found.length > 1) throw invalidArgument(`multiple IDs found with provided prefix: ${refOrId}`);
    }
    throw notFound(`No such image: ${ref ? formatReference(ref, true) : refOrId}`);
  }

  nameKey(ref: Reference): string {
    return ref.digest ? `${fullName(ref)}@${ref.digest}` : `${fullName(ref)}:${ref.tag ?? 'latest'}`;
  }

  async get(refOrId: string): Promise<Image> {
    return this.load(this.resolve(refOrId).id);
  }

  async load(id: Digest): Promise<Image> {
    const record = this.meta.get(id);
    if (!record) throw notFound(`No such image: ${id}`);
    const configRaw = await this.content.readBlob(id);
    const config = parseImageConfig(configRaw, `image ${id} config`);
    let manifest: Manifest;
    if (record.target.mediaType.includes('index') || record.target.mediaType.includes('manifest.list')) {
      const idx = parseIndex(await this.content.readBlob(record.target.digest));
      const m = await this.findManifestForConfig(idx.manifests, id);
      if (!m) throw notFound(`image ${id}: no manifest in its index references the config`);
      manifest = m;
    } else {
      manifest = parseManifest(await this.content.readBlob(record.target.digest), `image ${id} manifest`);
    }
    const repoTags: string[] = [];
    const repoDigests: string[] = [];
    for (const n of this.meta.names(id)) {
      const r = parseReference(n.name);
      (n.kind === 'tag' ? repoTags : repoDigests).push(formatReference(r, true));
    }
    return { record, config, configRaw, manifest, repoTags, repoDigests, chainIds: chainIds(config.rootfs.diff_ids) };
  }

  private async findManifestForConfig(descs: Descriptor[], id: Digest): Promise<Manifest | undefined> {
    for (const d of descs) {
      if (!(await this.content.exists(d.digest))) continue;
      const m = parseManifest(await this.content.readBlob(d.digest));
      if (m.config.digest === id) return m;
    }
    return undefined;
  }

  async list(): Promise<Image[]> {
    const out: Image[] = [];
    for (const rec of this.meta.list()) {
      try {
        out.push(await this.load(rec.id));
      } catch (err) {
        this.deps.log.warn('image list: skipping unreadable image', { id: rec.id, err: String(err) });
      }
    }
    return out;
  }

  /** `docker tag SOURCE TARGET` */
  tag(source: string, repo: string, tag?: string): string {
    const { id } = this.resolve(source);
    if (tag !== undefined && tag !== '') validateTag(tag);
    const target = withDefaultTag(parseReference(tag ? `${repo}:${tag}` : repo));
    if (target.digest) throw invalidArgument('refusing to create a tag with a digest reference');
    this.meta.setName(this.nameKey(target), 'tag', id);
    return formatReference(target, true);
  }

  /** `docker rmi`: untag and, when nothing refers to the image any more, delete it and its unshared layers. */
  async remove(refOrId: string, opts: { force?: boolean; noPrune?: boolean } = {}): Promise<DeleteResponseItem[]> {
    return this.gcLock.exclusive(async () => {
      const { id, ref } = this.resolve(refOrId);
      const out: DeleteResponseItem[] = [];
      const user = this.deps.imageUser?.(id);
      const names = this.meta.names(id);
      const byId = ref === undefined || !this.meta.resolveName(this.nameKey(ref));
      if (!byId) {
        // by name: untag; the image goes only when that was its last name
        const key = this.nameKey(ref!);
        if (user && names.length === 1 && !opts.force) {
          throw conflict(`conflict: unable to remove repository reference "${formatReference(ref!, true)}" (must force) - container ${user.id.slice(0, 12)} is using its referenced image ${id.slice(7, 19)}`);
        }
        this.meta.removeName(key);
        out.push({ Untagged: formatReference(parseReference(key), true) });
        // as docker: once no tag is left, the digest references (RepoDigests) go too
        const left = this.meta.names(id);
        if (!user && left.length > 0 && left.every((n) => n.kind === 'digest')) {
          for (const n of left) {
            this.meta.removeName(n.name);
            out.push({ Untagged: formatReference(parseReference(n.name), true) });
          }
        }
        if (this.meta.names(id).length > 0 || user) return out;
      } else {
        // dockerd's order: a running user cannot be forced; then several repositories; then a stopped user
        if (user?.running) throw conflict(`conflict: unable to delete ${id.slice(7, 19)} (cannot be forced) - image is being used by running container ${user.id.slice(0, 12)}`);
        const repos = new Set(names.map((n) => fullName(parseReference(n.name))));
        if (repos.size > 1 && !opts.force) {
          throw conflict(`conflict: unable to delete ${id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories`);
        }
        if (user && !opts.force) throw conflict(`conflict: unable to delete ${id.slice(7, 19)} (must be forced) - image is being used by stopped container ${user.id.slice(0, 12)}`);
        for (const n of names) {
          this.meta.removeName(n.name);
          out.push({ Untagged: formatReference(parseReference(n.name), true) });
        }
      }
      const image = await this.load(id).catch(() => undefined);
      this.meta.delete(id);
      out.push({ Deleted: id });
      // a stopped container still stands on the layers of an image forced away (rmi -f): they stay until the next GC finds them unused
      if (image && !user) for (const c of await this.releaseLayers(image.chainIds)) out.push({ Deleted: c });
      await this.collectGarbage();
      return out;
    });
  }

  /** Remove committed layer snapshots, newest first, that no remaining image uses. */
  private async releaseLayers(chain: Digest[]): Promise<Digest[]> {
    const inUse = new Set<string>();
    for (const rec of this.meta.list()) {
      const cfg = parseImageConfig(await this.content.readBlob(rec.id));
      for (const c of chainIds(cfg.rootfs.diff_ids)) inUse.add(c);
    }
    const removed: Digest[] = [];
    for (const c of [...chain].reverse()) {
      if (inUse.has(c)) break;
      try {
        await this.snapshotter.remove(c);
        this.meta.deleteLayer(c);
        removed.push(c);
      } catch (err) {
        this.deps.log.warn('could not remove layer snapshot', { chainId: c, err: String(err) });
        break;
      }
    }
    return removed;
  }

  /**
   * Delete every blob no image reaches (manifests, indexes, configs, layers).
   * Callers hold the GC lock exclusively. Returns the digests removed.
   */
  async collectGarbage(): Promise<Digest[]> {
    const live = new Set<string>();
    const mark = async (d: Descriptor): Promise<void> => {
      if (live.has(d.digest)) return;
      live.add(d.digest);
      if (!(await this.content.exists(d.digest))) return;
      if (d.mediaType.includes('index') || d.mediaType.includes('manifest.list')) {
        for (const m of parseIndex(await this.content.readBlob(d.digest)).manifests) await mark(m);
      } else if (d.mediaType.includes('manifest')) {
        const m = parseManifest(await this.content.readBlob(d.digest));
        live.add(m.config.digest);
        for (const l of m.layers) live.add(l.digest);
      }
    };
    for (const rec of this.meta.list()) {
      live.add(rec.id);
      await mark(rec.target);
    }
    const removed: Digest[] = [];
    for await (const info of this.content.list()) {
      if (live.has(info.digest)) continue;
      await this.content.delete(info.digest).catch(() => {});
      removed.push(info.digest);
    }
    await this.pruneSnapshots();
    // partial writes no writer owns (a kill -9 mid-load); a pull's partial layer is kept a day for a resume
    const ingests = await this.content.cleanIngests(INGEST_RESUME_MS);
    if (ingests) this.deps.log.info('removed abandoned ingests', { count: ingests });
    return removed;
  }

  /** Remove committed layer snapshots no image uses (left by a failed load), leaves first. */
  private async pruneSnapshots(): Promise<void> {
    const used = new Set<string>();
    for (const rec of this.meta.list()) {
      const cfg = parseImageConfig(await this.content.readBlob(rec.id));
      for (const c of chainIds(cfg.rootfs.diff_ids)) used.add(c);
    }
    let snaps = (await this.snapshotter.list()).filter((s) => s.kind === 'committed' && !used.has(s.key));
    // Each pass removes the snapshots that are nobody's parent; repeat until none is left.
    for (let pass = 0; pass < 256 && snaps.length > 0; pass++) {
      const all = await this.snapshotter.list();
      const parents = new Set(all.map((s) => s.parent).filter((p): p is string => p !== undefined));
      const leaves = snaps.filter((s) => !parents.has(s.key));
      if (leaves.length === 0) break;
      for (const s of leaves) {
        await this.snapshotter.remove(s.key).catch((err: unknown) => this.deps.log.warn('could not prune snapshot', { key: s.key, err: String(err) }));
        this.meta.deleteLayer(s.key as Digest);
      }
      const gone = new Set(leaves.map((s) => s.key));
      snaps = snaps.filter((s) => !gone.has(s.key));
    }
  }

  async gc(): Promise<Digest[]> {
    return this.gcLock.exclusive(() => this.collectGarbage());
  }

  /** Record an image whose blobs are in the content store and whose layers are unpacked. */
  async commitImage(target: Descriptor, config: ImageConfig, names: Reference[]): Promise<{ id: Digest; untagged: string[] }> {
    const id = target.mediaType.includes('index') || target.mediaType.includes('manifest.list') ? undefined : parseManifest(await this.content.readBlob(target.digest)).config.digest;
    if (!id) throw invalidArgument('commitImage: target must be a manifest');
    let size = 0;
    for (const c of chainIds(config.rootfs.diff_ids)) size += this.meta.getLayer(c)?.size ?? 0;
    const untagged: string[] = [];
    this.meta.transaction(() => {
      this.meta.put({ id, target, addedAt: new Date(), size });
      for (const n of names) {
        const prev = this.meta.setName(this.nameKey(n), n.digest ? 'digest' : 'tag', id);
        if (prev) untagged.push(prev);
      }
    });
    return { id, untagged };
  }

  /**
   * Unpack each layer of an image that is not unpacked yet, base first,
   * verifying every layer's diff ID against the config.
   */
  async unpack(
    config: ImageConfig,
    layers: Descriptor[],
    ahead?: (blob: Digest, parent: Digest | null) => Promise<LayerApplyResult | undefined>,
  ): Promise<void> {
    const ids = config.rootfs.diff_ids;
    if (ids.length !== layers.length) {
      throw invalidArgument(`image has ${layers.length} layers but its config lists ${ids.length} diff IDs`);
    }
    const chain = chainIds(ids);
    for (let i = 0; i < layers.length; i++) {
      const parent = i === 0 ? null : chain[i - 1]!;
      // A layer unpacked ahead (during a load) is claimed even when the chain
      // exists already, so that its speculation is settled either way.
      let res = ahead ? await ahead(layers[i]!.digest, parent) : undefined;
      if (res && res.diffId !== ids[i]) {
        throw invalidArgument(`layer ${layers[i]!.digest}: content digest ${res.diffId} does not match the expected diffID ${ids[i]}`);
      }
      if (!res && (await this.snapshotter.exists(chain[i]!))) {
        if (!this.meta.getLayer(chain[i]!)) this.meta.putLayer({ chainId: chain[i]!, diffId: ids[i]!, size: await this.snapshotter.usage(chain[i]!) });
        continue;
      }
      res ??= await this.snapshotter.applyLayer(parent, await this.content.reader(layers[i]!.digest), { expectedDiffId: ids[i]! });
      if (!this.meta.getLayer(res.chainId)) {
        this.meta.putLayer({ chainId: res.chainId, diffId: res.diffId, size: res.contentSize ?? (await this.snapshotter.usage(res.chainId)) });
      }
    }
  }

  familiar(ref: Reference): string {
    return familiarName(ref);
  }
}
