// Manifests, tags and referrers of a repository. Manifest bytes are blobs;
// a repository holds a revision link per manifest, a link per tag and, for
// manifests with a subject, a referrer link under the subject's digest.
import { isDigest, sha256, parseDigest, type Digest } from '../../common/digest.js';
import { isKind } from '../../common/errors.js';
import type { StorageDriver } from '../storage/driver.js';
import {
  referrerLinkPath,
  referrersDir,
  revisionLinkPath,
  tagLinkPath,
  tagsDir,
  repoRoot,
} from '../storage/paths.js';
import { regErr } from '../errcode.js';
import type { BlobStore } from './blobs.js';
import { parseManifest, type ParsedManifest } from './manifest-parse.js';
import { isTag } from './names.js';

export interface StoredManifest {
  digest: Digest;
  mediaType: string;
  content: Buffer;
}

export interface ReferrerDescriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface PutResult {
  digest: Digest;
  subject?: Digest;
}

async function exists(driver: StorageDriver, p: string): Promise<boolean> {
  try {
    await driver.stat(p);
    return true;
  } catch (err) {
    if (isKind(err, 'NotFound')) return false;
    throw err;
  }
}

export function checkReference(ref: string): { tag?: string; digest?: Digest } {
  if (isTag(ref)) return { tag: ref };
  if (ref.includes(':')) {
    if (isDigest(ref)) return { digest: ref };
    throw regErr('DIGEST_INVALID', `invalid digest "${ref.slice(0, 200)}"`);
  }
  throw regErr('MANIFEST_INVALID', `invalid tag "${ref.slice(0, 200)}"`);
}

export class ManifestStore {
  constructor(
    readonly driver: StorageDriver,
    readonly blobs: BlobStore,
  ) {}

  async repoExists(repo: string): Promise<boolean> {
    return exists(this.driver, repoRoot(repo));
  }

  async resolve(repo: string, ref: string): Promise<Digest> {
    // A string that is neither a tag nor digest-shaped names no manifest: a
    // read (GET, HEAD, DELETE) finds nothing, as for any missing one (the OCI
    // conformance suite asks for `.INVALID_MANIFEST_NAME` and expects 404); a
    // PUT still refuses it as a tag (checkReference).
    if (!isTag(ref) && !ref.includes(':')) throw this.unknown(repo, ref);
    const r = checkReference(ref);
    if (r.digest) {
      if (!(await exists(this.driver, revisionLinkPath(repo, r.digest)))) throw this.unknown(repo, ref);
      return r.digest;
    }
    try {
      return parseDigest((await this.driver.getContent(tagLinkPath(repo, r.tag!))).toString());
    } catch (err) {
      if (isKind(err, 'NotFound')) throw this.unknown(repo, ref);
      throw err;
    }
  }

  private unknown(repo: string, ref: string): Error {
    return regErr('MANIFEST_UNKNOWN', `manifest unknown: ${repo}:${ref}`, { name: repo, reference: ref });
  }

  async get(repo: string, ref: string): Promise<StoredManifest> {
    const digest = await this.resolve(repo, ref);
    let content: Buffer;
    try {
      content = await this.blobs.getSmall(digest);
    } catch (err) {
      if (isKind(err, 'NotFound')) throw this.unknown(repo, ref);
      throw err;
    }
    // Manifests are small: check the bytes still match their digest (bit rot, a tampered file).
    if (digest.startsWith('sha256:') && sha256(content) !== digest) {
      throw regErr('UNKNOWN', `stored manifest ${digest} does not match its digest`);
    }
    // Stored manifests were validated on the way in; only the media type is needed.
    const mediaType = parseManifest(content, undefined).mediaType;
    return { digest, mediaType, content };
  }

