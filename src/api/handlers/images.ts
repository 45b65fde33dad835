// /images/*: list, inspect, history, tag, delete, import (create?fromSrc),
// save (get) and load, in the Engine API's shapes.
import { invalidArgument, notFound, messageOf, BerthError } from '../../common/errors.js';
import { parseReference, formatReference, withDefaultTag } from '../../common/reference.js';
import { importImage, loadArchive, planSave, saveImages, type Image } from '../../daemon/index.js';
import { boolParam, parseFilters, sendJSON, versionNumber, type Ctx, type Router } from '../router.js';
import { sendError } from '../errors.js';
import { pullHandler } from './distribution.js';
import type { HistoryEntry } from '../../oci/image.js';

const V1_44 = versionNumber('1.44');
const V1_45 = versionNumber('1.45');

function createdSeconds(img: Image): number {
  const t = img.config.created ? Date.parse(img.config.created) : NaN;
  return Number.isNaN(t) ? 0 : Math.floor(t / 1000);
}

export function imageSummary(img: Image, version: number): Record<string, unknown> {
  const s: Record<string, unknown> = {
    Containers: -1,
    Created: createdSeconds(img),
    Id: img.record.id,
    Labels: img.config.config?.Labels ?? null,
    ParentId: '',
    // API < 1.44 marks an untagged image with "<none>" placeholders; later versions send empty lists.
    RepoDigests: img.repoDigests.length ? img.repoDigests : img.repoTags.length || version >= V1_44 ? [] : ['<none>@<none>'],
    RepoTags: img.repoTags.length ? img.repoTags : version < V1_44 ? ['<none>:<none>'] : [],
    SharedSize: -1,
    Size: img.record.size,
  };
  if (version < V1_44) s['VirtualSize'] = img.record.size;
  return s;
}

function inspectImage(img: Image, version: number, graph: Record<string, string>): Record<string, unknown> {
  const c = img.config;
  const out: Record<string, unknown> = {
    Id: img.record.id,
    RepoTags: img.repoTags,
    RepoDigests: img.repoDigests,
    Parent: '',
    Comment: c.comment ?? (c.history?.at(-1)?.comment ?? ''),
    Created: c.created ?? '',
  };
  if (version < V1_45) {
    out['Container'] = c.container ?? '';
    out['ContainerConfig'] = c.container_config ?? {};
  }
  Object.assign(out, {
    DockerVersion: c.docker_version ?? '',
    Author: c.author ?? '',
    Config: c.config ?? null,
    Architecture: c.architecture,
    ...(c.variant ? { Variant: c.variant } : {}),
    Os: c.os,
    Size: img.record.size,
  });
  if (version < V1_44) out['VirtualSize'] = img.record.size;
  Object.assign(out, {
    GraphDriver: { Data: graph, Name: 'overlay2' },
    RootFS: { Type: 'layers', Layers: c.rootfs.diff_ids },
    Metadata: { LastTagTime: img.record.lastTagTime?.toISOString() ?? '0001-01-01T00:00:00Z' },
  });
  return out;
}

async function graphDriverData(ctx: Ctx, img: Image): Promise<Record<string, string>> {
  const top = img.chainIds.at(-1);
  if (!top) return {};
  try {
    const mounts = await ctx.daemon.images.snapshotter.mounts(top);
    const m = mounts[0];
    if (!m) return {};
    if (m.type === 'bind') return { MergedDir: m.source, UpperDir: m.source };
    const lower = m.options.find((o) => o.startsWith('lowerdir='))?.slice(9);
    return lower ? { LowerDir: lower } : {};
  } catch {
    return {};
  }
}

function listFilter(ctx: Ctx): (img: Image) => boolean {
  const f = parseFilters(ctx.query);
  for (const k of f.keys()) if (!['dangling', 'reference', 'label', 'before', 'since'].includes(k)) throw invalidArgument(`invalid filter '${k}'`);
  const dangling = f.get('dangling');
  const refs = f.get('reference') ?? [];
  const labels = f.get('label') ?? [];
  const toRe = (glob: string) => new RegExp('^' + glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]') + '$');
  return (img) => {
    if (dangling?.length) {
      const want = dangling[0] === 'true' || dangling[0] === '1';
      if ((img.repoTags.length === 0) !== want) return false;
    }
    if (refs.length && !refs.some((r) => img.repoTags.some((t) => toRe(r).test(t) || toRe(r).test(t.slice(0, t.lastIndexOf(':')))))) return false;
    for (const l of labels) {
      const [k, v] = l.split('=', 2) as [string, string | undefined];
      const have = img.config.config?.Labels?.[k];
      if (have === undefined || (v !== undefined && have !== v)) return false;
    }
    return true;
  };
}

async function streamJSON(ctx: Ctx): Promise<(obj: unknown) => void> {
  if (!ctx.res.headersSent) ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
  return (obj) => ctx.res.write(JSON.stringify(obj) + '\r\n');
}

