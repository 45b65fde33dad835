// POST /build: the legacy builder's endpoint. The body is the context (a
// tar, possibly gzipped, or a bare Dockerfile); the answer is docker's JSON
// message stream ({"stream": "Step 1/4 : ..."}, {"aux": {"ID": ...}}, and
// {"errorDetail", "error"} when a step fails). An error before anything was
// written is an ordinary HTTP error, as docker's daemon answers.
import { registryConfig } from './distribution.js';
import { BerthError, invalidArgument, messageOf } from '../../common/errors.js';
import { DockerfileError, type BuildProgress } from '../../daemon/index.js';
import { boolParam, type Ctx, type Router } from '../router.js';

function jsonParam<T>(q: URLSearchParams, name: string, fallback: T): T {
  const raw = q.get(name);
  if (raw === null || raw === '') return fallback;
  try {
    return JSON.parse(raw) as T;
  } catch {
    throw invalidArgument(`invalid ${name} parameter: ${raw}`);
  }
}

function stringMap(v: unknown, what: string): Map<string, string | undefined> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalidArgument(`${what} must be a JSON object`);
  const m = new Map<string, string | undefined>();
  for (const [k, val] of Object.entries(v)) {
    if (val !== null && typeof val !== 'string') throw invalidArgument(`${what}: value of ${k} must be a string or null`);
    m.set(k, val ?? undefined);
  }
  return m;
}

/** berth's own header for secrets (the legacy API has none): base64 of {"id": "base64 content"}. */
function secretsOf(ctx: Ctx): Map<string, Buffer> {
  const raw = ctx.req.headers['x-berth-build-secrets'];
  const out = new Map<string, Buffer>();
  if (typeof raw !== 'string' || raw === '') return out;
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(raw, 'base64').toString('utf8'));
  } catch {
    throw invalidArgument('invalid X-Berth-Build-Secrets header');
  }
  for (const [k, val] of stringMap(v, 'secrets')) out.set(k, Buffer.from(val ?? '', 'base64'));
  return out;
}

/** cachefrom: a JSON array of image references, as the docker CLI sends it ("null" when there is none). */
function cacheFromParam(q: URLSearchParams): string[] {
  const raw = q.get('cachefrom');
  if (raw === null || raw === '') return [];
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (err) {
    throw invalidArgument(`invalid cachefrom parameter: not JSON (${messageOf(err)}): ${raw}`);
  }
  if (v === null) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw invalidArgument(`invalid cachefrom parameter: must be a JSON array of image references: ${raw}`);
  return (v as string[]).filter((x) => x !== '');
}

export function buildRoutes(r: Router): void {
  r.add('POST', '/build', async (ctx) => {
    const q = ctx.query;
    if (q.get('remote')) throw invalidArgument('remote build contexts are not supported: send the context as the request body');
    const quiet = boolParam(q, 'q');
    const labels = stringMap(jsonParam(q, 'labels', {}), 'labels');
    const req = {
      dockerfile: q.get('dockerfile') || 'Dockerfile',
      tags: q.getAll('t').filter(Boolean),
      buildArgs: stringMap(jsonParam(q, 'buildargs', {}), 'buildargs'),
      noCache: boolParam(q, 'nocache'),
      pull: boolParam(q, 'pull'),
      labels: Object.fromEntries([...labels].map(([k, v]) => [k, v ?? ''])),
      secrets: secretsOf(ctx),
      registryConfig: registryConfig(ctx.req.headers['x-registry-config']),
      cacheFrom: cacheFromParam(q),
      ...(q.get('target') ? { target: q.get('target')! } : {}),
      ...(q.get('platform') ? { platform: q.get('platform')! } : {}),
      ...(q.get('networkmode') ? { networkMode: q.get('networkmode')! } : {}),
    };
    const res = ctx.res;
    const start = () => {
      if (!res.headersSent) res.writeHead(200, { 'Content-Type': 'application/json' });
    };
    const write = (obj: unknown) => {
      start();
      res.write(JSON.stringify(obj) + '\r\n');
    };
    const progress: BuildProgress = {
      // `berth`: what the message is, for `berth build --progress=plain` (the docker CLI ignores it)
      stream: (text, ev) => {
        if (!quiet) write(ev ? { stream: text, berth: ev } : { stream: text });
      },
      aux: (obj) => write({ aux: obj }),
    };
    // A client that goes away (docker build interrupted) cancels the build, as docker's daemon does.
    const abort = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) abort.abort(new Error('the client closed the connection: build cancelled'));
    };
    res.on('close', onClose);
    try {
      const out = await ctx.daemon.builder.build(ctx.req, req, progress, abort.signal);
      if (quiet) write({ stream: `${out.id}\n` });
      res.end();
    } catch (err) {
      if (!res.headersSent) {
        if (err instanceof DockerfileError) throw invalidArgument(messageOf(err));
        if (err instanceof BerthError) throw err;
        throw invalidArgument(messageOf(err));
      }
      const msg = messageOf(err);
      const code = /returned a non-zero code: (\d+)$/.exec(msg);
      res.end(JSON.stringify({ errorDetail: { ...(code ? { code: Number(code[1]) } : {}), message: msg }, error: msg }) + '\r\n');
    } finally {
      res.off('close', onClose);
    }
  });

  r.add('POST', '/build/prune', async (ctx) => {
    // SpaceReclaimed: what the database files really shrank by
    const r = await ctx.daemon.builder.cache.prune();
    const body = JSON.stringify({ CachesDeleted: [], SpaceReclaimed: r.reclaimed, Records: r.records }) + '\n';
    ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
    ctx.res.end(body);
  });
}
