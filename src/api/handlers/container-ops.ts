// /containers/{id}/{pause,unpause,rename,top}, /containers/prune and /images/prune: thin over the container service's ops.
import { pruneImages } from '../../daemon/index.js';
import type { Router } from '../router.js';
import { parseFilters, sendJSON } from '../router.js';

export function containerOpsRoutes(r: Router): void {
  r.add('POST', '/containers/prune', async (ctx) => {
    sendJSON(ctx.res, 200, await ctx.daemon.containers.prune(parseFilters(ctx.query)));
  });
  r.add('POST', '/images/prune', async (ctx) => {
    sendJSON(ctx.res, 200, await pruneImages(ctx.daemon.images, ctx.daemon.containers, parseFilters(ctx.query), ctx.daemon.log));
  });
  r.add('POST', '/containers/{id}/pause', async (ctx) => {
    await ctx.daemon.containers.pause(ctx.params[0]!);
    ctx.res.writeHead(204).end();
  });
  r.add('POST', '/containers/{id}/unpause', async (ctx) => {
    await ctx.daemon.containers.unpause(ctx.params[0]!);
    ctx.res.writeHead(204).end();
  });
  r.add('POST', '/containers/{id}/rename', (ctx) => {
    ctx.daemon.containers.rename(ctx.params[0]!, ctx.query.get('name') ?? '');
    ctx.res.writeHead(204).end();
  });
  r.add('GET', '/containers/{id}/top', async (ctx) => {
    sendJSON(ctx.res, 200, await ctx.daemon.containers.top(ctx.params[0]!, ctx.query.get('ps_args') ?? ''));
  });
}
