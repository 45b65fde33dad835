// Writes the entries of one untrusted layer tar into a fresh directory, the
// layer's own "fs" dir, converting OCI whiteouts to overlay's form on the way.
//
// Safety rests on three habits, so that nothing lands outside `root`:
//  - every name is normalised lexically and refused if it climbs out
//    (tarpath.ts);
//  - every parent directory is checked with lstat, and a parent that is a
//    symlink (or not a directory) refuses the entry: nothing is ever written
//    *through* a symlink, so a symlink planted by an earlier entry is inert;
//  - the final component is always created fresh (old one removed first) with
//    calls that do not follow a symlink there: O_CREAT|O_EXCL|O_NOFOLLOW,
//    mkdir, symlink, link, mknod, lchown, lsetxattr, lutimes. chmod is only
//    called on a node this unpacker has just created and knows is no symlink.
// No other process writes into `root` while this runs (it is a new directory
// under berth's private state), so the lstat checks cannot be raced.
//
// Metadata syscalls are synchronous on purpose: each costs microseconds, and
// a thread-pool round trip per call would dominate layers of many small files.
// The event loop is still yielded between chunks of file data.
import * as fs from 'node:fs';
import type { Headers } from 'tar-stream';
import { BerthError, errnoCode, internal, invalidArgument, messageOf } from '../../common/errors.js';
import { lsetxattr, mknod, S_IFBLK, S_IFCHR, S_IFIFO } from '../../common/libc.js';
import { entryXattrs, paxTime } from './pax.js';
import { classifyWhiteout, deviceAllowedAt, joinUnder, normalizeEntryPath, UnsafePathError } from './tarpath.js';

export const OVERLAY_OPAQUE_XATTR = 'trusted.overlay.opaque';

/** The header fields the unpacker reads; tar-stream's Headers plus its `pax` records. */
export type TarHeader = Headers & { pax?: unknown };

const O_CREATE_NEW = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;

export interface UnpackStats {
  entries: number;
  /** trusted.* xattrs found in the tar and deliberately not applied */
  skippedXattrs: number;
  /** bytes of file content and symlink targets written (docker's layer "Size") */
  contentSize: number;
}

export class LayerUnpacker {
  /** Relative paths known to be real directories (checked or created here). */
  private readonly knownDirs = new Set<string>(['']);
  /** Directory times are set last: creating entries inside a directory changes its mtime. */
  private readonly dirTimes = new Map<string, { atime: number; mtime: number }>();
  readonly stats: UnpackStats = { entries: 0, skippedXattrs: 0, contentSize: 0 };

  constructor(private readonly root: string) {}

  /** Apply one entry; `body` is its data, which is always consumed. */
  async entry(header: TarHeader, body: AsyncIterable<Uint8Array>): Promise<void> {
    this.stats.entries++;
    try {
      if ((header.type === 'file' || header.type === 'contiguous-file') && !this.isMarker(header)) {
        await this.writeFile(this.targetOf(header), header, body);
        return;
      }
      for await (const _ of body); // drain: only regular files carry data worth keeping
      this.applyNonFile(header);
    } catch (err) {
      throw this.entryError(header.name, err);
    }
  }

  /** Set directory times; call once after the last entry. */
  finish(): void {
    for (const [rel, t] of this.dirTimes) {
      if (this.knownDirs.has(rel)) fs.lutimesSync(joinUnder(this.root, rel), t.atime, t.mtime);
    }
  }

  private isMarker(header: TarHeader): boolean {
    return classifyWhiteout(this.normalize(header.name)).kind !== 'none';
  }

  /** Throws UnsafePathError, which entryError turns into InvalidArgument. */
  private normalize(name: string): string {
    return normalizeEntryPath(name);
  }

  /** The normalised path of an ordinary (non-whiteout) entry, refusing the root for non-directories. */
  private targetOf(header: TarHeader): string {
    const rel = this.normalize(header.name);
    if (rel === '' && header.type !== 'directory') throw invalidArgument('the layer root can only be a directory');
    return rel;
  }

