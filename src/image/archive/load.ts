// `docker load`: reads a tar made by `docker save` (docker ≤24's layout with
// <id>/layer.tar files, docker 25+'s OCI layout with manifest.json, berth's
// own) or a plain OCI image layout, possibly gzip-compressed. Every file goes
// straight into the content store as it streams past (blobs/sha256/* are
// verified against their names), small JSON files are kept in memory, and only
// after the tar has ended are the images resolved, unpacked and named.
import * as path from 'node:path';
import { createGunzip } from 'node:zlib';
import { PassThrough, type Readable } from 'node:stream';
import tar from 'tar-stream';
import { isDigest, type Digest } from '../../common/digest.js';
import { BerthError, invalidArgument, messageOf, wrap } from '../../common/errors.js';
import { formatReference, parseReference, type Reference } from '../../common/reference.js';
import { readStream } from '../../common/streams.js';
import { MediaType, isIndexType, isManifestType } from '../../oci/mediatypes.js';
import { Annotations, type Descriptor, type ImageConfig, type Manifest } from '../../oci/image.js';
import { documentKind, ociArch, parseImageConfig, parseIndex, parseManifest } from '../manifest.js';
import type { ImageService } from '../service.js';
import { LayerSpeculator, looksLikeLayer } from './speculate.js';

const SMALL_FILE_MAX = 8 << 20;

interface ArchiveContents {
  /** archive path → digest of a file that went to the content store */
  files: Map<string, Digest>;
  /** archive path → bytes of small metadata files */
  small: Map<string, Buffer>;
  /** archive path → archive path a symlink points at */
  links: Map<string, string>;
}

export interface LoadedImage {
  id: Digest;
  names: string[];
  /** images that lost a name to this load: "busybox:latest" → old image ID */
  renamed: { name: string; from: Digest }[];
}

async function sniffGzip(src: Readable): Promise<Readable> {
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  let first = true;
  const it = src[Symbol.asyncIterator]();
  const head = await it.next();
  if (head.done) throw invalidArgument('invalid archive: the input is empty');
  const chunk = head.value as Buffer;
  const gz = first && chunk.length >= 2 && chunk[0] === 0x1f && chunk[1] === 0x8b;
  first = false;
  (async () => {
    out.write(chunk);
    for (;;) {
      const n = await it.next();
      if (n.done) break;
      if (!out.write(n.value as Buffer)) await new Promise((r) => out.once('drain', r));
    }
    out.end();
  })().catch((e: Error) => out.destroy(e));
  if (!gz) return out;
  const gunzip = createGunzip();
  out.on('error', (e) => gunzip.destroy(e));
  return out.pipe(gunzip);
}

function clean(name: string): string {
  return path.posix.normalize(name.replace(/^\.?\/+/, '')).replace(/\/$/, '');
}

/** Pass a stream through, keeping its first `n` bytes. */
function tapHead(src: Readable, n: number): { stream: Readable; head: () => Buffer } {
  const parts: Buffer[] = [];
  let have = 0;
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  src.on('data', (c: Buffer) => {
    if (have < n) {
      parts.push(c.subarray(0, n - have));
      have += Math.min(c.length, n - have);
    }
  });
  src.on('error', (e) => out.destroy(e));
  src.pipe(out);
  return { stream: out, head: () => Buffer.concat(parts) };
}

async function readArchive(svc: ImageService, input: Readable, onBlob: (d: Digest, head: Buffer) => void): Promise<ArchiveContents> {
  const c: ArchiveContents = { files: new Map(), small: new Map(), links: new Map() };
  const extract = tar.extract();
  const src = await sniffGzip(input);
  src.on('error', (e) => extract.destroy(e));
  src.pipe(extract);
  try {
    for await (const entry of extract) {
      const h = entry.header;
      const name = clean(h.name);
      if (name.startsWith('..')) throw invalidArgument(`invalid archive: entry "${h.name}" points outside the archive`);
      if (h.type === 'symlink' || h.type === 'link') {
        c.links.set(name, h.type === 'symlink' ? clean(path.posix.join(path.posix.dirname(name), h.linkname ?? '')) : clean(h.linkname ?? ''));
        entry.resume();
        continue;
      }
      if (h.type !== 'file' && h.type !== 'contiguous-file') {
        entry.resume();
        continue;
      }
      const blob = /^blobs\/([a-z0-9]+)\/([a-f0-9]+)$/.exec(name);
      if (blob) {
        const expected = `${blob[1]}:${blob[2]}`;
        if (!isDigest(expected)) throw invalidArgument(`invalid archive: "${name}" is not a valid blob name`);
        const tap = tapHead(entry, 512);
        const r = await svc.content.ingest(tap.stream, { expected, expectedSize: h.size }).catch((e: unknown) => {
          throw wrap(e, `invalid archive: ${name}`);
        });
        c.files.set(name, r.digest);
        onBlob(r.digest, tap.head());
      } else if ((name.endsWith('.json') || ['oci-layout', 'repositories', 'json'].includes(path.posix.basename(name))) && (h.size ?? 0) <= SMALL_FILE_MAX) {
        c.small.set(name, await readStream(entry, SMALL_FILE_MAX));
      } else if (name.endsWith('.tar') || name.endsWith('.tar.gz')) {
        const tap = tapHead(entry, 512);
        const r = await svc.content.ingest(tap.stream, { expectedSize: h.size });
        c.files.set(name, r.digest);
        onBlob(r.digest, tap.head());
      } else {
        entry.resume();
      }
    }
  } catch (err) {
    src.destroy();
    if (err instanceof BerthError) throw err;
    throw invalidArgument(`invalid archive: ${messageOf(err)}`);
  }
  return c;
}

