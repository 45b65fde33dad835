// Turning a snapshot's Mount list into real mounts, and back.
//
// A mount(2) option string must fit in one page. With many layers the
// absolute lowerdir= list can exceed it; then the directories are given
// relative to their common parent and the mount is made with the process's
// cwd switched there for the duration of the (synchronous) call, as containerd
// does. No JavaScript runs in between; berth passes only absolute paths to the
// thread pool, so its other file operations do not notice. If even the
// relative form is too long, the mount fails with an error that says so.
import * as path from 'node:path';
import { BerthError, internal, invalidArgument, messageOf } from '../../common/errors.js';
import {
  MNT_DETACH, MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY, MS_REC, MS_REMOUNT, mount, pageSize, SyscallError, umount2,
} from '../../common/libc.js';
import type { Mount } from '../index.js';

const FLAG_OPTIONS: Record<string, number> = { ro: MS_RDONLY, nosuid: MS_NOSUID, nodev: MS_NODEV, noexec: MS_NOEXEC };
const DIR_OPTIONS = ['lowerdir', 'upperdir', 'workdir'];

/** Mount `mounts` in order on `target`; on failure the ones already made are undone. */
export function mountAll(mounts: readonly Mount[], target: string): void {
  const done: number[] = [];
  try {
    for (const m of mounts) {
      mountOne(m, target);
      done.push(1);
    }
  } catch (err) {
    for (const _ of done) {
      try {
        umount2(target, MNT_DETACH);
      } catch {
        // already gone: nothing left to undo
      }
    }
    throw err;
  }
}

function mountOne(m: Mount, target: string): void {
  let flags = 0;
  let ro = false;
  let recursive = false;
  const data: string[] = [];
  for (const o of m.options) {
    if (o === 'rw' || o === 'bind') continue;
    if (o === 'rbind') recursive = true;
    else if (o === 'ro') ro = true;
    else if (FLAG_OPTIONS[o] !== undefined) flags |= FLAG_OPTIONS[o];
    else data.push(o);
  }
  try {
    if (m.type === 'bind') {
      mount(m.source, target, null, MS_BIND | (recursive ? MS_REC : 0), null);
      // A bind mount ignores MS_RDONLY on creation; read-only needs a remount.
      if (ro || flags) {
        try {
          mount('', target, null, MS_REMOUNT | MS_BIND | flags | (ro ? MS_RDONLY : 0), null);
        } catch (err) {
          umount2(target, MNT_DETACH);
          throw err;
        }
      }
      return;
    }
    if (m.type !== 'overlay') throw invalidArgument(`mount type "${m.type}" is not supported`);
    mountOverlay(m.source, target, flags | (ro ? MS_RDONLY : 0), data);
  } catch (err) {
    if (err instanceof BerthError) throw err;
    throw internal(`mount ${m.type} on ${target}: ${messageOf(err)}`, err);
  }
}

function mountOverlay(source: string, target: string, flags: number, data: string[]): void {
  const limit = pageSize() - 1; // the kernel copies one page, NUL included
  const absolute = data.join(',');
  if (Buffer.byteLength(absolute) <= limit) {
    mount(source, target, 'overlay', flags, absolute);
    return;
  }
  const { cwd, options } = relativeOptions(data);
  const relative = options.join(',');
  if (Buffer.byteLength(relative) > limit) {
    const layers = data.find((o) => o.startsWith('lowerdir='))?.split(':').length ?? 0;
    throw invalidArgument(
      `overlay on ${target}: ${layers} lower layers need ${Buffer.byteLength(relative)} bytes of mount options ` +
        `even as relative paths, more than the ${limit} a page allows`,
    );
  }
  const absTarget = path.resolve(target);
  const before = process.cwd();
  process.chdir(cwd);
  try {
    mount(source, absTarget, 'overlay', flags, relative);
  } finally {
    process.chdir(before);
  }
}

/** Rewrite lowerdir/upperdir/workdir relative to the deepest directory they share. */
export function relativeOptions(data: readonly string[]): { cwd: string; options: string[] } {
  const dirs: string[] = [];
  for (const o of data) {
    const eq = o.indexOf('=');
    if (eq !== -1 && DIR_OPTIONS.includes(o.slice(0, eq))) dirs.push(...o.slice(eq + 1).split(':'));
  }
  let common = dirs.length ? path.dirname(dirs[0]!) : '/';
  for (const d of dirs) while (!(d === common || d.startsWith(common === '/' ? '/' : `${common}/`))) common = path.dirname(common);
  const rel = (d: string) => path.relative(common, d) || '.';
  const options = data.map((o) => {
    const eq = o.indexOf('=');
    if (eq === -1 || !DIR_OPTIONS.includes(o.slice(0, eq))) return o;
    return `${o.slice(0, eq)}=${o.slice(eq + 1).split(':').map(rel).join(':')}`;
  });
  return { cwd: common, options };
}

/**
 * Unmount everything stacked on `target`. A target that is not (or no
 * longer) a mount point is fine, so that cleanup code can call this blindly.
 */
export function unmount(target: string, opts: { detach?: boolean } = {}): void {
  for (let i = 0; i < 64; i++) {
    try {
      umount2(target, opts.detach ? MNT_DETACH : 0);
    } catch (err) {
      if (err instanceof SyscallError && (err.code === 'EINVAL' || err.code === 'ENOENT')) return;
      throw internal(`unmount ${target}: ${messageOf(err)}`, err);
    }
  }
  throw internal(`unmount ${target}: still mounted after 64 unmounts`);
}
