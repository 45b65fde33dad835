// The route table of the OCI distribution API and the one place where errors
// become responses. Every repository name is validated before a handler runs.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { kindOf, messageOf } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import { errorBody, regErr, RegistryError } from '../errcode.js';
import type { Registry } from '../store/registry.js';
import { checkRepoName } from '../store/names.js';
import type { Access, Action } from './auth/authorizer.js';
import { cancelUpload, deleteBlob, getBlob, patchUpload, putUpload, startUpload, uploadStatus } from './blobs.js';
import { catalog, listTags, referrers } from './discovery.js';
import { send, type Ctx } from './http.js';
import { deleteManifest, getManifest, putManifest } from './manifests.js';
import type { ServerOptions } from './options.js';

type Handler = (ctx: Ctx) => Promise<void>;

interface Route {
  re: RegExp;
  /** method → [actions needed on the repository, handler] */
  methods: Record<string, [Action[], Handler]>;
}

export class Router {
  private readonly routes: Route[];

  constructor(
    private readonly reg: Registry,
    private readonly opts: ServerOptions,
    private readonly log: Logger,
  ) {
    const r = reg;
    const o = opts;
    const canPullFrom = (ctx: Ctx) => async (from: string) =>
      (await o.authorizer.authorize(ctx.req, [{ type: 'repository', name: from, actions: ['pull'] }])).ok;
    this.routes = [
      { re: /^\/v2\/(.+)\/tags\/list$/, methods: { GET: [['pull'], (c) => listTags(c, r)] } },
      {
        re: /^\/v2\/(.+)\/manifests\/([^/]+)$/,
        methods: {
          GET: [['pull'], (c) => getManifest(c, r)],
          HEAD: [['pull'], (c) => getManifest(c, r)],
          PUT: [['pull', 'push'], (c) => putManifest(c, r, o)],
          DELETE: [['delete'], (c) => deleteManifest(c, r, o)],
        },
      },
      { re: /^\/v2\/(.+)\/blobs\/uploads\/?$/, methods: { POST: [['pull', 'push'], (c) => startUpload(c, r, canPullFrom(c))] } },
      {
        re: /^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/,
        methods: {
          PATCH: [['pull', 'push'], (c) => patchUpload(c, r)],
          PUT: [['pull', 'push'], (c) => putUpload(c, r)],
          GET: [['pull'], (c) => uploadStatus(c, r)],
          DELETE: [['pull', 'push'], (c) => cancelUpload(c, r)],
        },
      },
      {
        re: /^\/v2\/(.+)\/blobs\/([^/]+)$/,
        methods: {
          GET: [['pull'], (c) => getBlob(c, r)],
          HEAD: [['pull'], (c) => getBlob(c, r)],
          DELETE: [['delete'], (c) => deleteBlob(c, r, o)],
        },
      },
      { re: /^\/v2\/(.+)\/referrers\/([^/]+)$/, methods: { GET: [['pull'], (c) => referrers(c, r)] } },
    ];
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('Docker-Distribution-API-Version', 'registry/2.0');
    try {
      await this.dispatch(req, res);
    } catch (err) {
      this.fail(req, res, err);
    }
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = req.url ?? '/';
    const url = new URL(raw, 'http://registry');
    const method = req.method ?? 'GET';
    // The raw path, not url.pathname: URL parsing would resolve "a/../b" to
    // "b", and a path trick must be refused (NAME_INVALID), not reinterpreted.
    const q = raw.indexOf('?');
    const path = q === -1 ? raw : raw.slice(0, q);
    const token = this.opts.authorizer.tokenEndpoint;
    if (token && path === token.path) return token.handle(req, res, url);
    if (path === '/v2/' || path === '/v2') {
      if (method !== 'GET' && method !== 'HEAD') throw regErr('UNSUPPORTED', `${method} ${path} is not supported`);
      await this.authorize({ req, res, url, repo: '', param: '' }, []);
      return send(res, 200, { 'Content-Type': 'application/json' }, '{}');
    }
    if (path === '/v2/_catalog') {
      if (method !== 'GET') throw regErr('UNSUPPORTED', `${method} ${path} is not supported`);
      const ctx: Ctx = { req, res, url, repo: '', param: '' };
      await this.authorize(ctx, [{ type: 'registry', name: 'catalog', actions: ['*'] }]);
      return catalog(ctx, this.reg);
    }
    for (const route of this.routes) {
      const m = route.re.exec(path);
      if (!m) continue;
      const entry = route.methods[method];
      if (!entry) throw regErr('UNSUPPORTED', `${method} is not supported on ${path.slice(0, 200)}`);
      const ctx: Ctx = { req, res, url, repo: checkRepoName(m[1]!), param: m[2] ?? '' };
      await this.authorize(ctx, [{ type: 'repository', name: ctx.repo, actions: entry[0] }]);
      return entry[1](ctx);
    }
    // Anything else under /v2/ is a path trick or a name that cannot be one.
    if (path.startsWith('/v2/')) throw regErr('NAME_INVALID', `invalid repository path ${path.slice(0, 200)}`);
    send(res, 404, { 'Content-Type': 'text/plain' }, '404 page not found\n');
  }

  private async authorize(ctx: Ctx, access: Access[]): Promise<void> {
    const r = await this.opts.authorizer.authorize(ctx.req, access);
    if (r.ok) {
      if (r.account !== undefined) ctx.account = r.account;
      return;
    }
    if (r.challenge) ctx.res.setHeader('WWW-Authenticate', r.challenge);
    const detail = r.access.map((a) => ({ Type: a.type, Name: a.name, Action: a.actions.join(',') }));
    throw regErr(r.status === 401 ? 'UNAUTHORIZED' : 'DENIED', r.message, detail);
  }

  private fail(req: IncomingMessage, res: ServerResponse, err: unknown): void {
    if (res.headersSent) {
      // A stream broke mid-body: the only honest signal left is a cut connection.
      this.log.debug('response aborted', { url: req.url, err: messageOf(err) });
      res.destroy();
      return;
    }
    let re: RegistryError;
    if (err instanceof RegistryError) re = err;
    else {
      const kind = kindOf(err);
      const code = kind === 'Unauthorized' ? 'UNAUTHORIZED' : kind === 'Forbidden' ? 'DENIED' : 'UNKNOWN';
      if (code === 'UNKNOWN') this.log.error('request failed', { method: req.method, url: req.url, err: messageOf(err) });
      re = regErr(code, code === 'UNKNOWN' ? 'internal error' : messageOf(err));
    }
    // An unread request body is not worth draining (it may be a 500 MB layer).
    if (!req.complete) res.setHeader('Connection', 'close');
    send(res, re.status, { 'Content-Type': 'application/json' }, errorBody(re));
  }
}
