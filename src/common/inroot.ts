// The one way berth touches a path inside an untrusted tree: an image's or a
// container's root filesystem, a build stage's, a build context. Such a tree is
// written by whoever made the image or the context, so any name in it may be a
// symlink to a host file (`/etc/passwd -> /etc/shadow`, `Dockerfile ->
// ../../../root/.ssh/id_rsa`), a FIFO that never answers, a device or a huge
// file. berthd runs as root and is one event loop: following such a name with
// host semantics reads the host's files, and a blocking read stops every request.
//
// So: symlinks are evaluated as if the root were `/` (an absolute target or `..`
// past the top stays inside), only regular files of bounded size are read, the
// open never waits (O_PATH first, then a reopen of what was found, so a FIFO or a
// device is never even opened for reading) and the read itself runs in libuv's
// thread pool, never on the event loop.
//
// The kernel does the resolution where it can: openat2(2) with RESOLVE_IN_ROOT
// (Linux ≥ 5.6), atomic against a tree that changes meanwhile (a running
// container's). Where openat2 is missing (ENOSYS) a user-space secure join
// (resolveInRoot, the same rules walked with lstat/readlink) stands in; it is
// exact for a tree nobody modifies meanwhile (a build stage between steps, a
// container before it starts, an unpacked context) and the last component is
// still opened with O_NOFOLLOW.
//
// resolveInRoot/mkdirInRoot give host paths for code that then works with paths
// (the builder's COPY, mountpoints): they are used on trees berth alone writes
// to at that moment.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openat2, RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_XDEV, SyscallError } from './libc.js';

const O_PATH = 0o10000000;
const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK, O_NOCTTY, O_DIRECTORY } = fs.constants;
const O_CLOEXEC = 0o2000000;
/** as the kernel's MAXSYMLINKS */
const MAX_SYMLINKS = 40;

/**
 * A path inside a root that cannot be used. `code` is the errno name for what the
 * kernel would say (ENOENT, ENOTDIR, ELOOP, EXDEV, EACCES...), ENOTREG for a
 * name that is not a regular file, EFBIG for one over the size bound.
 */
export class InRootError extends Error {
  readonly code: string;
  /** the path as asked for, inside the root */
  readonly path: string;
  constructor(code: string, p: string, reason: string) {
    super(`${p}: ${reason}`);
    this.name = 'InRootError';
    this.code = code;
    this.path = p;
  }
}

/** ENOENT or ENOTDIR: nothing by that name (a dangling link, a link out of the root, a file where a directory should be). */
export function isMissing(err: unknown): boolean {
  return err instanceof InRootError && (err.code === 'ENOENT' || err.code === 'ENOTDIR');
}

let kernelResolve: boolean | undefined;

/** Tests only: force the user-space fallback (false) or the kernel's openat2 (true); undefined probes again. */
export function setKernelResolve(v: boolean | undefined): void {
  kernelResolve = v;
}

/** Whether openat2 is used (it is probed on first use). */
export function usesKernelResolve(): boolean {
  if (kernelResolve === undefined) {
    try {
      fs.closeSync(openat2(-100 /* AT_FDCWD */, '/', O_PATH | O_CLOEXEC, 0, 0));
      kernelResolve = true;
    } catch (err) {
      // ENOSYS: a kernel before 5.6; EPERM: a seccomp filter that does not know the call
      if (err instanceof SyscallError && (err.code === 'ENOSYS' || err.code === 'EPERM')) kernelResolve = false;
      else throw err;
    }
  }
  return kernelResolve;
}

function fileType(st: fs.Stats): string {
  if (st.isDirectory()) return 'directory';
  if (st.isFIFO()) return 'fifo';
  if (st.isCharacterDevice()) return 'character device';
  if (st.isBlockDevice()) return 'block device';
  if (st.isSocket()) return 'socket';
  if (st.isSymbolicLink()) return 'symbolic link';
  return 'special file';
}

const REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'not a directory',
  ELOOP: 'too many levels of symbolic links',
  EXDEV: 'crosses a mount point',
  EACCES: 'permission denied',
};

function asInRoot(err: unknown, p: string): never {
  const code = err && typeof err === 'object' && 'code' in err ? String((err as { code: unknown }).code) : undefined;
  if (code && code in REASONS) throw new InRootError(code, p, REASONS[code]!);
  throw err;
}

export interface OpenInRootOptions {
  /** follow a symlink in the last component (inside the root); default true */
  followLast?: boolean;
  /** allow the walk to cross into another mount below the root (a bind mount in a build stage); default false */
  crossMounts?: boolean;
}