function follow(c: ArchiveContents, p: string): string {
  for (let i = 0; i < 16 && c.links.has(p); i++) p = c.links.get(p)!;
  return p;
}

async function fileDigest(svc: ImageService, c: ArchiveContents, p: string, what: string): Promise<Digest> {
  const name = follow(c, clean(p));
  const d = c.files.get(name);
  if (d) return d;
  const buf = c.small.get(name);
  if (buf) return (await svc.content.put(buf)).digest;
  throw invalidArgument(`invalid archive: ${what} "${p}" is not in the archive`);
}

async function layerDescriptor(svc: ImageService, digest: Digest, docker: boolean): Promise<Descriptor> {
  const info = await svc.content.info(digest);
  const r = await svc.content.reader(digest, { start: 0, end: 3 });
  const head = await readStream(r);
  const gz = head[0] === 0x1f && head[1] === 0x8b;
  const zst = head.length === 4 && head.readUInt32LE(0) === 0xfd2fb528;
  const mediaType = docker
    ? gz ? MediaType.DockerLayerGzip : MediaType.DockerLayer
    : gz ? MediaType.OciLayerGzip : zst ? MediaType.OciLayerZstd : MediaType.OciLayer;
  return { mediaType, digest, size: info.size };
}

/** OCI manifests reachable from index.json, with the names their descriptors carry. */
async function ociManifests(svc: ImageService, c: ArchiveContents): Promise<{ desc: Descriptor; manifest: Manifest; names: string[] }[]> {
  const raw = c.small.get('index.json');
  if (!raw) return [];
  const out: { desc: Descriptor; manifest: Manifest; names: string[] }[] = [];
  const walk = async (descs: Descriptor[], inherited: string[], depth: number): Promise<void> => {
    if (depth > 4) throw invalidArgument('invalid archive: index.json nests too deep');
    for (const d of descs) {
      const names = [...inherited];
      const full = d.annotations?.[Annotations.ContainerdImageName] ?? d.annotations?.[Annotations.RefName];
      if (full) {
        try {
          const r = parseReference(full);
          if (r.tag || r.digest) names.push(full);
        } catch {
          /* a bare tag such as "latest" names nothing by itself */
        }
      }
      if (!(await svc.content.exists(d.digest))) continue;
      const data = await svc.content.readBlob(d.digest);
      const kind = isIndexType(d.mediaType) ? 'index' : isManifestType(d.mediaType) ? 'manifest' : documentKind(data);
      if (kind === 'index') {
        const idx = parseIndex(data, `index ${d.digest}`);
        const arch = ociArch();
        const pick = idx.manifests.filter((m) => !m.platform || (m.platform.os === 'linux' && m.platform.architecture === arch));
        await walk(pick.length ? pick : idx.manifests, names, depth + 1);
      } else if (kind === 'manifest') {
        out.push({ desc: d, manifest: parseManifest(data, `manifest ${d.digest}`), names });
      }
    }
  };
  await walk(parseIndex(raw, 'index.json').manifests, [], 0);
  return out;
}

export async function loadArchive(svc: ImageService, input: Readable, onLoaded?: (img: LoadedImage) => void): Promise<LoadedImage[]> {
  try {
    return await loadUnderLease(svc, input, onLoaded);
  } catch (err) {
    // A failed load must leave the store as it was: drop the blobs and layers
    // it brought in that no image references.
    await svc.gc().catch(() => {});
    throw err;
  }
}

