// /v2/<name>/blobs/<digest> (GET, HEAD, DELETE) and the upload endpoints
// /v2/<name>/blobs/uploads/[<id>] (POST, PATCH, PUT, GET, DELETE).
// Blob bodies are streamed in both directions; nothing holds a blob in memory.
import { isDigest, type Digest } from '../../common/digest.js';
import { isKind } from '../../common/errors.js';
import { regErr } from '../errcode.js';
import type { Registry } from '../store/registry.js';
import { isRepoName } from '../store/names.js';
import type { AppendRange } from '../store/uploads.js';
import { hasBody, send, type Ctx } from './http.js';
import type { ServerOptions } from './options.js';

function digestParam(s: string | null, what: string): Digest {
  if (s === null || s === '') throw regErr('DIGEST_INVALID', `${what} is missing`);
  if (!isDigest(s)) throw regErr('DIGEST_INVALID', `invalid digest "${s.slice(0, 200)}"`, { digest: s.slice(0, 200) });
  return s;
}

async function blobUnknown(reg: Registry, repo: string, err: unknown): Promise<never> {
  if (isKind(err, 'NotFound') && !(await reg.manifests.repoExists(repo))) {
    throw regErr('NAME_UNKNOWN', `repository name not known to registry: ${repo}`, { name: repo });
  }
  throw err;
}

/** Parse a Range header against a blob size: [start, end] inclusive, undefined for the whole blob. */
export function parseRange(header: string | undefined, size: number): [number, number] | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) throw regErr('RANGE_INVALID', `unsupported Range "${header.slice(0, 100)}"`, { size });
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) throw regErr('RANGE_INVALID', `unsatisfiable Range "${header}"`, { size });
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) throw regErr('RANGE_INVALID', `unsatisfiable Range "${header}" for ${size} bytes`, { size });
  return [start, end];
}

export async function getBlob(ctx: Ctx, reg: Registry): Promise<void> {
  const d = digestParam(ctx.param, 'digest');
  let size: number;
  try {
    size = ctx.req.method === 'HEAD' ? await reg.blobs.statForPush(ctx.repo, d) : await reg.blobs.stat(ctx.repo, d);
  } catch (err) {
    return blobUnknown(reg, ctx.repo, err);
  }
  const headers: Record<string, string | number> = {
    'Content-Type': 'application/octet-stream',
    'Docker-Content-Digest': d,
    ETag: `"${d}"`,
    'Accept-Ranges': 'bytes',
    'Cache-Control': 'max-age=31536000',
  };
  let range: [number, number] | undefined;
  try {
    range = parseRange(ctx.req.headers.range, size);
  } catch (err) {
    ctx.res.setHeader('Content-Range', `bytes */${size}`);
    throw err;
  }
  const { res } = ctx;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  if (range) {
    res.setHeader('Content-Range', `bytes ${range[0]}-${range[1]}/${size}`);
    res.setHeader('Content-Length', range[1] - range[0] + 1);
    res.statusCode = 206;
  } else {
    res.setHeader('Content-Length', size);
    res.statusCode = 200;
  }
  if (ctx.req.method === 'HEAD' || size === 0) {
    res.end();
    return;
  }
  const [start, end] = range ?? [0, size - 1];
  await reg.blobs.send(d, res, start, end - start + 1);
  res.end();
}

export async function deleteBlob(ctx: Ctx, reg: Registry, opts: ServerOptions): Promise<void> {
  if (!opts.deleteEnabled) throw regErr('UNSUPPORTED', 'deletes are disabled on this registry');
  const d = digestParam(ctx.param, 'digest');
  try {
    await reg.blobs.unlink(ctx.repo, d);
  } catch (err) {
    return blobUnknown(reg, ctx.repo, err);
  }
  send(ctx.res, 202, { 'Docker-Content-Digest': d });
}

