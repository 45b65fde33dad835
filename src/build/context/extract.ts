// The build context arrives as a tar (from the client, untrusted) and is
// unpacked into a fresh private directory; ADD's local archives go through
// the same extractor (extractTar), after their decompression. Nothing is written outside it:
// names are normalised and may not climb out, no entry is written through a
// symlink (every parent is checked with lstat), the last component is always
// created fresh, and hard links must point at an earlier regular file.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createGunzip } from 'node:zlib';
import { PassThrough, type Readable } from 'node:stream';
import tar from 'tar-stream';

export class ContextError extends Error {}

function normalise(name: string, what: string): string | undefined {
  const n = path.posix.normalize('/' + name).slice(1).replace(/\/+$/, '');
  if (n === '' || n === '.') return undefined;
  // "../x" is clamped at the top (to "x"), as docker's chrooted untar places it
  if (n.split('/').includes('..')) throw new ContextError(`${what} entry "${name}" climbs out of the ${what}`);
  return n;
}

function checkParents(root: string, rel: string, what: string): void {
  const parts = rel.split('/').slice(0, -1);
  let cur = root;
  for (const p of parts) {
    cur = path.join(cur, p);
    let st: fs.Stats | undefined;
    try {
      st = fs.lstatSync(cur);
    } catch {
      fs.mkdirSync(cur, { mode: 0o755 });
      continue;
    }
    if (!st.isDirectory()) throw new ContextError(`${what} entry "${rel}" has a parent that is not a directory`);
  }
}

function removeExisting(p: string, keepDir: boolean): void {
  let st: fs.Stats | undefined;
  try {
    st = fs.lstatSync(p);
  } catch {
    return;
  }
  if (st.isDirectory() && keepDir) return;
  fs.rmSync(p, { recursive: true, force: true });
}

function drain(s: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    s.on('end', resolve);
    s.on('error', reject);
    s.resume();
  });
}

export interface ExtractOptions {
  /** keep the owners the tar names (an archive ADD unpacks) */
  keepOwner?: boolean;
  /** what the tar is, for errors: "context" (the default) or "archive" */
  what?: string;
  /** accept headers without a ustar/gnu magic (old v7 tars), as Go's archive/tar does */
  allowUnknownFormat?: boolean;
}

/** Unpack an uncompressed tar stream into `dir`. */
export async function extractTar(body: Readable, dir: string, opts: ExtractOptions = {}): Promise<void> {
  const what = opts.what ?? 'context';
  const extract = tar.extract({ allowUnknownFormat: opts.allowUnknownFormat ?? false });
  const done = extractInto(extract, dir, opts, what);
  body.on('error', (e) => extract.destroy(e));
  body.pipe(extract);
  try {
    await done;
  } catch (e) {
    body.destroy(); // and with it a decompressor process feeding it
    throw e;
  }
}

function extractInto(extract: tar.Extract, dir: string, opts: ExtractOptions, what: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    extract.on('entry', (h, stream, next) => {
      void (async () => {
        const rel = normalise(h.name, what);
        if (rel === undefined) {
          await drain(stream);
          return;
        }
        checkParents(dir, rel, what);
        const p = path.join(dir, rel);
        const mode = (h.mode ?? 0o644) & 0o7777;
        const mtime = h.mtime ?? new Date(0);
        if (h.type === 'directory') {
          removeExisting(p, true);
          if (!fs.existsSync(p)) fs.mkdirSync(p);
          fs.chmodSync(p, mode);
          if (opts.keepOwner) fs.lchownSync(p, h.uid ?? 0, h.gid ?? 0);
          await drain(stream);
        } else if (h.type === 'file' || h.type === 'contiguous-file') {
          removeExisting(p, false);
          const fd = fs.openSync(p, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
          const ws = fs.createWriteStream('', { fd });
          await new Promise<void>((res, rej) => {
            stream.pipe(ws);
            ws.on('finish', res);
            ws.on('error', rej);
            stream.on('error', rej);
          });
          fs.chmodSync(p, mode);
          if (opts.keepOwner) fs.lchownSync(p, h.uid ?? 0, h.gid ?? 0);
          fs.utimesSync(p, mtime, mtime);
        } else if (h.type === 'symlink') {
          removeExisting(p, false);
          fs.symlinkSync(h.linkname ?? '', p);
          if (opts.keepOwner) fs.lchownSync(p, h.uid ?? 0, h.gid ?? 0);
          await drain(stream);
        } else if (h.type === 'link') {
          const target = normalise(h.linkname ?? '', what);
          if (!target) throw new ContextError(`hard link "${h.name}" has no target`);
          checkParents(dir, target, what);
          const t = path.join(dir, target);
          if (!fs.lstatSync(t).isFile()) throw new ContextError(`hard link "${h.name}" must point at a regular file`);
          removeExisting(p, false);
          fs.linkSync(t, p);
          await drain(stream);
        } else await drain(stream); // devices, fifos: not part of a build context
      })().then(
        () => next(),
        (e: unknown) => {
          stream.resume();
          reject(e);
          extract.destroy();
        },
      );
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
}

/** Detect gzip by its magic bytes and unpack a plain or gzipped tar into `dir`. */
export async function extractContext(body: Readable, dir: string, opts: ExtractOptions = {}): Promise<void> {
  const first = new PassThrough();
  let decided = false;
  const extract = tar.extract();
  const done = extractInto(extract, dir, opts, opts.what ?? 'context');
  body.on('data', (c: Buffer) => {
    if (!decided) {
      decided = true;
      if (c.length >= 2 && c[0] === 0x1f && c[1] === 0x8b) first.pipe(createGunzip()).pipe(extract);
      else first.pipe(extract);
    }
    if (!first.write(c)) {
      body.pause();
      first.once('drain', () => body.resume());
    }
  });
  body.on('end', () => {
    if (!decided) first.pipe(extract);
    first.end();
  });
  body.on('error', (e) => extract.destroy(e));
  await done;
}
