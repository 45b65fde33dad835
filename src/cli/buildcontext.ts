// The build context as the docker CLI sends it: a tar of the context
// directory without what .dockerignore excludes (the Dockerfile and
// .dockerignore themselves always go, so the daemon can read them), plus a
// Dockerfile from outside the context under a generated name.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { IgnoreMatcher, parseDockerignore } from '../common/dockerignore.js';
import { InRootError, readTextInRoot } from '../common/inroot.js';

export interface ContextTar {
  stream: Readable;
  /** the Dockerfile's name inside the tar */
  dockerfile: string;
}

const SMALL_FILE = 256 * 1024;

/**
 * .dockerignore, resolved inside the context as the daemon resolves it (a link
 * out of the context is no file): both sides then apply the same patterns.
 */
async function readIgnoreFile(root: string): Promise<string | undefined> {
  try {
    return await readTextInRoot(root, '.dockerignore', { maxBytes: 8 << 20, crossMounts: true });
  } catch (err) {
    if (err instanceof InRootError) throw new Error(`unable to prepare context: ${err.message}`);
    throw err;
  }
}

export async function contextTar(dir: string, dockerfile: string | undefined): Promise<ContextTar> {
  const root = path.resolve(dir);
  if (!fs.statSync(root, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`unable to prepare context: path "${dir}" not found`);
  const dfAbs = path.resolve(dockerfile ? (path.isAbsolute(dockerfile) ? dockerfile : path.resolve(dockerfile)) : path.join(root, 'Dockerfile'));
  if (!fs.existsSync(dfAbs)) throw new Error(`unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${dfAbs}: no such file or directory`);
  let dfName = path.relative(root, dfAbs).split(path.sep).join('/');
  const outside = dfName.startsWith('..');
  // (globalThis.crypto loads node:crypto only when used: ~3 ms of every command's start-up otherwise)
  if (outside) dfName = `.dockerfile.${globalThis.crypto.randomUUID().replaceAll('-', '').slice(0, 20)}`;
  const matcher = new IgnoreMatcher(parseDockerignore((await readIgnoreFile(root)) ?? ''));
  const always = new Set(['.dockerignore', dfName]);
  const pack = tar.pack();
  const add = (h: tar.Headers, file?: string): Promise<void> =>
    new Promise((resolve, reject) => {
      // small files in one read: a stream costs several turns of the event loop per file
      if (file && (h.size ?? 0) <= SMALL_FILE) pack.entry(h, fs.readFileSync(file), (e) => (e ? reject(e) : resolve()));
      else if (file) {
        const w = pack.entry(h, (e) => (e ? reject(e) : resolve()));
        fs.createReadStream(file).on('error', reject).pipe(w);
      } else pack.entry(h, h.type === 'file' ? Buffer.alloc(0) : undefined, (e) => (e ? reject(e) : resolve()));
    });
  const walk = async (abs: string, rel: string): Promise<void> => {
    for (const n of fs.readdirSync(abs).sort()) {
      const r = rel ? `${rel}/${n}` : n;
      const p = path.join(abs, n);
      const st = fs.lstatSync(p);
      const ignored = !always.has(r) && matcher.matches(r);
      if (st.isDirectory()) {
        if (ignored && matcher.canSkipDir(r)) continue;
        if (!ignored) await add({ name: r + '/', type: 'directory', mode: st.mode & 0o7777, mtime: st.mtime });
        await walk(p, r);
        continue;
      }
      if (ignored) continue;
      const base = { name: r, mode: st.mode & 0o7777, mtime: st.mtime, uid: 0, gid: 0 };
      if (st.isSymbolicLink()) await add({ ...base, type: 'symlink', linkname: fs.readlinkSync(p) });
      else if (st.isFile()) await add({ ...base, type: 'file', size: st.size }, st.size ? p : undefined);
    }
  };
  void (async () => {
    await walk(root, '');
    if (outside) {
      const st = fs.statSync(dfAbs);
      await add({ name: dfName, type: 'file', mode: 0o644, size: st.size, mtime: st.mtime }, st.size ? dfAbs : undefined);
    }
    pack.finalize();
  })().catch((e: unknown) => pack.destroy(e as Error));
  return { stream: pack as unknown as Readable, dockerfile: dfName };
}