function uploadHeaders(repo: string, id: string, size: number): Record<string, string> {
  return {
    Location: `/v2/${repo}/blobs/uploads/${id}`,
    Range: `0-${size > 0 ? size - 1 : 0}`,
    'Docker-Upload-UUID': id,
  };
}

function blobCreated(ctx: Ctx, d: Digest): void {
  send(ctx.res, 201, { Location: `/v2/${ctx.repo}/blobs/${d}`, 'Docker-Content-Digest': d });
}

/** POST /v2/<name>/blobs/uploads/: mount, monolithic upload, or start a session. */
export async function startUpload(ctx: Ctx, reg: Registry, canPullFrom: (repo: string) => Promise<boolean>): Promise<void> {
  const q = ctx.url.searchParams;
  const mount = q.get('mount');
  const from = q.get('from');
  if (mount !== null && from !== null) {
    const d = digestParam(mount, 'mount');
    // Anything that prevents a mount falls back to a normal upload session (202), as the spec allows.
    if (isRepoName(from) && (await canPullFrom(from))) {
      try {
        await reg.blobs.mount(ctx.repo, from, d);
        blobCreated(ctx, d);
        return;
      } catch (err) {
        if (!isKind(err, 'NotFound')) throw err;
      }
    }
  }
  const digest = q.get('digest');
  const id = await reg.uploads.start(ctx.repo);
  if (digest !== null) {
    const d = digestParam(digest, 'digest');
    try {
      await reg.uploads.append(ctx.repo, id, ctx.req);
      await reg.uploads.finish(ctx.repo, id, d);
    } catch (err) {
      await reg.uploads.cancel(ctx.repo, id).catch(() => {});
      throw err;
    }
    blobCreated(ctx, d);
    return;
  }
  send(ctx.res, 202, uploadHeaders(ctx.repo, id, 0));
}

/** Content-Range of a chunk: "<start>-<end>" (a "bytes " prefix is tolerated). */
function chunkRange(ctx: Ctx): AppendRange | undefined {
  const h = ctx.req.headers['content-range'];
  if (h === undefined) return undefined;
  const m = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(h.trim());
  if (!m) throw regErr('RANGE_INVALID', `invalid Content-Range "${h.slice(0, 100)}"`);
  const r = { start: Number(m[1]), end: Number(m[2]) };
  if (r.end < r.start) throw regErr('RANGE_INVALID', `invalid Content-Range "${h}"`);
  const cl = ctx.req.headers['content-length'];
  if (cl !== undefined && Number(cl) !== r.end - r.start + 1) {
    throw regErr('RANGE_INVALID', `Content-Range "${h}" does not match Content-Length ${cl}`);
  }
  return r;
}

export async function patchUpload(ctx: Ctx, reg: Registry): Promise<void> {
  reg.uploads.checkId(ctx.param);
  const range = chunkRange(ctx);
  const size = await reg.uploads.append(ctx.repo, ctx.param, ctx.req, range);
  send(ctx.res, 202, uploadHeaders(ctx.repo, ctx.param, size));
}

export async function putUpload(ctx: Ctx, reg: Registry): Promise<void> {
  reg.uploads.checkId(ctx.param);
  const d = digestParam(ctx.url.searchParams.get('digest'), 'digest query parameter');
  if (hasBody(ctx.req)) await reg.uploads.append(ctx.repo, ctx.param, ctx.req, chunkRange(ctx));
  await reg.uploads.finish(ctx.repo, ctx.param, d);
  blobCreated(ctx, d);
}

export async function uploadStatus(ctx: Ctx, reg: Registry): Promise<void> {
  const size = await reg.uploads.size(ctx.repo, ctx.param);
  send(ctx.res, 204, uploadHeaders(ctx.repo, ctx.param, size));
}

export async function cancelUpload(ctx: Ctx, reg: Registry): Promise<void> {
  await reg.uploads.cancel(ctx.repo, ctx.param);
  send(ctx.res, 204);
}
