// A build step's filesystem: an active snapshot on top of the stage's layers,
// mounted while the step works in it; then its upper directory becomes a
// deterministic layer tar, stored gzip-compressed in the content store and
// committed as the next snapshot (through the snapshotter's own unpacker, so
// the committed layer is exactly what the blob holds).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createGzip } from 'node:zlib';
import type { Digest } from '../common/digest.js';
import { isKind } from '../common/errors.js';
import { lgetxattr } from '../common/libc.js';
import { tee } from '../common/streams.js';
import type { Descriptor } from '../oci/image.js';
import { MediaType } from '../oci/mediatypes.js';
import type { ImageService } from '../image/index.js';
import { chainIds, mountAll, unmount, type Mount } from '../snapshot/index.js';
import { removeTreeSync } from '../common/mounts.js';
import { diffLayer, isEmptyDiff } from './differ.js';

export interface LayerResult {
  descriptor: Descriptor;
  diffId: Digest;
}

function upperOf(mounts: Mount[]): string {
  const m = mounts[0]!;
  if (m.type === 'bind') return m.source;
  const u = m.options.find((o) => o.startsWith('upperdir='));
  if (!u) throw new Error('active snapshot has no upper directory');
  return u.slice('upperdir='.length);
}

function lowersOf(mounts: Mount[]): string[] {
  const m = mounts[0]!;
  const l = m.type === 'bind' ? undefined : m.options.find((o) => o.startsWith('lowerdir='));
  return l ? l.slice('lowerdir='.length).split(':') : [];
}

/**
 * Creating a mountpoint (/etc/hosts) makes overlay copy its directory up
 * (/etc), so the layer would carry a directory the step never changed, where
 * docker's would not. After the run (overlay unmounted), each such directory
 * that is empty in the upper layer, not opaque, and has the mode and owner of
 * the lower one is dropped from the upper layer, parents after children.
 */
function pruneCopiedUp(upper: string, lowers: string[], mountpoints: readonly string[]): void {
  if (lowers.length === 0) return;
  const dirs = new Set<string>();
  for (const p of mountpoints) for (let d = path.posix.dirname(path.posix.resolve('/', p)); d !== '/'; d = path.posix.dirname(d)) dirs.add(d);
  for (const d of [...dirs].sort((a, b) => b.length - a.length)) {
    const up = path.join(upper, d);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(up);
    } catch {
      continue;
    }
    if (!st.isDirectory() || fs.readdirSync(up).length > 0 || lgetxattr(up, 'trusted.overlay.opaque')) continue;
    const low = lowers.map((l) => path.join(l, d)).find((l) => fs.existsSync(l));
    if (!low) continue;
    const ls = fs.lstatSync(low);
    if (ls.isDirectory() && ls.mode === st.mode && ls.uid === st.uid && ls.gid === st.gid) fs.rmdirSync(up);
  }
}

/**
 * Remove a mount point directory, never through a mount still on it (an
 * unmount that failed above): then it stays, and the build's scratch removal
 * tries again and says why.
 */
function dropMountpoint(dir: string): void {
  try {
    removeTreeSync(dir);
  } catch {
    /* see above */
  }
}

/**
 * Run `work` on a writable rootfs on top of `diffIds`' chain, then turn the
 * changes into a layer. Returns undefined when nothing changed.
 */
export async function withLayer(
  images: ImageService,
  tmp: string,
  diffIds: Digest[],
  epoch: number | undefined,
  work: (rootfs: string) => Promise<void>,
  /** paths (in the rootfs) the step created and removed again only to mount over: their parents may be copied up for nothing */
  mountpoints: readonly string[] = [],
): Promise<LayerResult | undefined> {
  const snap = images.snapshotter;
  const chain = chainIds(diffIds);
  const parent = chain.at(-1) ?? null;
  const key = `build-${randomBytes(8).toString('hex')}`;
  const mounts = await snap.prepare(key, parent);
  const target = path.join(tmp, key);
  fs.mkdirSync(target, { recursive: true });
  try {
    mountAll(mounts, target);
    try {
      await work(target);
    } finally {
      unmount(target);
    }
    const upper = upperOf(mounts);
    pruneCopiedUp(upper, lowersOf(mounts), mountpoints);
    if (isEmptyDiff(upper)) return undefined;
    return await commitLayer(images, parent, upper, epoch);
  } finally {
    await snap.remove(key).catch(() => {});
    dropMountpoint(target);
  }
}

