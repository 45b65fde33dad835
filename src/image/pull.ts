// `docker pull`: resolve a reference on its registry (tag or digest → manifest
// or index → the platform's manifest → config and layers), then fetch the
// layers in parallel into the content store, compressed as the registry serves
// them (so a later push is only an upload), unpacking each while it arrives.
// Every blob is verified against its digest; the image is recorded (with its
// RepoDigest, as docker does) only when every layer is in place.
import { PassThrough } from 'node:stream';
import { Digester, shortId, type Digest } from '../common/digest.js';
import { invalidArgument, isKind, notFound, wrap } from '../common/errors.js';
import { formatReference, type Reference } from '../common/reference.js';
import { isIndexType } from '../oci/mediatypes.js';
import type { Descriptor, ImageConfig, Manifest, Platform } from '../oci/image.js';
import { RegistryClient, RegistryError, Repository, type RegistryClientOptions } from '../registry/index.js';
import { chainIds, type LayerApplyResult } from '../snapshot/index.js';
import { fetchLayer } from './fetch-layer.js';
import { ociArch, parseImageConfig, parseIndex, parseManifest } from './manifest.js';
import type { ProgressSink } from './progress.js';
import type { ImageService } from './service.js';

export interface PullOptions {
  /** with a tag or a digest */
  ref: Reference;
  platform?: { os: string; architecture: string; variant?: string };
  registry: RegistryClientOptions;
  progress: ProgressSink;
  /** parallel layer downloads (docker's max-concurrent-downloads is 3) */
  concurrency?: number;
  /** the caller holds `svc.gcLock` shared already (a build): do not take it again */
  gcLockHeld?: boolean;
}

export interface PullResult {
  id: Digest;
  digest: Digest;
  upToDate: boolean;
}

export function platformString(p: { os: string; architecture: string; variant?: string }): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

export function parsePlatform(s: string): { os: string; architecture: string; variant?: string } {
  const [os, architecture, variant] = s.toLowerCase().split('/');
  if (!os || !architecture) throw invalidArgument(`"${s}": unknown operating system or architecture: invalid argument`);
  const arch = architecture === 'x86_64' || architecture === 'x86-64' ? 'amd64' : architecture === 'aarch64' ? 'arm64' : architecture;
  return { os, architecture: arch, ...(variant ? { variant } : {}) };
}

function matches(p: Platform | undefined, want: { os: string; architecture: string; variant?: string }): boolean {
  if (!p || p.os !== want.os || p.architecture !== want.architecture) return false;
  if (want.variant === undefined) return true;
  return (p.variant ?? (p.architecture === 'arm64' ? 'v8' : undefined)) === want.variant;
}

/** Pick the manifest for a platform from an index; arm variants prefer the newest that fits. */
export function selectPlatform(idx: Descriptor[], want: { os: string; architecture: string; variant?: string }): Descriptor {
  const found = idx.filter((d) => d.platform && matches(d.platform, want) && !d.platform['os.version']?.startsWith('unknown'));
  found.sort((a, b) => (b.platform?.variant ?? '').localeCompare(a.platform?.variant ?? ''));
  const d = found.find((x) => x.platform?.os !== 'unknown');
  if (!d) throw notFound(`no matching manifest for ${platformString(want)} in the manifest list entries`);
  return d;
}

function manifestError(err: unknown, ref: Reference): unknown {
  if (err instanceof RegistryError && err.status === 404) {
    const shown = formatReference(ref.digest ? { domain: ref.domain, path: ref.path, digest: ref.digest } : ref, true);
    return notFound(`manifest for ${shown} not found: ${err.message}`);
  }
  if (err instanceof RegistryError && (err.status === 401 || err.status === 403)) {
    return wrap(err, `pull access denied for ${formatReference({ domain: ref.domain, path: ref.path }, true)}, repository does not exist or may require 'docker login'`);
  }
  return err;
}

