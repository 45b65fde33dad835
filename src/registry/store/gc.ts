// Online garbage collection: mark and sweep while the registry keeps serving
// pulls and pushes (distribution's GC needs the registry stopped or
// read-only). How it stays safe against concurrent pushes:
//   - a cycle starts by opening the GC fence (fence.ts) and fixing a cutoff =
//     start − grace;
//   - mark: for each repository, the manifests to keep (all revisions, or with
//     `untagged` only those reachable from a tag, an index that is kept, or as
//     a referrer of a kept manifest) and every blob they reference;
//   - pending pushes: a blob a push linked into a repository (a finished
//     upload, a mount) that no manifest there names yet carries a `pending`
//     marker (storage/paths.ts); it is kept while the marker is younger than
//     the upload TTL (a HEAD for it refreshes the marker), however long the
//     push waits for its manifest, and the manifest PUT removes the marker;
//   - sweep: a blob that is not marked or pending is deleted only when its modification
//     time is before the cutoff and no push operation guarded it during the
//     cycle or holds it now (the fence, fence.ts); every push path touches
//     the blobs it makes reachable, so a blob uploaded, mounted, HEAD-checked
//     or named by a manifest within the grace period, or during the cycle,
//     survives;
//   - untagged manifests are deleted under the same two conditions, using the
//     revision link's modification time (an index's children pushed by digest
//     just before the index are therefore safe);
//   - repository links to blobs that no longer exist are removed after the
//     sweep, and upload directories older than the upload TTL (killed or
//     abandoned uploads) are reclaimed.
// A dry run computes the same report and deletes nothing.
import { encodedOf, isDigest, parseDigest, type Digest } from '../../common/digest.js';
import { isKind } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import { BLOBS_ROOT, layersDir, referrerLinkPath, revisionsDir, tagLinkPath, uploadsDir, uploadStartedAtPath } from '../storage/paths.js';
import { parseManifest } from './manifest-parse.js';
import type { Registry } from './registry.js';

export interface GcOptions {
  /** ms: content younger than this is never collected */
  graceMs: number;
  /** delete manifests no tag reaches */
  untagged: boolean;
  /** ms: upload sessions idle for longer than this are reclaimed, and blobs of pushes whose manifest has not come for that long */
  uploadTtlMs: number;
  dryRun: boolean;
  log?: Logger;
}

export interface GcReport {
  repositories: number;
  markedBlobs: number;
  /** unmarked blobs kept because a push that linked them has not sent its manifest yet */
  pendingBlobs: number;
  deletedBlobs: number;
  deletedBytes: number;
  deletedManifests: number;
  deletedLinks: number;
  deletedUploads: number;
  dryRun: boolean;
}

async function listOr(reg: Registry, path: string): Promise<string[]> {
  try {
    return await reg.driver.list(path);
  } catch (err) {
    if (isKind(err, 'NotFound')) return [];
    throw err;
  }
}

const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);

async function mtimeOr(reg: Registry, path: string): Promise<number | undefined> {
  try {
    return (await reg.driver.stat(path)).modTime.getTime();
  } catch (err) {
    if (isKind(err, 'NotFound')) return undefined;
    throw err;
  }
}

export async function collectGarbage(reg: Registry, opts: GcOptions): Promise<GcReport> {
  const start = Date.now();
  const cutoff = start - opts.graceMs;
  const report: GcReport = {
    repositories: 0,
    markedBlobs: 0,
    pendingBlobs: 0,
    deletedBlobs: 0,
    deletedBytes: 0,
    deletedManifests: 0,
    deletedLinks: 0,
    deletedUploads: 0,
    dryRun: opts.dryRun,
  };
  reg.fence.beginCycle();
  try {
    const marked = new Set<string>();
    const repos = await reg.allRepositoryDirs();
    report.repositories = repos.length;
    const pending = new Set<string>();
    for (const repo of repos) {
      await markRepository(reg, repo, opts, cutoff, marked, report);
      await findPending(reg, repo, start - opts.uploadTtlMs, pending);
    }
    report.markedBlobs = marked.size;
    for (const d of pending) if (!marked.has(d)) report.pendingBlobs++;
    await sweepBlobs(reg, opts, cutoff, new Set([...marked, ...pending]), report);
    for (const repo of repos) await cleanRepository(reg, repo, opts, cutoff, start, report);
  } finally {
    reg.fence.endCycle();
  }
  opts.log?.info('garbage collection done', { ...report, ms: Date.now() - start });
  return report;
}