/**
 * COPY --link: run `work` in an empty directory (nothing of the parent to
 * read or follow), turn everything in it into a layer (no whiteouts can
 * arise) and commit it on top of `diffIds`' chain. Undefined when `work`
 * wrote nothing.
 */
export async function withLinkLayer(
  images: ImageService,
  tmp: string,
  diffIds: Digest[],
  epoch: number | undefined,
  work: (root: string) => Promise<void>,
): Promise<LayerResult | undefined> {
  const dir = path.join(tmp, `link-${randomBytes(8).toString('hex')}`);
  fs.mkdirSync(dir, { mode: 0o755 });
  try {
    await work(dir);
    if (isEmptyDiff(dir)) return undefined;
    return await commitLayer(images, chainIds(diffIds).at(-1) ?? null, dir, epoch);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function commitLayer(images: ImageService, parent: Digest | null, upper: string, epoch: number | undefined): Promise<LayerResult> {
  // gzip's header carries no name and mtime 0 here, so equal tars give equal blobs
  const gz = diffLayer(upper, epoch === undefined ? {} : { epoch }).pipe(createGzip({ level: 6 }));
  const [toStore, toUnpack] = tee(gz);
  const writer = await images.content.writer();
  const storing = (async () => {
    for await (const chunk of toStore) await writer.write(chunk as Buffer);
  })();
  const [s, u] = await Promise.allSettled([storing, images.snapshotter.applyLayer(parent, toUnpack)]);
  if (s.status === 'rejected' || u.status === 'rejected') {
    await writer.abort().catch(() => {});
    throw s.status === 'rejected' ? s.reason : (u as PromiseRejectedResult).reason;
  }
  let blob: { digest: Digest; size: number };
  try {
    blob = await writer.commit();
  } catch (err) {
    if (!isKind(err, 'AlreadyExists') || !writer.committedDigest) throw err;
    blob = { digest: writer.committedDigest, size: (await images.content.info(writer.committedDigest)).size };
  }
  const res = u.value;
  if (!images.meta.getLayer(res.chainId)) images.meta.putLayer({ chainId: res.chainId, diffId: res.diffId, size: res.contentSize ?? (await images.snapshotter.usage(res.chainId)) });
  return { descriptor: { mediaType: MediaType.OciLayerGzip, digest: blob.digest, size: blob.size }, diffId: res.diffId };
}

/** Mount a read-only view of a committed chain (another stage or image) while `work` runs. */
export async function withView<T>(images: ImageService, tmp: string, diffIds: Digest[], work: (root: string) => Promise<T>): Promise<T> {
  const top = chainIds(diffIds).at(-1);
  const target = path.join(tmp, `view-${randomBytes(6).toString('hex')}`);
  fs.mkdirSync(target, { recursive: true });
  try {
    if (!top) return await work(target);
    const mounts = await images.snapshotter.mounts(top);
    mountAll(mounts, target);
    try {
      return await work(target);
    } finally {
      unmount(target);
    }
  } finally {
    dropMountpoint(target);
  }
}

/** Whether every layer blob and the committed chain still exist (a cache record is usable). */
export async function layersPresent(images: ImageService, layers: Descriptor[], diffIds: Digest[], seen?: Set<string>): Promise<boolean> {
  // `seen`: blobs already found during this build (a cached step repeats its parent's layers)
  for (const l of layers) {
    if (seen?.has(l.digest)) continue;
    if (!(await images.content.exists(l.digest))) return false;
    seen?.add(l.digest);
  }
  const top = chainIds(diffIds).at(-1);
  return top === undefined || (await images.snapshotter.exists(top));
}

/** A read-only view that stays mounted until release() (for RUN --mount from=). */
export async function mountView(images: ImageService, tmp: string, diffIds: Digest[]): Promise<{ root: string; release: () => void }> {
  const top = chainIds(diffIds).at(-1);
  const target = path.join(tmp, `view-${randomBytes(6).toString('hex')}`);
  fs.mkdirSync(target, { recursive: true });
  if (!top) return { root: target, release: () => dropMountpoint(target) };
  mountAll(await images.snapshotter.mounts(top), target);
  return {
    root: target,
    release: () => {
      unmount(target);
      dropMountpoint(target);
    },
  };
}
