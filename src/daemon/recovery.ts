// What a crash (kill -9 of berthd, a power cut) leaves on the host, undone at
// the next start before any service uses the data root:
// - partial writes in the content store's ingest area (no writer is live yet);
// - the mounts of builds that were running: their rootfs overlays and
//   read-only views under <data-root>/build/tmp (a build never outlives its
//   daemon), unmounted deepest first; then their scratch directories go, and
//   only when nothing is mounted in them any more (see common/mounts.ts);
// - their active snapshots (build-<hex>), and active snapshots of container
//   creations cut short (a key no container record has);
// - rootfs mounts of containers that are not running (a start cut short), and
//   directories of containers that have no record (a creation cut short).
// Build containers (runc state of the build executor) are killed before this,
// in daemon.ts, and build network attachments undone by the network's init.
// Only mounts under berthd's own roots, at these known places, are touched.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { messageOf } from '../common/errors.js';
import type { Logger } from '../common/log.js';
import { removeTreeSync, unmountUnder } from '../common/mounts.js';
import type { ContentStore } from '../image/index.js';
import type { Snapshotter } from '../snapshot/index.js';
import type { DaemonPaths } from './paths.js';

/** At start no writer is live: every ingest is a crash's leftover. */
export async function removeIngests(content: ContentStore, log: Logger): Promise<void> {
  const n = await content.cleanIngests(0);
  if (n) log.info('removed partial writes left by a crash', { count: n, dir: 'content/ingest' });
}

/** The builder's scratch space (see build/builder.ts): unmount what builds left, then remove their directories. */
export function recoverBuildScratch(buildRoot: string, log: Logger): void {
  const tmp = path.join(buildRoot, 'tmp');
  try {
    const unmounted = unmountUnder(tmp);
    if (unmounted.length) log.info('unmounted what builds left mounted', { count: unmounted.length, mounts: unmounted.map((m) => path.relative(buildRoot, m)) });
  } catch (err) {
    log.warn('could not unmount what a build left', { err: messageOf(err) });
  }
  let names: string[];
  try {
    names = fs.readdirSync(tmp);
  } catch {
    return;
  }
  for (const n of names) {
    try {
      removeTreeSync(path.join(tmp, n));
    } catch (err) {
      // left in place: never worth a removal through a mount, nor a daemon that will not start
      log.warn('could not remove a build scratch directory', { dir: path.join(tmp, n), err: messageOf(err) });
    }
  }
}

/** Active snapshots nothing owns any more: a build's (none is running), or a container creation's that a crash cut short. */
export async function removeOrphanSnapshots(snapshotter: Snapshotter, containers: ReadonlySet<string>, log: Logger): Promise<void> {
  for (const s of await snapshotter.list()) {
    if (s.kind !== 'active' || containers.has(s.key)) continue;
    try {
      await snapshotter.remove(s.key);
      log.info('removed an active snapshot left by a crash', { key: s.key });
    } catch (err) {
      log.warn('could not remove an orphaned active snapshot', { key: s.key, err: messageOf(err) });
    }
  }
}

/**
 * Rootfs mounts of containers that are not running (a start that a crash cut
 * short), and the directories of containers with no record (a creation cut
 * short), removed once nothing is mounted in them.
 */
export function recoverContainerDirs(paths: DaemonPaths, known: ReadonlySet<string>, running: ReadonlySet<string>, log: Logger): void {
  let ids: string[];
  try {
    ids = fs.readdirSync(paths.containers);
  } catch {
    return;
  }
  for (const id of ids) {
    if (running.has(id) || !/^[0-9a-f]{64}$/.test(id)) continue;
    const dir = path.join(paths.containers, id);
    try {
      const done = unmountUnder(path.join(dir, 'rootfs'));
      if (done.length) log.info('unmounted the rootfs of a container that is not running', { id: id.slice(0, 12) });
      if (!known.has(id)) {
        removeTreeSync(dir);
        log.info('removed the directory of a container creation cut short', { id: id.slice(0, 12) });
      }
    } catch (err) {
      log.warn('could not clean up after a container', { id: id.slice(0, 12), err: messageOf(err) });
    }
  }
}