  private applyNonFile(header: TarHeader): void {
    const wo = classifyWhiteout(this.normalize(header.name));
    switch (wo.kind) {
      case 'meta':
        return;
      case 'opaque':
        this.ensureDir(wo.dir);
        lsetxattr(joinUnder(this.root, wo.dir), OVERLAY_OPAQUE_XATTR, 'y');
        return;
      case 'whiteout': {
        this.ensureDir(wo.dir);
        const rel = wo.dir === '' ? wo.name : `${wo.dir}/${wo.name}`;
        this.createFresh(rel, (abs) => mknod(abs, S_IFCHR, 0, 0));
        return;
      }
      case 'none':
        break;
    }
    const rel = this.targetOf(header);
    const mode = (header.mode ?? 0o644) & 0o7777;
    switch (header.type) {
      case 'directory':
        this.makeDir(rel, header, mode);
        return;
      case 'symlink': {
        if (!header.linkname) throw invalidArgument('symlink without a target');
        // Stored verbatim: the target is resolved inside the container's root
        // at run time, never by the unpacker.
        const linkname = header.linkname;
        this.createFresh(rel, (abs) => fs.symlinkSync(linkname, abs));
        this.stats.contentSize += Buffer.byteLength(linkname);
        this.applyMeta(rel, header, null);
        return;
      }
      case 'link':
        this.makeHardlink(rel, header);
        return;
      case 'character-device':
      case 'block-device': {
        const major = header.devmajor ?? 0;
        const minor = header.devminor ?? 0;
        const isWhiteout = header.type === 'character-device' && major === 0 && minor === 0;
        if (!isWhiteout && !deviceAllowedAt(rel)) {
          throw invalidArgument(`${header.type.replace('-', ' ')} ${major}:${minor} outside dev/ is not allowed`);
        }
        const type = header.type === 'block-device' ? S_IFBLK : S_IFCHR;
        this.createFresh(rel, (abs) => mknod(abs, type | mode, major, minor));
        this.applyMeta(rel, header, mode);
        return;
      }
      case 'fifo':
        this.createFresh(rel, (abs) => mknod(abs, S_IFIFO | mode));
        this.applyMeta(rel, header, mode);
        return;
      default:
        throw invalidArgument(header.type ? `unsupported entry type "${header.type}"` : 'unknown entry type flag');
    }
  }

  private makeDir(rel: string, header: TarHeader, mode: number): void {
    if (rel !== '') {
      this.ensureDir(parentOf(rel));
      const st = lstatOrNull(joinUnder(this.root, rel));
      // A directory over a directory keeps its contents; anything else is replaced.
      if (!st?.isDirectory()) {
        if (st) this.removeExisting(rel);
        fs.mkdirSync(joinUnder(this.root, rel), 0o700);
      }
      this.knownDirs.add(rel);
    }
    this.applyMeta(rel, header, mode);
  }

  private makeHardlink(rel: string, header: TarHeader): void {
    if (!header.linkname) throw invalidArgument('hardlink without a target');
    let target: string;
    try {
      target = normalizeEntryPath(header.linkname);
    } catch (err) {
      throw err instanceof UnsafePathError ? invalidArgument(`hardlink target "${header.linkname}": ${err.message}`) : err;
    }
    if (target === '') throw invalidArgument('hardlink to the layer root');
    if (target === rel) throw invalidArgument('hardlink to itself');
    this.checkDirNoCreate(parentOf(target), `hardlink target "${header.linkname}"`);
    const st = lstatOrNull(joinUnder(this.root, target));
    if (!st) throw invalidArgument(`hardlink target "${header.linkname}" does not exist in this layer`);
    if (st.isDirectory()) throw invalidArgument(`hardlink target "${header.linkname}" is a directory`);
    // link(2) does not follow a symlink at the target: the new name shares the
    // symlink's own inode, which is harmless.
    this.createFresh(rel, (abs) => fs.linkSync(joinUnder(this.root, target), abs));
  }

  private async writeFile(rel: string, header: TarHeader, body: AsyncIterable<Uint8Array>): Promise<void> {
    let fd = -1;
    this.createFresh(rel, (abs) => {
      fd = fs.openSync(abs, O_CREATE_NEW, 0o600);
    });
    try {
      for await (const chunk of body) {
        let off = 0;
        while (off < chunk.length) off += fs.writeSync(fd, chunk, off, chunk.length - off);
        this.stats.contentSize += chunk.length;
      }
    } finally {
      fs.closeSync(fd);
    }
    this.applyMeta(rel, header, (header.mode ?? 0o644) & 0o7777);
  }

  /**
   * Create `rel` with `create`, a call that fails with EEXIST rather than
   * follow anything already there; if something is there, remove it (a later
   * entry replaces an earlier one) and create again. Trying first saves an
   * lstat per entry in the common case of a new name.
   */
  private createFresh(rel: string, create: (abs: string) => void): void {
    this.ensureDir(parentOf(rel));
    const abs = joinUnder(this.root, rel);
    try {
      create(abs);
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw err;
      this.removeExisting(rel);
      create(abs);
    }
  }

