// Parsing and checking a pushed manifest: the body crosses the process
// boundary, so every field the registry relies on is validated here.
import { isDigest, type Digest } from '../../common/digest.js';
import { MediaType } from '../../oci/mediatypes.js';
import { regErr } from '../errcode.js';

export const KNOWN_MANIFEST_TYPES: readonly string[] = [
  MediaType.OciManifest,
  MediaType.OciIndex,
  MediaType.DockerManifest,
  MediaType.DockerManifestList,
];

export interface ParsedDescriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  artifactType?: string;
  urls?: string[];
}

export interface ParsedManifest {
  mediaType: string;
  isIndex: boolean;
  /** config and layers (image manifests) */
  blobs: ParsedDescriptor[];
  /** child manifests (indexes) */
  manifests: ParsedDescriptor[];
  subject?: ParsedDescriptor;
  /** what the referrers API reports */
  artifactType?: string;
  annotations?: Record<string, string>;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function invalid(why: string): Error {
  return regErr('MANIFEST_INVALID', `manifest invalid: ${why}`);
}

function descriptor(v: unknown, where: string): ParsedDescriptor {
  if (!isObject(v)) throw invalid(`${where} is not an object`);
  const { mediaType, digest, size, artifactType, urls } = v;
  if (typeof mediaType !== 'string' || mediaType === '') throw invalid(`${where}.mediaType is missing`);
  if (typeof digest !== 'string' || !isDigest(digest)) throw invalid(`${where}.digest is not a valid digest`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw invalid(`${where}.size is not a size`);
  const d: ParsedDescriptor = { mediaType, digest, size };
  if (artifactType !== undefined) {
    if (typeof artifactType !== 'string') throw invalid(`${where}.artifactType is not a string`);
    d.artifactType = artifactType;
  }
  if (urls !== undefined) {
    if (!Array.isArray(urls) || !urls.every((u) => typeof u === 'string')) throw invalid(`${where}.urls is not a list of strings`);
    d.urls = urls as string[];
  }
  return d;
}

function annotationsOf(v: unknown): Record<string, string> | undefined {
  if (v === undefined) return undefined;
  if (!isObject(v) || !Object.values(v).every((x) => typeof x === 'string')) throw invalid('annotations must map strings to strings');
  return v as Record<string, string>;
}

/**
 * Parse a manifest body. `contentType` is a PUT's Content-Type header ('' when
 * absent), which decides the kind as in distribution: it must name a manifest
 * type, and a mediaType in the body must agree with it (a body without one is
 * allowed, as the image spec makes the field optional). `undefined` reads a
 * stored manifest, checked on its way in; only its body is left to go by.
 */
export function parseManifest(body: Buffer, contentType: string | undefined): ParsedManifest {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    throw invalid('not JSON');
  }
  if (!isObject(doc)) throw invalid('not a JSON object');
  if (doc.schemaVersion !== 2) throw invalid('schemaVersion must be 2');
  if (doc.mediaType !== undefined && typeof doc.mediaType !== 'string') throw invalid('mediaType is not a string');
  const bodyType = doc.mediaType as string | undefined;
  let mt: string;
  if (contentType !== undefined) {
    const ct = contentType.split(';')[0]!.trim().toLowerCase();
    // distribution answers the same for a type it has no schema for
    if (!KNOWN_MANIFEST_TYPES.includes(ct)) throw invalid(`unsupported manifest media type${ct === '' ? ' (no Content-Type)' : ` ${ct.slice(0, 200)}`}`);
    if (bodyType !== undefined && bodyType !== ct) throw invalid(`Content-Type ${ct} differs from mediaType ${bodyType.slice(0, 200)}`);
    mt = ct;
  } else {
    mt = bodyType ?? (Array.isArray(doc.manifests) ? MediaType.OciIndex : MediaType.OciManifest);
  }
  if (!KNOWN_MANIFEST_TYPES.includes(mt)) throw invalid(`unsupported media type ${mt}`);
  const isIndex = mt === MediaType.OciIndex || mt === MediaType.DockerManifestList;
  const m: ParsedManifest = { mediaType: mt, isIndex, blobs: [], manifests: [] };
  if (isIndex) {
    if (!Array.isArray(doc.manifests)) throw invalid('manifests must be a list');
    m.manifests = doc.manifests.map((d, i) => descriptor(d, `manifests[${i}]`));
  } else {
    const config = descriptor(doc.config, 'config');
    if (!Array.isArray(doc.layers)) throw invalid('layers must be a list');
    m.blobs = [config, ...doc.layers.map((d, i) => descriptor(d, `layers[${i}]`))];
  }
  if (doc.subject !== undefined) m.subject = descriptor(doc.subject, 'subject');
  if (doc.artifactType !== undefined) {
    if (typeof doc.artifactType !== 'string') throw invalid('artifactType is not a string');
    m.artifactType = doc.artifactType;
  } else if (!isIndex) {
    // distribution-spec: without artifactType, the referrers API reports the config's media type
    m.artifactType = m.blobs[0]!.mediaType;
  }
  const ann = annotationsOf(doc.annotations);
  if (ann) m.annotations = ann;
  return m;
}
