import { API_VERSION } from '../../daemon/index.js';
import { sendJSON, type Router } from '../router.js';

export function systemRoutes(r: Router): void {
  const ping = (head: boolean) => (ctx: Parameters<Parameters<Router['add']>[2]>[0]) => {
    ctx.res.writeHead(200, {
      'Api-Version': API_VERSION,
      'Builder-Version': '1',
      'Docker-Experimental': 'false',
      Ostype: 'linux',
      'Cache-Control': 'no-cache, no-store, must-revalidate',
      Pragma: 'no-cache',
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': '2',
    });
    ctx.res.end(head ? undefined : 'OK');
  };
  r.add('GET', '/_ping', ping(false));
  r.add('HEAD', '/_ping', ping(true));
  r.add('GET', '/version', (ctx) => sendJSON(ctx.res, 200, ctx.daemon.version()));
  r.add('GET', '/info', async (ctx) => sendJSON(ctx.res, 200, await ctx.daemon.info()));
}
