// The few libc calls Node has no API for: mknod (overlay whiteouts are 0/0
// character devices; layers also carry real device nodes and fifos), the
// l*xattr family (overlay's trusted.overlay.opaque, file capabilities),
// mount/umount2, and unshare/setns with the ioctl that brings a link up (a
// container's network namespace and its loopback, network/cni/host.ts), and
// openat2 (resolution inside an untrusted root, common/inroot.ts). They go through koffi, which is loaded on first use so that
// code paths that never touch these calls (and their unit tests) never load a
// native addon.
import { createRequire } from 'node:module';
import type * as Koffi from 'koffi';

/** A failed system call, shaped like Node's own system errors (code, errno, syscall, path). */
export class SyscallError extends Error {
  readonly errno: number;
  readonly code: string;
  readonly syscall: string;
  readonly path?: string;
  constructor(syscall: string, errno: number, code: string, detail: string, path?: string) {
    super(`${syscall}${path !== undefined ? ` "${path}"` : ''}: ${code} (${detail})`);
    this.name = 'SyscallError';
    this.errno = errno;
    this.code = code;
    this.syscall = syscall;
    if (path !== undefined) this.path = path;
  }
}

type Fn = (...args: unknown[]) => unknown;

interface Libc {
  koffi: typeof Koffi;
  errnoNames: Map<number, string>;
  mknod: Fn;
  lsetxattr: Fn;
  lgetxattr: Fn;
  mount: Fn;
  umount2: Fn;
  strerror: Fn;
  syncfs: Fn;
  getpagesize: Fn;
  unshare: Fn;
  setns: Fn;
  socket: Fn;
  ioctl: Fn;
  close: Fn;
  flock: Fn;
  syscall: Fn;
}

let libc: Libc | undefined;

function load(): Libc {
  if (libc) return libc;
  const koffi = createRequire(import.meta.url)('koffi') as typeof Koffi;
  const lib = koffi.load('libc.so.6');
  const errnoNames = new Map<number, string>();
  for (const [name, value] of Object.entries(koffi.os.errno)) {
    if (!errnoNames.has(value)) errnoNames.set(value, name);
  }
  libc = {
    koffi,
    errnoNames,
    mknod: lib.func('int mknod(const char *path, uint32_t mode, uint64_t dev)') as Fn,
    lsetxattr: lib.func('int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)') as Fn,
    lgetxattr: lib.func('intptr_t lgetxattr(const char *path, const char *name, _Out_ void *value, size_t size)') as Fn,
    mount: lib.func('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)') as Fn,
    umount2: lib.func('int umount2(const char *target, int flags)') as Fn,
    strerror: lib.func('const char *strerror(int errnum)') as Fn,
    syncfs: lib.func('int syncfs(int fd)') as Fn,
    getpagesize: lib.func('int getpagesize(void)') as Fn,
    unshare: lib.func('int unshare(int flags)') as Fn,
    setns: lib.func('int setns(int fd, int nstype)') as Fn,
    socket: lib.func('int socket(int domain, int type, int protocol)') as Fn,
    ioctl: lib.func('int ioctl(int fd, unsigned long request, ...)') as Fn,
    close: lib.func('int close(int fd)') as Fn,
    flock: lib.func('int flock(int fd, int operation)') as Fn,
    syscall: lib.func('long syscall(long number, ...)') as Fn,
  };
  return libc;
}

function fail(l: Libc, syscall: string, path?: string): never {
  // errno must be read before any other libc call can overwrite it.
  const errno = l.koffi.errno();
  const code = l.errnoNames.get(errno) ?? `errno ${errno}`;
  throw new SyscallError(syscall, errno, code, String(l.strerror(errno)), path);
}

export const S_IFMT = 0o170000;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFIFO = 0o010000;

/** glibc's makedev: the 64-bit dev_t with major and minor split across it. */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major >>> 0);
  const mi = BigInt(minor >>> 0);
  return ((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) | ((mi & 0xffffff00n) << 12n) | (mi & 0xffn);
}

/** mknod(2); `mode` includes the file type (S_IFCHR, S_IFBLK, S_IFIFO). */
export function mknod(path: string, mode: number, major = 0, minor = 0): void {
  const l = load();
  if ((l.mknod(path, mode >>> 0, makedev(major, minor)) as number) !== 0) fail(l, 'mknod', path);
}

export const XATTR_CREATE = 1;
export const XATTR_REPLACE = 2;

/** lsetxattr(2): never follows a symlink at `path`. */
export function lsetxattr(path: string, name: string, value: Uint8Array | string, flags = 0): void {
  const l = load();
  const buf = typeof value === 'string' ? Buffer.from(value) : value;
  if ((l.lsetxattr(path, name, buf, buf.length, flags) as number) !== 0) fail(l, 'lsetxattr', path);
}

/** lgetxattr(2); undefined when the attribute is not set (ENODATA). */
export function lgetxattr(path: string, name: string): Buffer | undefined {
  const l = load();
  for (;;) {
    const size = Number(l.lgetxattr(path, name, null, 0));
    if (size < 0) {
      if (l.koffi.errno() === l.koffi.os.errno.ENODATA) return undefined;
      fail(l, 'lgetxattr', path);
    }
    const buf = Buffer.alloc(size);
    const got = Number(l.lgetxattr(path, name, buf, size));
    if (got >= 0) return buf.subarray(0, got);
    // The value grew between the two calls: ask for its size again.
    if (l.koffi.errno() !== l.koffi.os.errno.ERANGE) fail(l, 'lgetxattr', path);
  }
}

