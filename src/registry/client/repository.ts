// One repository on a registry: manifests by tag or digest, blobs with range
// reads, and blob uploads (HEAD to skip, cross-repository mount, then
// POST + PATCH chunks + PUT; an interrupted chunk is resumed from the offset
// the registry reports).
import { PassThrough, type Readable } from 'node:stream';
import { Digester, type Digest } from '../../common/digest.js';
import { invalidArgument, notFound } from '../../common/errors.js';
import { MediaType } from '../../oci/mediatypes.js';
import { RegistryClient, RegistryError, errorFrom, readAll } from './client.js';

export const MANIFEST_ACCEPT = [MediaType.OciIndex, MediaType.DockerManifestList, MediaType.OciManifest, MediaType.DockerManifest].join(', ');

export interface FetchedManifest {
  bytes: Buffer;
  mediaType: string;
  digest: Digest;
}

export interface BlobStream {
  stream: Readable;
  /** the byte the stream starts at (0 when the registry ignored the range) */
  offset: number;
  /** whole blob size when known */
  total?: number;
}

export interface UploadOptions {
  /** a stream of the blob from `offset` on */
  open(offset: number): Promise<Readable>;
  /** bytes per PATCH; 0 = one PATCH for the whole blob */
  chunkSize?: number;
  onProgress?(sent: number): void;
  /** repositories on the same registry that may already hold the blob */
  mountFrom?: string[];
}

export type UploadResult = 'exists' | 'mounted' | 'pushed';

export class Repository {
  readonly pullScope: string;
  readonly scopes: string[];
  constructor(readonly client: RegistryClient, readonly name: string, push = false) {
    this.pullScope = `repository:${name}:pull`;
    this.scopes = [push ? `repository:${name}:pull,push` : this.pullScope];
  }

  private p(s: string): string {
    return `/v2/${this.name}/${s}`;
  }

  /** GET a manifest or index by tag or digest; a digest reference is verified. */
  async manifest(ref: string): Promise<FetchedManifest> {
    const res = await this.client.send({ method: 'GET', path: this.p(`manifests/${ref}`), scopes: this.scopes, headers: { Accept: MANIFEST_ACCEPT } });
    if (res.statusCode !== 200) throw await errorFrom(res, `GET manifest ${ref}`);
    const bytes = await readAll(res, 4 << 20);
    const d = new Digester();
    d.update(bytes);
    const digest = d.digest();
    if (ref.includes(':') && ref !== digest) throw invalidArgument(`manifest verification failed for digest ${ref}: got ${digest}`);
    let mediaType = String(res.headers['content-type'] ?? '').split(';')[0]!.trim();
    try {
      const j = JSON.parse(bytes.toString('utf8')) as { mediaType?: unknown; manifests?: unknown };
      if (typeof j.mediaType === 'string') mediaType = j.mediaType;
      else if (!mediaType || mediaType === 'application/json') mediaType = Array.isArray(j.manifests) ? MediaType.OciIndex : MediaType.OciManifest;
    } catch {
      throw invalidArgument(`manifest ${ref}: the registry sent something that is not JSON`);
    }
    return { bytes, mediaType, digest };
  }

  /** GET a blob from `offset` (a Range request); follows redirects to blob storage. */
  async blob(digest: Digest, offset = 0): Promise<BlobStream> {
    let path = this.p(`blobs/${digest}`);
    for (let hop = 0; hop < 5; hop++) {
      const headers: Record<string, string> = offset > 0 ? { Range: `bytes=${offset}-` } : {};
      // redirects go to storage that does not want the registry's token
      const res = hop === 0 ? await this.client.send({ method: 'GET', path, scopes: this.scopes, headers }) : await this.client.transport.send({ method: 'GET', url: path, headers });
      const s = res.statusCode ?? 500;
      if (s >= 300 && s < 400 && res.headers.location) {
        res.resume();
        path = new URL(res.headers.location, hop === 0 ? await this.client.baseUrl() : path).toString();
        continue;
      }
      if (s === 206) {
        const m = /bytes (\d+)-\d+\/(\d+|\*)/.exec(String(res.headers['content-range'] ?? ''));
        const start = m ? Number(m[1]) : offset;
        return { stream: res, offset: start, ...(m && m[2] !== '*' ? { total: Number(m[2]) } : {}) };
      }
      if (s === 200) {
        const len = Number(res.headers['content-length']);
        return { stream: res, offset: 0, ...(Number.isFinite(len) ? { total: len } : {}) };
      }
      if (s === 416 && offset > 0) {
        res.resume();
        return { stream: emptyStream(), offset, total: offset };
      }
      const err = await errorFrom(res, `GET blob ${digest}`);
      if (s === 404) throw notFound(`blob ${digest}: ${err.message}`);
      throw err;
    }
    throw invalidArgument(`blob ${digest}: too many redirects`);
  }

