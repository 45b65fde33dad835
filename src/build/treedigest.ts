// The content digest of a file or directory tree, for cache keys of what a
// step reads without copying it (RUN --mount=type=bind sources): names, types,
// modes, owners, file contents and link targets, never timestamps, so that
// touching a file keeps the cache and changing one byte does not.
//
// The walk is synchronous (an await per file costs several times the time for
// a context of many small files) but hands the event loop back every
// SLICE_MS, between entries and between 1 MiB reads of a large file: a large
// context mounted whole no longer stalls berthd's other requests.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';

const SLICE_MS = 10;
const CHUNK = 1 << 20;

/** `sliceMs`: the longest run without a turn of the event loop (0: a turn at every step). */
export async function treeDigest(abs: string, sliceMs = SLICE_MS): Promise<string> {
  let since = performance.now();
  const pace = async () => {
    if (sliceMs > 0 && performance.now() - since < sliceMs) return;
    await new Promise((resolve) => setImmediate(resolve));
    since = performance.now();
  };
  const buf = Buffer.allocUnsafe(CHUNK);
  const fileHash = async (p: string): Promise<string> => {
    const h = createHash('sha256');
    const fd = fs.openSync(p, 'r');
    try {
      for (let n = fs.readSync(fd, buf, 0, CHUNK, null); n > 0; n = fs.readSync(fd, buf, 0, CHUNK, null)) {
        h.update(buf.subarray(0, n));
        await pace();
      }
    } finally {
      fs.closeSync(fd);
    }
    return h.digest('hex');
  };
  const h = createHash('sha256');
  const add = async (p: string, rel: string): Promise<void> => {
    await pace();
    const st = fs.lstatSync(p);
    const head = `${rel}\0${st.mode & 0o7777}\0${st.uid}:${st.gid}\0`;
    if (st.isSymbolicLink()) h.update(`${head}l\0${fs.readlinkSync(p)}\n`);
    else if (st.isFile()) h.update(`${head}f\0${await fileHash(p)}\n`);
    else if (st.isDirectory()) {
      h.update(`${head}d\n`);
      for (const n of fs.readdirSync(p).sort()) await add(path.join(p, n), rel ? `${rel}/${n}` : n);
    } else h.update(`${head}o\0${st.mode >>> 12}\0${st.rdev}\n`);
  };
  // the mount source itself is followed (it is what gets bind-mounted)
  const st = fs.statSync(abs);
  if (st.isDirectory()) await add(abs, '');
  else h.update(`\0${st.mode & 0o7777}\0${st.uid}:${st.gid}\0f\0${await fileHash(abs)}\n`);
  return 'sha256:' + h.digest('hex');
}
