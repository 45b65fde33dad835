// What a crash leaves mounted, and removing a tree only once nothing is
// mounted in it. `rm -rf` (fs.rm recursive) crosses mount points: on a tree
// that still holds an overlay or a bind mount it deletes through the mount,
// into the lower layer's copy-up or the bind source, and then fails with
// EBUSY on the mount point itself. So a directory that may hold mounts is
// emptied of them first, from /proc/self/mountinfo, deepest first, and only
// removed when the mount table shows nothing under it any more.
import { readFileSync } from 'node:fs';
import { promises as fsp, rmSync } from 'node:fs';
import * as path from 'node:path';
import { internal, messageOf } from './errors.js';
import { MNT_DETACH, SyscallError, umount2, UMOUNT_NOFOLLOW } from './libc.js';

export interface MountEntry {
  id: number;
  parent: number;
  /** the mount point, unescaped */
  mountPoint: string;
  fsType: string;
  source: string;
}

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Parse /proc/<pid>/mountinfo text (proc(5)): fields before " - " then fstype and source. */
export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const pre = line.slice(0, sep).split(' ');
    const post = line.slice(sep + 3).split(' ');
    if (pre.length < 5) continue;
    out.push({ id: Number(pre[0]), parent: Number(pre[1]), mountPoint: unescape(pre[4]!), fsType: post[0] ?? '', source: unescape(post[1] ?? '') });
  }
  return out;
}

export function readMounts(): MountEntry[] {
  return parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'));
}

/** Whether `p` is `dir` itself or inside it (both absolute, normalized). */
function within(p: string, dir: string): boolean {
  return p === dir || p.startsWith(dir === '/' ? '/' : dir + '/');
}

/** Mounts on `dir` or inside it, deepest first; of mounts stacked on one point, the newest first. */
export function mountsUnder(dir: string, mounts: MountEntry[] = readMounts()): MountEntry[] {
  const root = path.resolve(dir);
  return mounts
    .filter((m) => within(m.mountPoint, root))
    .sort((a, b) => depth(b.mountPoint) - depth(a.mountPoint) || b.id - a.id);
}

function depth(p: string): number {
  return p.split('/').length;
}

/**
 * Unmount every mount on or inside `dir`, deepest first: a plain unmount,
 * and a lazy one (MNT_DETACH) when something still holds it busy (the mount
 * goes from the tree at once; the kernel frees it when its last user goes).
 * UMOUNT_NOFOLLOW: a symlink planted where a mount was is not followed.
 * Returns the mount points unmounted.
 */
export function unmountUnder(dir: string, filter: (m: MountEntry) => boolean = () => true): string[] {
  const done: string[] = [];
  for (const m of mountsUnder(dir).filter(filter)) {
    try {
      umount2(m.mountPoint, UMOUNT_NOFOLLOW);
    } catch (err) {
      const code = err instanceof SyscallError ? err.code : '';
      if (code === 'EINVAL' || code === 'ENOENT') continue; // gone with its parent already
      if (code !== 'EBUSY') throw internal(`unmount ${m.mountPoint}: ${messageOf(err)}`, err);
      umount2(m.mountPoint, MNT_DETACH | UMOUNT_NOFOLLOW);
    }
    done.push(m.mountPoint);
  }
  return done;
}

/** Throw unless the mount table shows nothing on or inside `dir`. */
function assertNothingMounted(dir: string): void {
  const left = mountsUnder(dir);
  if (left.length) throw internal(`${dir}: not removed, still mounted inside it: ${left.map((m) => m.mountPoint).join(', ')}`);
}

/** Unmount what is inside `dir`, then remove it; never removes through a mount. */
export function removeTreeSync(dir: string): void {
  unmountUnder(dir);
  assertNothingMounted(dir);
  rmSync(path.resolve(dir), { recursive: true, force: true });
}

/** removeTreeSync with the removal (the slow part) off the event loop. */
export async function removeTree(dir: string): Promise<void> {
  unmountUnder(dir);
  assertNothingMounted(dir);
  await fsp.rm(path.resolve(dir), { recursive: true, force: true });
}
