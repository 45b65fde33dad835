// COPY and ADD: sources (globs, files, directories, symlinks followed inside
// their root) from the build context, another stage or image, a heredoc, a
// loopback URL or a local archive that ADD unpacks (archive.ts); a content digest of every
// source (what the cache compares: never the mtime); and the copy into the
// stage's rootfs with --chown/--chmod, never writing outside it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { globSource } from './parser/index.js';
import { IgnoreMatcher } from './context/dockerignore.js';
import { mkdirInRoot, resolveInRoot, RootfsError } from './rootfs.js';

export class CopyError extends Error {}

export interface CopyEntry {
  /** host path of the source */
  abs: string;
  /** path inside the rootfs */
  dest: string;
  type: 'file' | 'dir' | 'symlink';
  mode: number;
  mtime: Date;
  uid: number;
  gid: number;
  linkname?: string;
}

export interface CopyPlan {
  entries: CopyEntry[];
  /** content digest of all sources (docker's file:/dir:/multi: hash) */
  digest: string;
  /** "file:<hex>", "dir:<hex>" or "multi:<hex>", for the history */
  description: string;
}

export interface SourceRoot {
  /** host directory the source paths are relative to */
  root: string;
  /** name used in errors ("build context", a stage name) */
  what: string;
  /** keep the owners found in the source (an archive ADD unpacks) */
  keepOwner?: boolean;
}