export function imageRoutes(r: Router): void {
  r.add('GET', '/images/json', async (ctx) => {
    const keep = listFilter(ctx);
    const all = boolParam(ctx.query, 'all');
    void all; // berth has no intermediate images: all and default list the same
    const images = (await ctx.daemon.images.list()).filter(keep);
    images.sort((a, b) => createdSeconds(b) - createdSeconds(a));
    sendJSON(ctx.res, 200, images.map((i) => imageSummary(i, ctx.version)));
  });

  r.add('POST', '/images/create', async (ctx) => {
    const q = ctx.query;
    const fromSrc = q.get('fromSrc');
    if (fromSrc === null) {
      if (q.get('fromImage')) return pullHandler(ctx);
      throw invalidArgument('either fromSrc or fromImage must be given');
    }
    if (fromSrc !== '-') throw invalidArgument(`importing from a URL is not supported: use "-" and send the tarball as the body`);
    const platform = q.get('platform');
    let plat;
    if (platform) {
      const [os, architecture, variant] = platform.split('/');
      if (!os || !architecture) throw invalidArgument(`invalid platform "${platform}": expected os/arch[/variant]`);
      plat = { os, architecture, ...(variant ? { variant } : {}) };
    }
    const id = await importImage(ctx.daemon.images, ctx.req, {
      ...(q.get('repo') ? { repo: q.get('repo')! } : {}),
      ...(q.get('tag') ? { tag: q.get('tag')! } : {}),
      changes: q.getAll('changes'),
      ...(q.get('message') ? { message: q.get('message')! } : {}),
      source: '-',
      ...(plat ? { platform: plat } : {}),
    });
    const write = await streamJSON(ctx);
    write({ status: id });
    ctx.res.end();
  });

  r.add('GET', '/images/get', async (ctx) => {
    const names = ctx.query.getAll('names');
    if (names.length === 0) throw invalidArgument('no image names given: use ?names=NAME');
    await sendSave(ctx, names);
  });

  r.add('POST', '/images/load', async (ctx) => {
    const quiet = boolParam(ctx.query, 'quiet');
    // As dockerd: 200 and a JSON stream whatever happens; a load that fails ends it with an error
    // record. What the archive reader left unread is read away, so that the client's upload ends and
    // it sees the error at once (a 'readable' listener left by the reader would stop resume() from
    // flowing, and the connection would wait out its keep-alive).
    const write = await streamJSON(ctx);
    let loaded: Awaited<ReturnType<typeof loadArchive>>;
    try {
      loaded = await loadArchive(ctx.daemon.images, ctx.req);
    } catch (err) {
      ctx.req.unpipe();
      ctx.req.removeAllListeners('readable');
      ctx.req.resume();
      const message = messageOf(err);
      write({ errorDetail: { message }, error: message });
      ctx.res.end();
      return;
    }
    for (const img of loaded) {
      for (const rn of img.renamed) {
        write({ stream: `The image ${rn.name} already exists, renaming the old one with ID ${rn.from} to empty string\n` });
      }
      if (img.names.length === 0) write({ stream: `Loaded image ID: ${img.id}\n` });
      for (const n of img.names) write({ stream: `Loaded image: ${n}\n` });
    }
    void quiet;
    ctx.res.end();
  });

  r.add('GET', '/images/{name}/json', async (ctx) => {
    const img = await ctx.daemon.images.get(ctx.params[0]!);
    sendJSON(ctx.res, 200, inspectImage(img, ctx.version, await graphDriverData(ctx, img)));
  });

  r.add('GET', '/images/{name}/history', async (ctx) => {
    const img = await ctx.daemon.images.get(ctx.params[0]!);
    const history: HistoryEntry[] = img.config.history?.length ? img.config.history : img.config.rootfs.diff_ids.map(() => ({ created: img.config.created ?? '' }));
    let layer = 0;
    const rows = history.map((h) => {
      let size = 0;
      if (!h.empty_layer) {
        const c = img.chainIds[layer++];
        size = c ? ctx.daemon.images.meta.getLayer(c)?.size ?? 0 : 0;
      }
      const created = h.created ? Math.floor(Date.parse(h.created) / 1000) : 0;
      return { Comment: h.comment ?? '', Created: Number.isNaN(created) ? 0 : created, CreatedBy: h.created_by ?? '', Id: '<missing>', Size: size, Tags: null as string[] | null };
    });
    rows.reverse();
    if (rows[0]) {
      rows[0].Id = img.record.id;
      rows[0].Tags = img.repoTags.length ? img.repoTags : null;
    }
    sendJSON(ctx.res, 200, rows);
  });

  r.add('GET', '/images/{name}/get', async (ctx) => sendSave(ctx, [ctx.params[0]!]));

  r.add('POST', '/images/{name}/tag', async (ctx) => {
    const repo = ctx.query.get('repo');
    if (!repo) throw invalidArgument('repository name must have at least one component');
    ctx.daemon.images.tag(ctx.params[0]!, repo, ctx.query.get('tag') ?? undefined);
    ctx.res.writeHead(201, { 'Content-Length': '0' });
    ctx.res.end();
  });

  r.add('DELETE', '/images/{name}', async (ctx) => {
    const items = await ctx.daemon.images.remove(ctx.params[0]!, { force: boolParam(ctx.query, 'force'), noPrune: boolParam(ctx.query, 'noprune') });
    sendJSON(ctx.res, 200, items);
  });
}

async function sendSave(ctx: Ctx, names: string[]): Promise<void> {
  const items = await planSave(ctx.daemon.images, names).catch((e: unknown) => {
    if (e instanceof BerthError && e.kind === 'NotFound') {
      // docker names the reference as the user typed it, normalised with :latest
      let shown = names[0]!;
      try {
        shown = formatReference(withDefaultTag(parseReference(shown)), true);
      } catch {
        /* keep as typed */
      }
      throw notFound(messageOf(e).startsWith('No such image') ? messageOf(e) : `No such image: ${shown}`);
    }
    throw e;
  });
  ctx.res.writeHead(200, { 'Content-Type': 'application/x-tar' });
  try {
    await saveImages(ctx.daemon.images, items, ctx.res);
  } catch (err) {
    ctx.daemon.log.error('save failed mid-stream', { err: messageOf(err) });
    ctx.res.destroy();
  }
}

export { sendError };