  /** Ensure every component of `rel` is a real directory, creating missing ones (0755). */
  private ensureDir(rel: string): void {
    if (this.knownDirs.has(rel)) return;
    let cur = '';
    for (const part of rel.split('/')) {
      cur = cur === '' ? part : `${cur}/${part}`;
      if (this.knownDirs.has(cur)) continue;
      const abs = joinUnder(this.root, cur);
      const st = lstatOrNull(abs);
      if (!st) fs.mkdirSync(abs, 0o755);
      else if (st.isSymbolicLink()) throw invalidArgument(`parent "${cur}" is a symlink; refusing to write through it`);
      else if (!st.isDirectory()) throw invalidArgument(`parent "${cur}" is not a directory`);
      this.knownDirs.add(cur);
    }
  }

  /** Like ensureDir, but nothing is created: for paths that must already exist. */
  private checkDirNoCreate(rel: string, what: string): void {
    let cur = '';
    if (rel === '') return;
    for (const part of rel.split('/')) {
      cur = cur === '' ? part : `${cur}/${part}`;
      if (this.knownDirs.has(cur)) continue;
      const st = lstatOrNull(joinUnder(this.root, cur));
      if (!st) throw invalidArgument(`${what} does not exist in this layer`);
      if (st.isSymbolicLink()) throw invalidArgument(`${what} goes through symlink "${cur}"`);
      if (!st.isDirectory()) throw invalidArgument(`${what}: "${cur}" is not a directory`);
      this.knownDirs.add(cur);
    }
  }

  /** A later entry replaces an earlier one at the same path. */
  private removeExisting(rel: string): void {
    const abs = joinUnder(this.root, rel);
    const st = lstatOrNull(abs);
    if (!st) return;
    if (st.isDirectory()) {
      // fs.rmSync unlinks symlinks inside rather than following them.
      fs.rmSync(abs, { recursive: true, force: true });
      for (const d of this.knownDirs) if (d === rel || d.startsWith(`${rel}/`)) this.knownDirs.delete(d);
      for (const d of this.dirTimes.keys()) if (d === rel || d.startsWith(`${rel}/`)) this.dirTimes.delete(d);
    } else {
      fs.unlinkSync(abs);
    }
  }

  /** Owner, then mode (chown clears setuid bits), then xattrs (chown clears capabilities), then times. */
  private applyMeta(rel: string, header: TarHeader, mode: number | null): void {
    const abs = joinUnder(this.root, rel);
    fs.lchownSync(abs, header.uid ?? 0, header.gid ?? 0);
    if (mode !== null) fs.chmodSync(abs, mode);
    for (const [name, value] of entryXattrs(header.pax)) {
      // trusted.* steers overlayfs itself (redirect, metacopy, opaque); a
      // layer that could set them could make the merged view lie.
      if (name.startsWith('trusted.')) {
        this.stats.skippedXattrs++;
        continue;
      }
      lsetxattr(abs, name, value);
    }
    const mtime = paxTime(header.pax, 'mtime') ?? (header.mtime ? header.mtime.getTime() / 1000 : 0);
    const atime = paxTime(header.pax, 'atime') ?? mtime;
    if (header.type === 'directory') this.dirTimes.set(rel, { atime, mtime });
    else fs.lutimesSync(abs, atime, mtime);
  }

  private entryError(name: string, err: unknown): BerthError {
    if (err instanceof BerthError) return new BerthError(err.kind, `layer: entry "${name}": ${err.message}`, { cause: err });
    if (err instanceof UnsafePathError) return invalidArgument(`layer: entry "${name}": ${err.message}`, err);
    const code = errnoCode(err);
    // The layer asked for something the filesystem refuses (e.g. a name too long).
    if (code === 'ENAMETOOLONG' || code === 'EINVAL' || code === 'ENOTDIR' || code === 'EEXIST' || code === 'ELOOP') {
      return invalidArgument(`layer: entry "${name}": ${messageOf(err)}`, err);
    }
    return internal(`layer: entry "${name}": ${messageOf(err)}`, err);
  }
}

function parentOf(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i === -1 ? '' : rel.slice(0, i);
}

function lstatOrNull(abs: string): fs.Stats | null {
  try {
    return fs.lstatSync(abs);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null;
    throw err;
  }
}