const GLOB = /[*?[]/;

export function hashFile(p: string): string {
  const h = createHash('sha256');
  const fd = fs.openSync(p, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

/** Expand one source pattern against a root; returns rootfs-style paths ("/a/b"). */
export function matchSources(src: SourceRoot, pattern: string): string[] {
  const clean = path.posix.normalize('/' + pattern);
  if (path.posix.normalize(pattern).startsWith('..')) throw new CopyError(`Forbidden path outside the build context: ${pattern} ()`);
  if (!GLOB.test(clean)) return [clean];
  let found = ['/'];
  for (const part of clean.split('/').filter(Boolean)) {
    const next: string[] = [];
    for (const dir of found) {
      if (!GLOB.test(part)) {
        next.push(path.posix.join(dir, part));
        continue;
      }
      const re = new RegExp(`^${globSource(part).replace(/\[\\s\\S\]/g, '[^/]')}$`);
      let names: string[] = [];
      try {
        names = fs.readdirSync(resolveInRoot(src.root, dir)).sort();
      } catch {
        names = [];
      }
      for (const n of names) if (re.test(n)) next.push(path.posix.join(dir, n));
    }
    found = next;
  }
  return found.filter((f) => fs.existsSync(resolveInRoot(src.root, f)));
}

function isDirDest(dest: string): boolean {
  return dest.endsWith('/') || dest.endsWith('/.') || dest === '.';
}

/**
 * Plan a copy of `patterns` from `src` to `dest` (absolute in the rootfs).
 * `rootfs` is the destination stage's mounted root, to see whether dest is a directory.
 */
export function planCopy(src: SourceRoot, patterns: string[], dest: string, destIsDirHint: boolean, rootfs: string, exclude: string[], kind: 'COPY' | 'ADD'): CopyPlan {
  const ex = new IgnoreMatcher(exclude);
  const matched: string[] = [];
  for (const p of patterns) {
    const m = matchSources(src, p);
    if (m.length === 0 || !fs.existsSync(resolveInRoot(src.root, m[0]!))) {
      if (src.what === 'build context') throw new CopyError(`${kind} failed: file not found in build context or excluded by .dockerignore: stat ${p.replace(/^\/+/, '')}: file does not exist`);
      throw new CopyError(`${kind} failed: stat ${p}: file does not exist in ${src.what}`);
    }
    matched.push(...m.filter((x) => !ex.matches(x.slice(1))));
  }
  if (matched.length === 0) throw new CopyError(`${kind} failed: no source files were specified`);
  let destDir = destIsDirHint || isDirDest(dest) || matched.length > 1;
  if (matched.length > 1 && !isDirDest(dest) && !destIsDirHint) {
    throw new CopyError(`When using ${kind} with more than one source file, the destination must be a directory and end with a /`);
  }
  if (!destDir) {
    try {
      destDir = fs.statSync(resolveInRoot(rootfs, dest)).isDirectory();
    } catch {
      destDir = false;
    }
  }
  const entries: CopyEntry[] = [];
  const h = createHash('sha256');
  const add = (abs: string, destPath: string, rel: string, follow: boolean) => {
    const st = follow ? fs.statSync(abs) : fs.lstatSync(abs);
    const base = { abs, dest: destPath, mode: st.mode & 0o7777, mtime: st.mtime, uid: st.uid, gid: st.gid };
    if (st.isSymbolicLink()) {
      const linkname = fs.readlinkSync(abs);
      entries.push({ ...base, type: 'symlink', linkname });
      h.update(`${rel}\0l\0${base.mode}\0${linkname}\n`);
    } else if (st.isDirectory()) {
      entries.push({ ...base, type: 'dir' });
      h.update(`${rel}\0d\0${base.mode}\n`);
    } else if (st.isFile()) {
      entries.push({ ...base, type: 'file' });
      h.update(`${rel}\0f\0${base.mode}\0${hashFile(abs)}\n`);
    }
    if (src.keepOwner) h.update(`${st.uid}:${st.gid}\n`);
  };
  for (const m of matched) {
    const abs = resolveInRoot(src.root, m);
    const st = fs.statSync(abs);
    if (st.isDirectory()) {
      // a directory's contents are copied, not the directory itself
      const walk = (dirAbs: string, relDir: string) => {
        for (const n of fs.readdirSync(dirAbs).sort()) {
          const rel = relDir ? `${relDir}/${n}` : n;
          const srcRel = path.posix.join(m, rel).slice(1);
          if (ex.matches(srcRel)) continue;
          const childAbs = path.join(dirAbs, n);
          add(childAbs, path.posix.join(dest, rel), `${m}/${rel}`, false);
          if (fs.lstatSync(childAbs).isDirectory()) walk(childAbs, rel);
        }
      };
      h.update(`${m}\0root\n`);
      entries.push({ abs, dest: path.posix.normalize(dest), type: 'dir', mode: st.mode & 0o7777, mtime: st.mtime, uid: st.uid, gid: st.gid });
      walk(abs, '');
    } else {
      add(abs, destDir ? path.posix.join(dest, path.posix.basename(m)) : dest, m, true);
    }
  }
  const hex = h.digest('hex');
  const single = matched.length === 1 ? fs.statSync(resolveInRoot(src.root, matched[0]!)) : undefined;
  const description = single ? `${single.isDirectory() ? 'dir' : 'file'}:${hex}` : `multi:${hex}`;
  return { entries, digest: hex, description };
}

export interface CopyOwner {
  uid: number;
  gid: number;
}

/** Write a plan into the rootfs. */
export function applyCopy(plan: CopyPlan, rootfs: string, opts: { owner?: CopyOwner; chmod?: number; keepOwner?: boolean }): void {
  for (const e of plan.entries) {
    const owner = opts.owner ?? (opts.keepOwner ? { uid: e.uid, gid: e.gid } : { uid: 0, gid: 0 });
    const parent = path.posix.dirname(e.dest);
    mkdirInRoot(rootfs, parent, opts.owner ?? { uid: 0, gid: 0 });
    const host = path.join(resolveInRoot(rootfs, parent), path.posix.basename(e.dest));
    if (!host.startsWith(rootfs)) throw new RootfsError(`copy target ${e.dest} escapes the rootfs`);
    let existing: fs.Stats | undefined;
    try {
      existing = fs.lstatSync(host);
    } catch {
      existing = undefined;
    }
    const mode = opts.chmod ?? e.mode;
    if (e.type === 'dir') {
      if (existing?.isSymbolicLink()) {
        // an existing symlink to a directory is followed, as docker does
        const target = resolveInRoot(rootfs, e.dest);
        if (fs.existsSync(target) && fs.statSync(target).isDirectory()) continue;
      }
      if (existing && !existing.isDirectory()) fs.rmSync(host, { force: true });
      if (!existing || !existing.isDirectory()) fs.mkdirSync(host);
      fs.chmodSync(host, mode);
      fs.lchownSync(host, owner.uid, owner.gid);
      continue;
    }
    if (existing) fs.rmSync(host, { recursive: true, force: true });
    if (e.type === 'symlink') {
      fs.symlinkSync(e.linkname!, host);
      fs.lchownSync(host, owner.uid, owner.gid);
      fs.lutimesSync(host, e.mtime, e.mtime);
      continue;
    }
    fs.copyFileSync(e.abs, host);
    fs.chmodSync(host, mode);
    fs.lchownSync(host, owner.uid, owner.gid);
    fs.utimesSync(host, e.mtime, e.mtime);
  }
}