async function fetchSmallBlob(repo: Repository, d: Descriptor): Promise<Buffer> {
  const b = await repo.blob(d.digest);
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of b.stream) {
    n += (c as Buffer).length;
    if (n > Math.max(d.size, 1) || n > 64 << 20) throw invalidArgument(`blob ${d.digest}: larger than the ${d.size} bytes declared`);
    parts.push(c as Buffer);
  }
  const data = Buffer.concat(parts);
  const h = new Digester();
  h.update(data);
  if (h.digest() !== d.digest) throw invalidArgument(`config verification failed for digest ${d.digest}: got ${h.digest()}`);
  return data;
}

export async function pullImage(svc: ImageService, o: PullOptions): Promise<PullResult> {
  const ref = o.ref;
  const client = new RegistryClient(ref.domain, o.registry);
  try {
    const repo = new Repository(client, ref.path);
    const fetched = await repo.manifest(ref.digest ?? ref.tag ?? 'latest').catch((e: unknown) => {
      throw manifestError(e, ref);
    });
    const want = o.platform ?? { os: 'linux', architecture: ociArch() };
    let manifestBytes = fetched.bytes;
    let manifestDesc: Descriptor = { mediaType: fetched.mediaType, digest: fetched.digest, size: fetched.bytes.length };
    if (isIndexType(fetched.mediaType)) {
      const chosen = selectPlatform(parseIndex(fetched.bytes, `index ${fetched.digest}`).manifests, want);
      const m = await repo.manifest(chosen.digest).catch((e: unknown) => {
        throw manifestError(e, ref);
      });
      manifestBytes = m.bytes;
      manifestDesc = { mediaType: m.mediaType, digest: m.digest, size: m.bytes.length };
    }
    const manifest = parseManifest(manifestBytes, `manifest ${manifestDesc.digest}`);
    const configRaw = (await svc.content.exists(manifest.config.digest)) ? await svc.content.readBlob(manifest.config.digest) : await fetchSmallBlob(repo, manifest.config);
    const config = parseImageConfig(configRaw, `image config ${manifest.config.digest}`);
    if (o.platform && !isIndexType(fetched.mediaType) && (config.os !== want.os || config.architecture !== want.architecture)) {
      throw notFound(`image with reference ${formatReference(ref, true)} was found but does not match the specified platform: wanted ${platformString(want)}, actual: ${platformString({ os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) })}`);
    }
    if (config.rootfs.diff_ids.length !== manifest.layers.length) {
      throw invalidArgument(`manifest ${manifestDesc.digest} has ${manifest.layers.length} layers but its config lists ${config.rootfs.diff_ids.length} diff IDs`);
    }
    // nothing is streamed before the reference resolved, so its errors are HTTP errors, as docker's are
    o.progress({ status: `Pulling from ${ref.path}`, id: ref.digest ?? ref.tag ?? 'latest' });
    // (a caller that already holds the GC lock shared, such as a build pulling its base image,
    // must not take it again: the lock is fair, and a GC queued in between would deadlock both)
    const underLock = <T>(fn: () => Promise<T>): Promise<T> => (o.gcLockHeld ? fn() : svc.gcLock.shared(fn));
    return await underLock(async () => {
      await svc.content.put(configRaw, manifest.config.digest);
      await fetchLayers(svc, repo, manifest, config, o);
      await svc.content.put(manifestBytes, manifestDesc.digest);
      const names: Reference[] = [{ domain: ref.domain, path: ref.path, digest: fetched.digest }];
      const tagRef = ref.digest ? undefined : { domain: ref.domain, path: ref.path, tag: ref.tag ?? 'latest' };
      const shownKey = tagRef ?? ref;
      const before = svc.meta.resolveName(svc.nameKey(shownKey));
      if (tagRef) names.unshift(tagRef);
      const { id } = await svc.commitImage(manifestDesc, config, names);
      const upToDate = before === id;
      o.progress({ status: `Digest: ${fetched.digest}` });
      o.progress({ status: `Status: ${upToDate ? 'Image is up to date' : 'Downloaded newer image'} for ${formatReference(shownKey, true)}` });
      return { id, digest: fetched.digest, upToDate };
    });
  } finally {
    client.close();
  }
}

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(e: unknown): void;
}
function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((a, b) => ((resolve = a), (reject = b)));
  promise.catch(() => {});
  return { promise, resolve, reject };
}

