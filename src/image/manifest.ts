// Parsing and validation of manifests, indexes and image configs read from
// untrusted places (a load tar, a registry, a corrupted store). Each error names
// the document and the field that is wrong.
import { isDigest, type Digest } from '../common/digest.js';
import { invalidArgument } from '../common/errors.js';
import { MediaType, isIndexType, isManifestType } from '../oci/mediatypes.js';
import type { Descriptor, ImageConfig, Index, Manifest, Platform } from '../oci/image.js';

type Json = Record<string, unknown>;

function obj(v: unknown, what: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalidArgument(`${what}: expected a JSON object`);
  return v as Json;
}

function parseJson(data: Uint8Array | string, what: string): Json {
  let v: unknown;
  try {
    v = JSON.parse(typeof data === 'string' ? data : Buffer.from(data).toString('utf8'));
  } catch (err) {
    throw invalidArgument(`${what}: invalid JSON: ${(err as Error).message}`);
  }
  return obj(v, what);
}

function str(o: Json, key: string, what: string, optional = false): string | undefined {
  const v = o[key];
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'string') throw invalidArgument(`${what}: field "${key}" must be a string`);
  return v;
}

export function parseDescriptor(v: unknown, what: string): Descriptor {
  const o = obj(v, what);
  const mediaType = str(o, 'mediaType', what)!;
  const digest = str(o, 'digest', what)!;
  if (!isDigest(digest)) throw invalidArgument(`${what}: invalid digest "${digest}"`);
  const size = o['size'];
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw invalidArgument(`${what}: field "size" must be a non-negative integer`);
  const d: Descriptor = { mediaType, digest: digest as Digest, size };
  if (o['annotations'] !== undefined) d.annotations = obj(o['annotations'], `${what}.annotations`) as Record<string, string>;
  if (o['platform'] !== undefined) d.platform = parsePlatform(o['platform'], `${what}.platform`);
  if (typeof o['artifactType'] === 'string') d.artifactType = o['artifactType'];
  if (Array.isArray(o['urls'])) d.urls = o['urls'].filter((u): u is string => typeof u === 'string');
  return d;
}

function parsePlatform(v: unknown, what: string): Platform {
  const o = obj(v, what);
  const p: Platform = { architecture: str(o, 'architecture', what)!, os: str(o, 'os', what)! };
  const variant = str(o, 'variant', what, true);
  if (variant) p.variant = variant;
  const osv = str(o, 'os.version', what, true);
  if (osv) p['os.version'] = osv;
  return p;
}

export function parseManifest(data: Uint8Array | string, what = 'manifest'): Manifest {
  const o = parseJson(data, what);
  if (o['schemaVersion'] !== 2) throw invalidArgument(`${what}: unsupported schemaVersion ${JSON.stringify(o['schemaVersion'])} (only 2)`);
  const mt = str(o, 'mediaType', what, true);
  if (mt !== undefined && !isManifestType(mt)) throw invalidArgument(`${what}: mediaType "${mt}" is not an image manifest`);
  if (!Array.isArray(o['layers'])) throw invalidArgument(`${what}: field "layers" must be an array`);
  const m: Manifest = {
    schemaVersion: 2,
    config: parseDescriptor(o['config'], `${what}.config`),
    layers: o['layers'].map((l, i) => parseDescriptor(l, `${what}.layers[${i}]`)),
  };
  if (mt) m.mediaType = mt;
  if (o['subject'] !== undefined) m.subject = parseDescriptor(o['subject'], `${what}.subject`);
  if (o['annotations'] !== undefined) m.annotations = obj(o['annotations'], `${what}.annotations`) as Record<string, string>;
  if (typeof o['artifactType'] === 'string') m.artifactType = o['artifactType'];
  return m;
}

export function parseIndex(data: Uint8Array | string, what = 'index'): Index {
  const o = parseJson(data, what);
  if (o['schemaVersion'] !== 2) throw invalidArgument(`${what}: unsupported schemaVersion ${JSON.stringify(o['schemaVersion'])} (only 2)`);
  const mt = str(o, 'mediaType', what, true);
  if (mt !== undefined && !isIndexType(mt)) throw invalidArgument(`${what}: mediaType "${mt}" is not an index`);
  if (!Array.isArray(o['manifests'])) throw invalidArgument(`${what}: field "manifests" must be an array`);
  const idx: Index = { schemaVersion: 2, manifests: o['manifests'].map((d, i) => parseDescriptor(d, `${what}.manifests[${i}]`)) };
  if (mt) idx.mediaType = mt;
  if (o['annotations'] !== undefined) idx.annotations = obj(o['annotations'], `${what}.annotations`) as Record<string, string>;
  return idx;
}

/** Which of the two a document is, from its mediaType or (OCI allows omitting it) its shape. */
export function documentKind(data: Uint8Array | string): 'manifest' | 'index' | 'unknown' {
  let o: Json;
  try {
    o = parseJson(data, 'document');
  } catch {
    return 'unknown';
  }
  const mt = o['mediaType'];
  if (typeof mt === 'string') return isManifestType(mt) ? 'manifest' : isIndexType(mt) ? 'index' : 'unknown';
  if (Array.isArray(o['manifests'])) return 'index';
  if (o['config'] !== undefined && Array.isArray(o['layers'])) return 'manifest';
  return 'unknown';
}

export function parseImageConfig(data: Uint8Array | string, what = 'image config'): ImageConfig {
  const o = parseJson(data, what);
  const rootfs = obj(o['rootfs'], `${what}.rootfs`);
  if (rootfs['type'] !== 'layers') throw invalidArgument(`${what}: rootfs.type must be "layers"`);
  const ids = rootfs['diff_ids'];
  if (!Array.isArray(ids)) throw invalidArgument(`${what}: rootfs.diff_ids must be an array`);
  ids.forEach((d, i) => {
    if (typeof d !== 'string' || !isDigest(d)) throw invalidArgument(`${what}: rootfs.diff_ids[${i}] is not a valid digest`);
  });
  const architecture = typeof o['architecture'] === 'string' ? o['architecture'] : '';
  const os = typeof o['os'] === 'string' ? o['os'] : '';
  if (!os) throw invalidArgument(`${what}: field "os" is required`);
  if (o['config'] !== undefined && o['config'] !== null) obj(o['config'], `${what}.config`);
  if (o['history'] !== undefined && !Array.isArray(o['history'])) throw invalidArgument(`${what}: history must be an array`);
  return { ...(o as object), architecture, os } as ImageConfig;
}

/** Docker schema2 for images whose layers use Docker media types, OCI otherwise. */
export function manifestMediaTypeFor(layerTypes: readonly string[]): string {
  return layerTypes.length > 0 && layerTypes.every((t) => t.startsWith('application/vnd.docker.')) ? MediaType.DockerManifest : MediaType.OciManifest;
}

/** Node's arch names to OCI's. */
export function ociArch(nodeArch: string = process.arch): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[nodeArch] ?? nodeArch;
}

export function platformMatches(p: Platform | undefined, want: { os: string; architecture: string; variant?: string }): boolean {
  if (!p) return false;
  return p.os === want.os && p.architecture === want.architecture && (want.variant === undefined || p.variant === want.variant);
}
