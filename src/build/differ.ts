// The layer differ: an overlay upper directory → an OCI layer tar. Deletions
// (overlay whiteouts: 0/0 character devices) become `.wh.<name>` files and
// opaque directories (trusted.overlay.opaque=y) get a `.wh..wh..opq` entry,
// with the headers docker's layers carry (moby's overlay whiteout converter,
// what `docker save` shows for a BuildKit or legacy build): a whiteout keeps
// the device's owner and time with mode 0600; an opaque marker takes its
// directory's owner and permission bits, with time 0.
// The tar is deterministic: entries in byte order of their paths, no user or
// group names, hard links within the layer as link entries, and every
// timestamp clamped to SOURCE_DATE_EPOCH when one is given.
import * as fs from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import tar from 'tar-stream';
import { lgetxattr } from '../common/libc.js';

const OPAQUE = 'trusted.overlay.opaque';

export interface DiffOptions {
  /** seconds since the epoch; later timestamps are clamped to it */
  epoch?: number;
  /** layer paths ("etc/x", no leading slash) left out, with everything below them */
  exclude?: ReadonlySet<string>;
}

interface Item {
  rel: string;
  abs: string;
  st: fs.Stats;
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** Walk the upper dir depth-first, parents before children, siblings sorted. */
function walk(root: string, exclude: ReadonlySet<string>): Item[] {
  const out: Item[] = [];
  const visit = (dir: string, relDir: string) => {
    const names = fs.readdirSync(dir).sort(compareBytes);
    for (const name of names) {
      const rel = relDir ? `${relDir}/${name}` : name;
      if (exclude.has(rel)) continue;
      const abs = `${dir}/${name}`;
      const st = fs.lstatSync(abs);
      out.push({ rel, abs, st });
      if (st.isDirectory()) visit(abs, rel);
    }
  };
  visit(root, '');
  return out;
}

function isWhiteout(st: fs.Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

/** Whether a diff of `upper` would be empty (nothing changed). */
export function isEmptyDiff(upper: string, opts: DiffOptions = {}): boolean {
  return walk(upper, opts.exclude ?? new Set()).length === 0;
}

/** Stream the layer tar of an upper directory. */
export function diffLayer(upper: string, opts: DiffOptions = {}): Readable {
  const pack = tar.pack();
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  pack.pipe(out);
  pack.on('error', (e) => out.destroy(e));
  void (async () => {
    const items = walk(upper, opts.exclude ?? new Set());
    const clamp = (d: Date): Date => (opts.epoch !== undefined && d.getTime() > opts.epoch * 1000 ? new Date(opts.epoch * 1000) : new Date(Math.floor(d.getTime() / 1000) * 1000));
    const links = new Map<string, string>();
    const entry = (h: tar.Headers, body?: Buffer | Readable): Promise<void> =>
      new Promise((resolve, reject) => {
        if (body && !Buffer.isBuffer(body)) {
          const w = pack.entry(h, (err) => (err ? reject(err) : resolve()));
          body.on('error', reject);
          body.pipe(w);
        } else pack.entry(h, body ?? (h.type === 'file' ? Buffer.alloc(0) : undefined), (err) => (err ? reject(err) : resolve()));
      });
    for (const { rel, abs, st } of items) {
      const base = { uid: st.uid, gid: st.gid, mode: st.mode & 0o7777, mtime: clamp(st.mtime), uname: '', gname: '' };
      if (isWhiteout(st)) {
        const slash = rel.lastIndexOf('/');
        const name = slash < 0 ? `.wh.${rel}` : `${rel.slice(0, slash)}/.wh.${rel.slice(slash + 1)}`;
        await entry({ ...base, name, type: 'file', size: 0, mode: 0o600 });
        continue;
      }
      if (st.isDirectory()) {
        await entry({ ...base, name: rel + '/', type: 'directory' });
        const opq = lgetxattr(abs, OPAQUE);
        if (opq && opq.toString() === 'y') await entry({ ...base, name: `${rel}/.wh..wh..opq`, type: 'file', size: 0, mode: st.mode & 0o777, mtime: new Date(0) });
      } else if (st.isSymbolicLink()) {
        await entry({ ...base, name: rel, type: 'symlink', linkname: fs.readlinkSync(abs) });
      } else if (st.isFile()) {
        const key = `${st.dev}:${st.ino}`;
        const first = st.nlink > 1 ? links.get(key) : undefined;
        if (first !== undefined) {
          await entry({ ...base, name: rel, type: 'link', linkname: first });
          continue;
        }
        if (st.nlink > 1) links.set(key, rel);
        await entry({ ...base, name: rel, type: 'file', size: st.size }, st.size > 0 ? fs.createReadStream(abs) : Buffer.alloc(0));
      } else if (st.isFIFO()) {
        await entry({ ...base, name: rel, type: 'fifo' });
      } else if (st.isCharacterDevice() || st.isBlockDevice()) {
        const major = Math.floor(st.rdev / 256) & 0xfff;
        const minor = (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00);
        await entry({ ...base, name: rel, type: st.isCharacterDevice() ? 'character-device' : 'block-device', devmajor: major, devminor: minor });
      }
      // sockets are not archived (as docker)
    }
    pack.finalize();
  })().catch((e: unknown) => {
    out.destroy(e instanceof Error ? e : new Error(String(e)));
  });
  return out;
}