/**
 * Download and unpack every layer that is not here yet. Layer i's snapshot
 * commits after its own blob verified and its parent committed; a failure
 * rejects the children's parents, so nothing above a bad layer is committed.
 */
async function fetchLayers(svc: ImageService, repo: Repository, manifest: Manifest, config: ImageConfig, o: PullOptions): Promise<void> {
  const layers = manifest.layers;
  const diffIds = config.rootfs.diff_ids;
  const chain = chainIds(diffIds);
  const present = await Promise.all(layers.map(async (l, i) => ({ blob: await svc.content.exists(l.digest), snap: await svc.snapshotter.exists(chain[i]!) })));
  for (let i = 0; i < layers.length; i++) {
    const id = shortId(layers[i]!.digest);
    o.progress({ status: present[i]!.blob && present[i]!.snap ? 'Already exists' : 'Pulling fs layer', id });
  }
  const committed = layers.map(() => deferred());
  const applied: (Promise<LayerApplyResult> | undefined)[] = [];
  const limit = Math.max(1, o.concurrency ?? 6);
  let active = 0;
  const queue: (() => void)[] = [];
  const slot = async (id: string) => {
    if (active >= limit) {
      o.progress({ status: 'Waiting', id });
      await new Promise<void>((r) => queue.push(r));
    }
    active++;
  };
  const release = () => {
    active--;
    queue.shift()?.();
  };
  const work = layers.map(async (layer, i) => {
    const id = shortId(layer.digest);
    const parentReady = i === 0 ? Promise.resolve(null) : committed[i - 1]!.promise.then(() => chain[i - 1]!);
    // unused when this layer is already unpacked, and awaited only later otherwise:
    // a failed parent must not become an unhandled rejection meanwhile
    parentReady.catch(() => {});
    if (present[i]!.snap) {
      applied[i] = undefined;
      if (present[i]!.blob) {
        committed[i]!.resolve();
        return;
      }
    }
    const blobOk = deferred();
    const needUnpack = !present[i]!.snap;
    let tap: PassThrough | undefined;
    let apply: Promise<LayerApplyResult> | undefined;
    if (needUnpack && !present[i]!.blob) {
      tap = new PassThrough({ highWaterMark: 4 << 20 });
      apply = svc.snapshotter.applyLayer(Promise.all([parentReady, blobOk.promise]).then(([p]) => p), tap, { expectedDiffId: diffIds[i]! });
      const t = tap;
      apply.catch(() => t.destroy());
    }
    try {
      if (!present[i]!.blob) {
        await slot(id);
        try {
          const { tapped } = await fetchLayer({ content: svc.content, repo, progress: o.progress, id }, layer, tap, apply ?? new Promise(() => {}));
          if (tap && !tapped) {
            // resumed from an earlier pull: unpack from the store instead
            blobOk.reject(invalidArgument('unused'));
            await apply?.catch(() => {});
            apply = undefined;
          }
        } finally {
          release();
        }
      } else if (needUnpack) o.progress({ status: 'Download complete', id });
      blobOk.resolve();
      if (needUnpack) {
        o.progress({ status: 'Extracting', id, progressDetail: { current: layer.size, total: layer.size } });
        apply ??= svc.snapshotter.applyLayer(parentReady, await svc.content.reader(layer.digest), { expectedDiffId: diffIds[i]! });
        applied[i] = apply;
        await apply;
      }
      committed[i]!.resolve();
      o.progress({ status: 'Pull complete', id });
    } catch (err) {
      blobOk.reject(err);
      committed[i]!.reject(err);
      tap?.destroy();
      await apply?.catch(() => {});
      throw isKind(err, 'InvalidArgument') && !String((err as Error).message).includes(layer.digest) ? wrap(err, `layer ${layer.digest}`) : err;
    }
  });
  const results = await Promise.allSettled(work);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  // record the layers (sizes) as a load does; every snapshot is committed by now
  for (const a of applied) {
    const res = a ? await a : undefined;
    if (res && !svc.meta.getLayer(res.chainId)) svc.meta.putLayer({ chainId: res.chainId, diffId: res.diffId, size: res.contentSize ?? (await svc.snapshotter.usage(res.chainId)) });
  }
  await svc.unpack(config, layers);
}
