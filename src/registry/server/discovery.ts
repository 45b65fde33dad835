// Content discovery: tags list, catalog, referrers.
import { isDigest } from '../../common/digest.js';
import { MediaType } from '../../oci/mediatypes.js';
import { regErr } from '../errcode.js';
import type { Registry } from '../store/registry.js';
import { pageSize, paginate, sendJson, type Ctx } from './http.js';

function linkHeader(path: string, n: number, last: string | undefined): Record<string, string> {
  if (last === undefined) return {};
  return { Link: `<${path}?n=${n}&last=${encodeURIComponent(last)}>; rel="next"` };
}

export async function listTags(ctx: Ctx, reg: Registry): Promise<void> {
  if (!(await reg.manifests.repoExists(ctx.repo))) {
    throw regErr('NAME_UNKNOWN', `repository name not known to registry: ${ctx.repo}`, { name: ctx.repo });
  }
  const n = pageSize(ctx.url);
  const { page, more } = paginate(await reg.manifests.tags(ctx.repo), n, ctx.url.searchParams.get('last'));
  const link = more && n !== undefined ? linkHeader(`/v2/${ctx.repo}/tags/list`, n, page[page.length - 1]) : {};
  sendJson(ctx.res, 200, { name: ctx.repo, tags: page }, 'application/json', link);
}

export async function catalog(ctx: Ctx, reg: Registry): Promise<void> {
  const n = pageSize(ctx.url);
  const { page, more } = paginate(await reg.repositories(), n, ctx.url.searchParams.get('last'));
  const link = more && n !== undefined ? linkHeader('/v2/_catalog', n, page[page.length - 1]) : {};
  sendJson(ctx.res, 200, { repositories: page }, 'application/json', link);
}

export async function referrers(ctx: Ctx, reg: Registry): Promise<void> {
  if (!isDigest(ctx.param)) throw regErr('DIGEST_INVALID', `invalid digest "${ctx.param.slice(0, 200)}"`);
  const artifactType = ctx.url.searchParams.get('artifactType') ?? undefined;
  const manifests = await reg.manifests.referrers(ctx.repo, ctx.param, artifactType);
  const headers: Record<string, string> = artifactType !== undefined ? { 'OCI-Filters-Applied': 'artifactType' } : {};
  sendJson(ctx.res, 200, { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests }, MediaType.OciIndex, headers);
}
