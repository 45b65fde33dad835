// The merged file tree of an image, read from a `save` archive (berth's or
// docker's): every layer applied in order, whiteouts honoured, with path,
// type, mode, owner, content hash and link target per entry.
import tar from 'tar-stream';
import { gunzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';

export interface TreeEntry {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  sha?: string;
  link?: string;
  size: number;
}

async function entries(buf: Buffer): Promise<{ h: tar.Headers; data: Buffer }[]> {
  const out: { h: tar.Headers; data: Buffer }[] = [];
  const ex = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (h, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        out.push({ h, data: Buffer.concat(chunks) });
        next();
      });
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  ex.end(buf);
  await done;
  return out;
}

/** All files of a saved archive, by name. */
export async function archiveFiles(archive: Buffer): Promise<Map<string, Buffer>> {
  const m = new Map<string, Buffer>();
  for (const e of await entries(archive)) m.set(e.h.name, e.data);
  return m;
}

export function layerBytes(blob: Buffer): Buffer {
  return blob.length >= 2 && blob[0] === 0x1f && blob[1] === 0x8b ? gunzipSync(blob) : blob;
}

/** The layers (uncompressed) and config of the single image in a save archive. */
export async function savedImage(archive: Buffer): Promise<{ config: Record<string, unknown>; layers: Buffer[] }> {
  const files = await archiveFiles(archive);
  const manifest = JSON.parse(files.get('manifest.json')!.toString()) as { Config: string; Layers: string[] }[];
  const m = manifest[0]!;
  return { config: JSON.parse(files.get(m.Config)!.toString()) as Record<string, unknown>, layers: m.Layers.map((l) => layerBytes(files.get(l)!)) };
}

export async function mergedTree(layers: Buffer[]): Promise<Map<string, TreeEntry>> {
  const tree = new Map<string, TreeEntry>();
  for (const layer of layers) {
    for (const { h, data } of await entries(layer)) {
      const name = h.name.replace(/^\.\//, '').replace(/\/$/, '');
      if (!name || name === '.') continue;
      const base = name.split('/').pop()!;
      const dir = name.slice(0, name.length - base.length).replace(/\/$/, '');
      if (base === '.wh..wh..opq') {
        for (const k of [...tree.keys()]) if (k.startsWith(dir + '/')) tree.delete(k);
        continue;
      }
      if (base.startsWith('.wh.')) {
        const gone = (dir ? dir + '/' : '') + base.slice(4);
        for (const k of [...tree.keys()]) if (k === gone || k.startsWith(gone + '/')) tree.delete(k);
        continue;
      }
      tree.set(name, {
        type: h.type ?? 'file',
        mode: (h.mode ?? 0) & 0o7777,
        uid: h.uid ?? 0,
        gid: h.gid ?? 0,
        size: data.length,
        ...(h.type === 'file' ? { sha: createHash('sha256').update(data).digest('hex') } : {}),
        ...(h.linkname ? { link: h.linkname } : {}),
      });
    }
  }
  return tree;
}
