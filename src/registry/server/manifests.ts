// /v2/<name>/manifests/<reference>: GET, HEAD, PUT, DELETE.
import { regErr } from '../errcode.js';
import type { Registry } from '../store/registry.js';
import { checkReference } from '../store/manifests.js';
import { isTag } from '../store/names.js';
import { readBody, send, type Ctx } from './http.js';
import type { ServerOptions } from './options.js';

/**
 * Media-type negotiation: a client that lists types it accepts and none of
 * them (nor a wildcard) matches the stored manifest gets MANIFEST_UNKNOWN,
 * as from distribution; no Accept header means anything goes.
 */
export function acceptable(accept: string | string[] | undefined, mediaType: string): boolean {
  if (accept === undefined) return true;
  const list = (Array.isArray(accept) ? accept.join(',') : accept)
    .split(',')
    .map((s) => s.split(';')[0]!.trim().toLowerCase())
    .filter((s) => s !== '');
  if (list.length === 0) return true;
  const mt = mediaType.toLowerCase();
  return list.some((a) => a === mt || a === '*/*' || a === 'application/*' || a === 'application/json');
}

async function notFoundOrNoRepo(reg: Registry, repo: string, err: unknown): Promise<never> {
  if (!(await reg.manifests.repoExists(repo))) throw regErr('NAME_UNKNOWN', `repository name not known to registry: ${repo}`, { name: repo });
  throw err;
}

export async function getManifest(ctx: Ctx, reg: Registry): Promise<void> {
  let m;
  try {
    m = await reg.manifests.get(ctx.repo, ctx.param);
  } catch (err) {
    return notFoundOrNoRepo(reg, ctx.repo, err);
  }
  if (!acceptable(ctx.req.headers.accept, m.mediaType)) {
    throw regErr('MANIFEST_UNKNOWN', `manifest ${m.digest} is ${m.mediaType}, which the client does not accept`, {
      mediaType: m.mediaType,
    });
  }
  send(ctx.res, 200, { 'Content-Type': m.mediaType, 'Docker-Content-Digest': m.digest, ETag: `"${m.digest}"` }, m.content);
}

export async function putManifest(ctx: Ctx, reg: Registry, opts: ServerOptions): Promise<void> {
  const ref = checkReference(ctx.param);
  const body = await readBody(ctx.req, opts.manifestMaxBytes);
  const ct = ctx.req.headers['content-type'];
  const result = await reg.manifests.put(ctx.repo, ctx.param, body, ct);
  if (ref.digest) {
    for (const tag of ctx.url.searchParams.getAll('tag')) {
      if (!isTag(tag)) throw regErr('MANIFEST_INVALID', `invalid tag "${tag.slice(0, 200)}"`);
      await reg.manifests.put(ctx.repo, tag, body, ct);
    }
  }
  const headers: Record<string, string> = {
    Location: `/v2/${ctx.repo}/manifests/${result.digest}`,
    'Docker-Content-Digest': result.digest,
  };
  if (result.subject) headers['OCI-Subject'] = result.subject;
  send(ctx.res, 201, headers);
}

export async function deleteManifest(ctx: Ctx, reg: Registry, opts: ServerOptions): Promise<void> {
  if (!opts.deleteEnabled) throw regErr('UNSUPPORTED', 'deletes are disabled on this registry');
  try {
    await reg.manifests.delete(ctx.repo, ctx.param);
  } catch (err) {
    return notFoundOrNoRepo(reg, ctx.repo, err);
  }
  send(ctx.res, 202);
}