  async hasBlob(digest: Digest): Promise<boolean> {
    const res = await this.client.send({ method: 'HEAD', path: this.p(`blobs/${digest}`), scopes: this.scopes });
    res.resume();
    if (res.statusCode === 200) return true;
    if (res.statusCode === 404) return false;
    throw new RegistryError('Unavailable', `HEAD blob ${digest}: unexpected HTTP status ${res.statusCode}`, res.statusCode ?? 500);
  }

  /** Upload a blob unless the registry has it; returns what happened. */
  async pushBlob(digest: Digest, size: number, o: UploadOptions): Promise<UploadResult> {
    if (await this.hasBlob(digest)) return 'exists';
    let location: string | undefined;
    for (const from of o.mountFrom ?? []) {
      if (from === this.name) continue;
      const scopes = [...this.scopes, `repository:${from}:pull`];
      const res = await this.client.send({ method: 'POST', path: this.p(`blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`), scopes }).catch(() => undefined);
      if (!res) continue;
      res.resume();
      if (res.statusCode === 201) return 'mounted';
      if (res.statusCode === 202 && res.headers.location) {
        location = await this.absolute(res.headers.location);
        break;
      }
    }
    if (!location) {
      const res = await this.client.send({ method: 'POST', path: this.p('blobs/uploads/'), scopes: this.scopes, headers: { 'Content-Length': '0' } });
      if (res.statusCode !== 202 || !res.headers.location) throw await errorFrom(res, `POST upload ${digest}`);
      res.resume();
      location = await this.absolute(res.headers.location);
    }
    const chunk = o.chunkSize && o.chunkSize > 0 ? o.chunkSize : size;
    let offset = 0;
    let retries = 0;
    while (offset < size) {
      const end = Math.min(size, offset + chunk);
      const startAt = offset;
      try {
        const src = await o.open(startAt);
        const body = limitStream(src, end - startAt, (n) => o.onProgress?.(startAt + n));
        const res = await this.client.send({
          method: 'PATCH',
          path: location,
          scopes: this.scopes,
          headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(end - startAt), 'Content-Range': `${startAt}-${end - 1}` },
          body: () => body,
        });
        if (res.statusCode !== 202) throw await errorFrom(res, `PATCH upload ${digest}`);
        res.resume();
        if (res.headers.location) location = await this.absolute(res.headers.location);
        offset = end;
      } catch (err) {
        // ask the registry how much arrived, and go on from there
        if (++retries > 3 || (err instanceof RegistryError && err.status < 500)) throw err;
        offset = await this.uploadedSoFar(location);
      }
    }
    const sep = location.includes('?') ? '&' : '?';
    const res = await this.client.send({ method: 'PUT', path: `${location}${sep}digest=${encodeURIComponent(digest)}`, scopes: this.scopes, headers: { 'Content-Length': '0' } });
    if (res.statusCode !== 201) throw await errorFrom(res, `PUT upload ${digest}`);
    res.resume();
    return 'pushed';
  }

  private async uploadedSoFar(location: string): Promise<number> {
    const res = await this.client.send({ method: 'GET', path: location, scopes: this.scopes });
    res.resume();
    if (res.statusCode !== 204) throw new RegistryError('Unavailable', `upload status: HTTP ${res.statusCode}`, res.statusCode ?? 500);
    const m = /^0-(\d+)$/.exec(String(res.headers.range ?? ''));
    return m ? Number(m[1]) + 1 : 0;
  }

  private async absolute(loc: string): Promise<string> {
    return new URL(loc, await this.client.baseUrl()).toString();
  }

  /** PUT a manifest under a tag or digest; returns the digest the registry reports (or ours). */
  async putManifest(ref: string, mediaType: string, bytes: Buffer): Promise<Digest> {
    const res = await this.client.send({ method: 'PUT', path: this.p(`manifests/${ref}`), scopes: this.scopes, headers: { 'Content-Type': mediaType }, body: bytes });
    if (res.statusCode !== 201) throw await errorFrom(res, `PUT manifest ${ref}`);
    res.resume();
    const d = new Digester();
    d.update(bytes);
    return d.digest();
  }
}

function emptyStream(): Readable {
  const p = new PassThrough();
  p.end();
  return p;
}

/** The first `n` bytes of src, reporting progress; src is closed after. */
function limitStream(src: Readable, n: number, progress: (sent: number) => void): Readable {
  let sent = 0;
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  src.on('data', (c: Buffer) => {
    const take = Math.min(c.length, n - sent);
    const part = take === c.length ? c : c.subarray(0, take);
    sent += take;
    progress(sent);
    const ok = out.write(part);
    if (sent >= n) {
      src.destroy();
      out.end();
    } else if (!ok) {
      src.pause();
      out.once('drain', () => src.resume());
    }
  });
  src.on('end', () => out.end());
  src.on('error', (e) => out.destroy(e));
  return out;
}