/** An O_PATH fd for `p` inside `root`, resolved by the kernel or by the fallback. */
function openPath(root: string, p: string, o: OpenInRootOptions): number {
  const follow = o.followLast ?? true;
  if (usesKernelResolve()) {
    const rootFd = fs.openSync(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    try {
      const resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | (o.crossMounts ? 0 : RESOLVE_NO_XDEV);
      return openat2(rootFd, p, O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW), 0, resolve);
    } catch (err) {
      return asInRoot(err, p);
    } finally {
      fs.closeSync(rootFd);
    }
  }
  const host = resolveInRoot(root, p, follow);
  try {
    return fs.openSync(host, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  } catch (err) {
    return asInRoot(err, p);
  }
}

/**
 * Open the regular file `p` (a path inside `root`, absolute or not: both mean
 * from the root) for reading. A FIFO, a device, a directory or a socket is
 * refused (ENOTREG) without being opened; so is a symlink as last component
 * when followLast is false. Returns the fd (the caller closes it) and its stat.
 */
export function openFileInRoot(root: string, p: string, o: OpenInRootOptions = {}): { fd: number; stat: fs.Stats } {
  const pathFd = openPath(root, p, o);
  try {
    const st = fs.fstatSync(pathFd);
    if (!st.isFile()) throw new InRootError('ENOTREG', p, `not a regular file (${fileType(st)})`);
    // Reopen what was found, through its fd: no second resolution of the name.
    const fd = fs.openSync(`/proc/self/fd/${pathFd}`, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    return { fd, stat: st };
  } finally {
    fs.closeSync(pathFd);
  }
}

/** Whether `p` inside `root` names something (any type), resolved as openFileInRoot does. */
export function existsInRoot(root: string, p: string, o: OpenInRootOptions = {}): boolean {
  try {
    fs.closeSync(openPath(root, p, o));
    return true;
  } catch (err) {
    if (isMissing(err)) return false;
    throw err;
  }
}

export interface ReadInRootOptions extends OpenInRootOptions {
  /** refuse files larger than this (EFBIG) */
  maxBytes: number;
}

function sizeText(n: number): string {
  return n % (1 << 20) === 0 ? `${n >> 20} MiB` : n % 1024 === 0 ? `${n >> 10} KiB` : `${n} bytes`;
}

/**
 * Read the regular file `p` inside `root`, at most maxBytes of it (EFBIG beyond:
 * the bound is checked before the read and again while reading, as the file may
 * grow). The reads run in the thread pool.
 */
export async function readFileInRoot(root: string, p: string, o: ReadInRootOptions): Promise<Buffer> {
  const { fd, stat } = openFileInRoot(root, p, o);
  try {
    const tooBig = () => new InRootError('EFBIG', p, `larger than ${sizeText(o.maxBytes)}`);
    if (stat.size > o.maxBytes) throw tooBig();
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      // one byte more than the size seen (or the bound allows) tells a grown file
      const buf = Buffer.allocUnsafe(Math.max(1, Math.min(stat.size - total + 1, o.maxBytes + 1 - total, 1 << 20)));
      const bytesRead = await readAsync(fd, buf);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > o.maxBytes) throw tooBig();
      chunks.push(buf.subarray(0, bytesRead));
    }
    return Buffer.concat(chunks, total);
  } finally {
    await new Promise<void>((r) => fs.close(fd, () => r()));
  }
}

function readAsync(fd: number, buf: Buffer): Promise<number> {
  return new Promise((resolve, reject) => fs.read(fd, buf, 0, buf.length, null, (err, n) => (err ? reject(err) : resolve(n))));
}

/** readFileInRoot as UTF-8 text; undefined when there is no such file (see isMissing). */
export async function readTextInRoot(root: string, p: string, o: ReadInRootOptions): Promise<string | undefined> {
  try {
    return (await readFileInRoot(root, p, o)).toString('utf8');
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

/**
 * The host path of `p` inside `root`, symlinks followed as if `root` were `/`
 * (an absolute target or `..` past the top stays at the root). The last
 * component is followed only when `followLast` is set. Names need not exist:
 * the rest of the path is appended as given once a component is missing.
 */
export function resolveInRoot(root: string, p: string, followLast = true): string {
  let parts = p.split('/').filter(Boolean);
  const done: string[] = [];
  let hops = 0;
  while (parts.length) {
    const name = parts.shift()!;
    if (name === '.') continue;
    if (name === '..') {
      done.pop();
      continue;
    }
    const host = path.join(root, ...done, name);
    let st: fs.Stats | undefined;
    try {
      st = fs.lstatSync(host);
    } catch {
      st = undefined;
    }
    if (st?.isSymbolicLink() && (parts.length > 0 || followLast)) {
      if (++hops > MAX_SYMLINKS) throw new InRootError('ELOOP', p, REASONS['ELOOP']!);
      const target = fs.readlinkSync(host);
      if (target.startsWith('/')) done.length = 0;
      parts = [...target.split('/').filter(Boolean), ...parts];
      continue;
    }
    done.push(name);
  }
  return path.join(root, ...done);
}

/**
 * mkdir -p of `p` inside `root`: every component resolved inside the root, new
 * directories made with mode 0755 and the owner given, their in-root paths
 * pushed to `created`. Returns the host path.
 */
export function mkdirInRoot(root: string, p: string, owner: { uid: number; gid: number } = { uid: 0, gid: 0 }, created?: string[]): string {
  const parts = path.posix.normalize('/' + p).split('/').filter(Boolean);
  let cur = '/';
  for (const name of parts) {
    cur = path.posix.join(cur, name);
    // A link may lead anywhere in the root, to a path whose directories do not exist yet
    // (`/w -> /srv/app/data`): each missing one is made, as docker's MkdirAll does there.
    const inRoot = path.relative(root, resolveInRoot(root, cur));
    let dir = root;
    for (const comp of inRoot.split(path.sep).filter(Boolean)) {
      dir = path.join(dir, comp);
      let st: fs.Stats | undefined;
      try {
        // (resolveInRoot followed every link: what is there is not one, unless it changed since)
        st = fs.lstatSync(dir);
      } catch {
        st = undefined;
      }
      if (!st) {
        fs.mkdirSync(dir, { mode: 0o755 });
        fs.chmodSync(dir, 0o755);
        fs.lchownSync(dir, owner.uid, owner.gid);
        created?.push('/' + path.relative(root, dir).split(path.sep).join('/'));
      } else if (!st.isDirectory()) throw new InRootError('ENOTDIR', cur, 'not a directory');
    }
  }
  return resolveInRoot(root, p);
}

/** The user databases (/etc/passwd, /etc/group) and other small text files: refused beyond this. */
export const ETC_FILE_MAX = 4 << 20;