async function loadUnderLease(svc: ImageService, input: Readable, onLoaded?: (img: LoadedImage) => void): Promise<LoadedImage[]> {
  return svc.gcLock.shared(async () => {
    const spec = new LayerSpeculator(svc);
    try {
      return await loadWith(svc, spec, input, onLoaded);
    } finally {
      await spec.finish();
    }
  });
}

async function loadWith(svc: ImageService, spec: LayerSpeculator, input: Readable, onLoaded?: (img: LoadedImage) => void): Promise<LoadedImage[]> {
  {
    const c = await readArchive(svc, input, (d, head) => {
      if (looksLikeLayer(head)) spec.start(d);
    });
    const oci = await ociManifests(svc, c);
    const plans: { target: Descriptor; manifest: Manifest; config: ImageConfig; names: Reference[] }[] = [];
    const mj = c.small.get('manifest.json');
    if (mj) {
      let entries: unknown;
      try {
        entries = JSON.parse(mj.toString('utf8'));
      } catch (err) {
        throw invalidArgument(`invalid archive: manifest.json: ${messageOf(err)}`);
      }
      if (!Array.isArray(entries)) throw invalidArgument('invalid archive: manifest.json must be a JSON array');
      for (const [i, e] of entries.entries()) {
        const what = `manifest.json[${i}]`;
        if (typeof e !== 'object' || e === null || typeof e.Config !== 'string' || !Array.isArray(e.Layers)) {
          throw invalidArgument(`invalid archive: ${what} needs "Config" and "Layers"`);
        }
        const configDigest = await fileDigest(svc, c, e.Config, `${what} config`);
        const config = parseImageConfig(await svc.content.readBlob(configDigest), `${what} config`);
        const tags: Reference[] = (Array.isArray(e.RepoTags) ? e.RepoTags : []).map((t: unknown) => parseReference(String(t)));
        const fromIndex = oci.find((o) => o.manifest.config.digest === configDigest);
        if (fromIndex) {
          plans.push({ target: { mediaType: fromIndex.desc.mediaType, digest: fromIndex.desc.digest, size: fromIndex.desc.size }, manifest: fromIndex.manifest, config, names: tags });
          continue;
        }
        const layers: Descriptor[] = [];
        for (const [j, l] of (e.Layers as unknown[]).entries()) layers.push(await layerDescriptor(svc, await fileDigest(svc, c, String(l), `${what} layer ${j}`), true));
        const cinfo = await svc.content.info(configDigest);
        const manifest: Manifest = {
          schemaVersion: 2,
          mediaType: MediaType.DockerManifest,
          config: { mediaType: MediaType.DockerConfig, digest: configDigest, size: cinfo.size },
          layers,
        };
        const m = await svc.content.put(Buffer.from(JSON.stringify(manifest)));
        plans.push({ target: { mediaType: MediaType.DockerManifest, digest: m.digest, size: m.size }, manifest, config, names: tags });
      }
    } else if (oci.length > 0) {
      for (const o of oci) {
        const config = parseImageConfig(await svc.content.readBlob(o.manifest.config.digest), `manifest ${o.desc.digest} config`);
        plans.push({ target: { mediaType: o.desc.mediaType, digest: o.desc.digest, size: o.desc.size }, manifest: o.manifest, config, names: o.names.map((n) => parseReference(n)) });
      }
    } else {
      throw invalidArgument('invalid archive: found neither manifest.json nor an OCI index.json with image manifests');
    }
    const loaded: LoadedImage[] = [];
    for (const p of plans) {
      for (const l of p.manifest.layers) {
        if (!(await svc.content.exists(l.digest))) throw invalidArgument(`invalid archive: layer ${l.digest} is missing`);
      }
      await svc.unpack(p.config, p.manifest.layers, (d, parent) => spec.claim(d, parent)).catch((e: unknown) => {
        throw wrap(e, 'invalid archive');
      });
      const names = p.names.map((n) => (n.tag === undefined && n.digest === undefined ? { ...n, tag: 'latest' } : n));
      const before = names.map((n) => svc.meta.resolveName(svc.nameKey(n)));
      const { id } = await svc.commitImage(p.target, p.config, names);
      const img: LoadedImage = {
        id,
        names: names.map((n) => formatReference(n, true)),
        renamed: names.flatMap((n, i) => (before[i] && before[i] !== id ? [{ name: formatReference(n, true), from: before[i]! }] : [])),
      };
      loaded.push(img);
      onLoaded?.(img);
    }
    return loaded;
  }
}
