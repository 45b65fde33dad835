// The content digest of a file or directory tree, for cache keys of what a
// step reads without copying it (RUN --mount=type=bind sources): names, types,
// modes, owners, file contents and link targets, never timestamps, so that
// touching a file keeps the cache and changing one byte does not.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { hashFile } from './copy.js';

export function treeDigest(abs: string): string {
  const h = createHash('sha256');
  const add = (p: string, rel: string) => {
    const st = fs.lstatSync(p);
    const head = `${rel}\0${st.mode & 0o7777}\0${st.uid}:${st.gid}\0`;
    if (st.isSymbolicLink()) h.update(`${head}l\0${fs.readlinkSync(p)}\n`);
    else if (st.isFile()) h.update(`${head}f\0${hashFile(p)}\n`);
    else if (st.isDirectory()) {
      h.update(`${head}d\n`);
      for (const n of fs.readdirSync(p).sort()) add(path.join(p, n), rel ? `${rel}/${n}` : n);
    } else h.update(`${head}o\0${st.mode >>> 12}\0${st.rdev}\n`);
  };
  // the mount source itself is followed (it is what gets bind-mounted)
  const st = fs.statSync(abs);
  if (st.isDirectory()) add(abs, '');
  else h.update(`\0${st.mode & 0o7777}\0${st.uid}:${st.gid}\0f\0${hashFile(abs)}\n`);
  return 'sha256:' + h.digest('hex');
}