async function markRepository(reg: Registry, repo: string, opts: GcOptions, cutoff: number, marked: Set<string>, report: GcReport): Promise<void> {
  const revisions = new Map<Digest, { subject?: Digest; children: Digest[]; blobs: Digest[] } | undefined>();
  for (const p of await listOr(reg, revisionsDir(repo))) {
    const d = `sha256:${base(p)}`;
    if (!isDigest(d)) continue;
    try {
      const m = parseManifest(await reg.blobs.getSmall(d), undefined);
      const info: { subject?: Digest; children: Digest[]; blobs: Digest[] } = {
        children: m.manifests.map((x) => x.digest),
        blobs: m.blobs.filter((b) => !b.urls?.length).map((b) => b.digest),
      };
      if (m.subject) info.subject = m.subject.digest;
      revisions.set(d, info);
    } catch {
      revisions.set(d, undefined); // manifest bytes gone or unreadable: nothing to mark through it
    }
  }
  const keep = new Set<Digest>();
  if (!opts.untagged) for (const d of revisions.keys()) keep.add(d);
  else {
    for (const t of await reg.manifests.tags(repo)) {
      try {
        keep.add(parseDigest((await reg.driver.getContent(tagLinkPath(repo, t))).toString()));
      } catch {
        /* a tag deleted meanwhile */
      }
    }
    let grew = true;
    while (grew) {
      grew = false;
      for (const [d, info] of revisions) {
        if (keep.has(d)) {
          for (const c of info?.children ?? []) if (!keep.has(c)) (keep.add(c), (grew = true));
        } else if (info?.subject && keep.has(info.subject)) {
          keep.add(d);
          grew = true;
        }
      }
    }
    for (const [d, info] of revisions) {
      if (keep.has(d)) continue;
      const linkDir = `${revisionsDir(repo)}/${encodedOf(d)}`;
      const t = await mtimeOr(reg, `${linkDir}/link`);
      if (t === undefined || t >= cutoff) {
        keep.add(d);
        continue;
      }
      if (opts.dryRun) {
        report.deletedManifests++;
        continue;
      }
      const deleted = await reg.fence.sweep(d, async () => {
        if (info?.subject) await reg.driver.delete(referrerLinkPath(repo, info.subject, d).replace(/\/link$/, '')).catch(() => {});
        await reg.driver.delete(linkDir);
      });
      if (deleted) report.deletedManifests++;
      else keep.add(d);
    }
  }
  for (const d of keep) {
    marked.add(d);
    for (const b of revisions.get(d)?.blobs ?? []) marked.add(b);
  }
}

/** Blobs a push linked into `repo` since `since` that no manifest there names yet. */
async function findPending(reg: Registry, repo: string, since: number, pending: Set<string>): Promise<void> {
  for (const p of await listOr(reg, layersDir(repo))) {
    const d = `sha256:${base(p)}`;
    if (!isDigest(d) || pending.has(d)) continue;
    const t = await mtimeOr(reg, `${p}/pending`);
    if (t !== undefined && t >= since) pending.add(d);
  }
}

async function sweepBlobs(reg: Registry, opts: GcOptions, cutoff: number, keep: Set<string>, report: GcReport): Promise<void> {
  for (const algDir of await listOr(reg, BLOBS_ROOT)) {
    const alg = base(algDir);
    for (const prefixDir of await listOr(reg, algDir)) {
      for (const blobDir of await listOr(reg, prefixDir)) {
        const d = `${alg}:${base(blobDir)}`;
        if (!isDigest(d) || keep.has(d)) continue;
        let size: number;
        let mtime: number;
        try {
          const st = await reg.driver.stat(`${blobDir}/data`);
          size = st.size;
          mtime = st.modTime.getTime();
        } catch (err) {
          if (!isKind(err, 'NotFound')) throw err;
          continue;
        }
        if (mtime >= cutoff) continue;
        if (opts.dryRun) {
          report.deletedBlobs++;
          report.deletedBytes += size;
          continue;
        }
        if (await reg.fence.sweep(d, () => reg.driver.delete(blobDir))) {
          report.deletedBlobs++;
          report.deletedBytes += size;
        }
      }
    }
  }
}

async function cleanRepository(reg: Registry, repo: string, opts: GcOptions, cutoff: number, start: number, report: GcReport): Promise<void> {
  for (const p of await listOr(reg, layersDir(repo))) {
    const d = `sha256:${base(p)}`;
    if (!isDigest(d)) continue;
    const blobGone = (await mtimeOr(reg, `${BLOBS_ROOT}/sha256/${base(p).slice(0, 2)}/${base(p)}/data`)) === undefined;
    const linkTime = await mtimeOr(reg, `${p}/link`);
    if (!blobGone || linkTime === undefined || linkTime >= cutoff) continue;
    report.deletedLinks++;
    if (!opts.dryRun) await reg.driver.delete(p).catch(() => {});
  }
  report.deletedUploads += await purgeRepositoryUploads(reg, repo, opts.uploadTtlMs, start, opts.dryRun);
}

/**
 * Reclaim upload sessions idle for longer than the TTL (last write, or start
 * when nothing was written). Returns how many.
 */
async function purgeRepositoryUploads(reg: Registry, repo: string, ttlMs: number, now: number, dryRun: boolean): Promise<number> {
  let n = 0;
  for (const p of await listOr(reg, uploadsDir(repo))) {
    const id = base(p);
    if (reg.uploads.isBusy(repo, id)) continue;
    let started = NaN;
    try {
      started = Date.parse((await reg.driver.getContent(uploadStartedAtPath(repo, id))).toString());
    } catch {
      /* a half-created session: judge it by its files */
    }
    const lastWrite = (await mtimeOr(reg, `${p}/data`)) ?? (await mtimeOr(reg, p));
    const last = Math.max(Number.isFinite(started) ? started : 0, lastWrite ?? 0);
    if (last === 0 || now - last < ttlMs) continue;
    n++;
    if (!dryRun) {
      reg.uploads.forget(repo, id);
      await reg.driver.delete(p).catch(() => {});
    }
  }
  return n;
}

/** Only the upload part of GC: cheap, and on by default in a running registry. */
export async function purgeUploads(reg: Registry, ttlMs: number, dryRun = false): Promise<number> {
  const now = Date.now();
  let n = 0;
  for (const repo of await reg.allRepositoryDirs()) n += await purgeRepositoryUploads(reg, repo, ttlMs, now, dryRun);
  return n;
}