  async put(repo: string, ref: string, content: Buffer, contentType: string | undefined): Promise<PutResult> {
    const r = checkReference(ref);
    const digest = r.digest ? parseDigest(r.digest) : sha256(content);
    if (r.digest) {
      const actual = r.digest.startsWith('sha256:') ? sha256(content) : undefined;
      if (actual !== r.digest) throw regErr('DIGEST_INVALID', `manifest digest mismatch: ${ref} vs ${actual ?? 'unsupported algorithm'}`, { digest: ref });
    }
    const m = parseManifest(content, contentType ?? '');
    const refs = [digest, ...m.blobs.map((b) => b.digest), ...m.manifests.map((c) => c.digest)];
    // Everything this manifest names stays protected from a GC sweep until it is written (fence.ts).
    await this.blobs.fence.guard(refs, async () => {
      await this.checkReferences(repo, m);
      await this.blobs.putSmall(digest, content);
      await this.driver.putContent(revisionLinkPath(repo, digest), Buffer.from(digest));
      if (m.subject) await this.driver.putContent(referrerLinkPath(repo, m.subject.digest, digest), Buffer.from(digest));
      if (r.tag) await this.driver.putContent(tagLinkPath(repo, r.tag), Buffer.from(digest));
      // Named by a stored manifest now, the blobs are no longer a pending push's
      // (only once it is stored: a refused manifest leaves the push pending).
      for (const b of m.blobs) if (!b.urls?.length) await this.blobs.settle(repo, b.digest);
    });
    return m.subject ? { digest, subject: m.subject.digest } : { digest };
  }

  private async checkReferences(repo: string, m: ParsedManifest): Promise<void> {
    for (const b of m.blobs) {
      if (b.urls && b.urls.length > 0) continue; // foreign layers live elsewhere
      let size: number;
      try {
        size = await this.blobs.stat(repo, b.digest);
        await this.blobs.touch(b.digest);
      } catch (err) {
        if (isKind(err, 'NotFound')) throw regErr('MANIFEST_BLOB_UNKNOWN', `blob unknown to registry: ${b.digest}`, { digest: b.digest });
        throw err;
      }
      if (size !== b.size) throw regErr('MANIFEST_INVALID', `manifest invalid: ${b.digest} has size ${size}, manifest says ${b.size}`);
    }
    for (const c of m.manifests) {
      if (!(await exists(this.driver, revisionLinkPath(repo, c.digest)))) {
        throw regErr('MANIFEST_BLOB_UNKNOWN', `manifest unknown to registry: ${c.digest}`, { digest: c.digest });
      }
    }
  }

  /** Delete by digest (the manifest, its tags and its referrer link) or by tag (the tag only). */
  async delete(repo: string, ref: string): Promise<void> {
    const digest = await this.resolve(repo, ref);
    if (isTag(ref)) {
      await this.driver.delete(tagLinkPath(repo, ref).replace(/\/current\/link$/, ''));
      return;
    }
    let subject: Digest | undefined;
    try {
      subject = parseManifest(await this.blobs.getSmall(digest), undefined).subject?.digest;
    } catch {
      subject = undefined;
    }
    for (const tag of await this.tags(repo)) {
      const link = await this.driver.getContent(tagLinkPath(repo, tag)).catch(() => undefined);
      if (link?.toString() === digest) await this.driver.delete(tagLinkPath(repo, tag).replace(/\/current\/link$/, ''));
    }
    if (subject) await this.driver.delete(referrerLinkPath(repo, subject, digest).replace(/\/link$/, '')).catch(() => {});
    await this.driver.delete(revisionLinkPath(repo, digest).replace(/\/link$/, ''));
  }

  async tags(repo: string): Promise<string[]> {
    try {
      return (await this.driver.list(tagsDir(repo))).map((p) => p.slice(p.lastIndexOf('/') + 1)).sort();
    } catch (err) {
      if (isKind(err, 'NotFound')) return [];
      throw err;
    }
  }

  async referrers(repo: string, subject: Digest, artifactType?: string): Promise<ReferrerDescriptor[]> {
    const out: ReferrerDescriptor[] = [];
    let algDirs: string[];
    try {
      algDirs = await this.driver.list(referrersDir(repo, subject));
    } catch (err) {
      if (isKind(err, 'NotFound')) return out;
      throw err;
    }
    for (const algDir of algDirs) {
      const alg = algDir.slice(algDir.lastIndexOf('/') + 1);
      for (const p of await this.driver.list(algDir)) {
        const d = `${alg}:${p.slice(p.lastIndexOf('/') + 1)}`;
        if (!isDigest(d)) continue;
        let content: Buffer;
        try {
          content = await this.blobs.getSmall(d);
        } catch {
          continue; // deleted underneath us
        }
        const m = parseManifest(content, undefined);
        if (artifactType !== undefined && m.artifactType !== artifactType) continue;
        const desc: ReferrerDescriptor = { mediaType: m.mediaType, digest: d, size: content.length };
        if (m.artifactType !== undefined) desc.artifactType = m.artifactType;
        if (m.annotations) desc.annotations = m.annotations;
        out.push(desc);
      }
    }
    return out;
  }
}