export const MS_RDONLY = 0x1;
export const MS_NOSUID = 0x2;
export const MS_NODEV = 0x4;
export const MS_NOEXEC = 0x8;
export const MS_REMOUNT = 0x20;
export const MS_BIND = 0x1000;
export const MS_REC = 0x4000;
export const MS_PRIVATE = 0x40000;
export const MS_SHARED = 0x100000;

/** mount(2). `data` is the filesystem's option string (e.g. overlay's lowerdir=...). */
export function mount(source: string, target: string, fstype: string | null, flags: number, data: string | null): void {
  const l = load();
  if ((l.mount(source, target, fstype, flags, data) as number) !== 0) fail(l, 'mount', target);
}

export const MNT_FORCE = 1;
export const MNT_DETACH = 2;
export const UMOUNT_NOFOLLOW = 8;

/** umount2(2). */
export function umount2(target: string, flags = 0): void {
  const l = load();
  if ((l.umount2(target, flags) as number) !== 0) fail(l, 'umount2', target);
}

/** syncfs(2): flush the whole filesystem that holds `fd`. */
export function syncfs(fd: number): void {
  const l = load();
  if ((l.syncfs(fd) as number) !== 0) fail(l, 'syncfs');
}

let cachedPageSize: number | undefined;

/** The kernel page size, which bounds a mount(2) option string. */
export function pageSize(): number {
  cachedPageSize ??= load().getpagesize() as number;
  return cachedPageSize;
}

export const CLONE_NEWNET = 0x40000000;

/** unshare(2): only the calling thread moves (namespaces belong to threads). */
export function unshare(flags: number): void {
  const l = load();
  if ((l.unshare(flags) as number) !== 0) fail(l, 'unshare');
}

/** setns(2) for the calling thread. */
export function setns(fd: number, nstype: number): void {
  const l = load();
  if ((l.setns(fd, nstype) as number) !== 0) fail(l, 'setns');
}

const AF_INET = 2;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const SIOCGIFFLAGS = 0x8913;
const SIOCSIFFLAGS = 0x8914;
const IFF_UP = 0x1;
const IFNAMSIZ = 16;

/**
 * Set IFF_UP on the link `name` of the network namespace the calling thread is
 * in (what `ip link set <name> up` does, through SIOCSIFFLAGS on a socket made there).
 */
export function linkUp(name: string): void {
  const l = load();
  if (Buffer.byteLength(name) >= IFNAMSIZ) throw new Error(`interface name too long: ${name}`);
  const fd = l.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0) as number;
  if (fd < 0) fail(l, 'socket');
  try {
    // struct ifreq: char ifr_name[16], then a union whose ifr_flags is a short (40 bytes in all)
    const req = Buffer.alloc(40);
    req.write(name, 0, 'latin1');
    if ((l.ioctl(fd, SIOCGIFFLAGS, 'void *', req) as number) !== 0) fail(l, 'ioctl SIOCGIFFLAGS', name);
    req.writeInt16LE(req.readInt16LE(IFNAMSIZ) | IFF_UP, IFNAMSIZ);
    if ((l.ioctl(fd, SIOCSIFFLAGS, 'void *', req) as number) !== 0) fail(l, 'ioctl SIOCSIFFLAGS', name);
  } finally {
    l.close(fd);
  }
}

const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;

/** flock(2) LOCK_EX|LOCK_NB: true when taken (held until the fd is closed or the process ends), false when another holds it. */
export function tryFlock(fd: number): boolean {
  const l = load();
  if ((l.flock(fd, LOCK_EX | LOCK_NB) as number) === 0) return true;
  const code = l.errnoNames.get(l.koffi.errno()) ?? '';
  if (code === 'EWOULDBLOCK' || code === 'EAGAIN') return false;
  fail(l, 'flock', String(fd));
}

/** flock(2) LOCK_EX on an open fd while `work` runs (false: the lock could not be taken, `work` ran anyway). */
export function withFlock<T>(fd: number, work: () => T): T {
  const l = load();
  const locked = (l.flock(fd, LOCK_EX) as number) === 0;
  try {
    return work();
  } finally {
    if (locked) l.flock(fd, LOCK_UN);
  }
}

// openat2(2) is syscall 437 on every architecture (added in 5.6, after the numbers were unified);
// glibc has no wrapper before 2.40 and Debian 12 ships 2.36.
const SYS_openat2 = 437;
export const RESOLVE_NO_XDEV = 0x01;
export const RESOLVE_NO_MAGICLINKS = 0x02;
export const RESOLVE_NO_SYMLINKS = 0x04;
export const RESOLVE_BENEATH = 0x08;
export const RESOLVE_IN_ROOT = 0x10;

/** openat2(2) with struct open_how {flags, mode, resolve}; returns the new fd. */
export function openat2(dirfd: number, path: string, flags: number, mode: number, resolve: number): number {
  const l = load();
  const how = Buffer.alloc(24);
  how.writeBigUInt64LE(BigInt(flags >>> 0), 0);
  how.writeBigUInt64LE(BigInt(mode >>> 0), 8);
  how.writeBigUInt64LE(BigInt(resolve >>> 0), 16);
  const fd = Number(l.syscall(SYS_openat2, 'int', dirfd, 'const char *', path, 'void *', how, 'size_t', how.length));
  if (fd < 0) fail(l, 'openat2', path);
  return fd;
}
