// Pull (POST /images/create?fromImage=), push (POST /images/{name}/push) and
// login (POST /auth), with docker's X-Registry-Auth header and JSON progress
// stream. Nothing is written to the stream before the reference resolved, so
// early failures (unknown host, manifest unknown, denied) are HTTP errors, as
// docker's are; later ones are error records in the stream.
import { invalidArgument } from '../../common/errors.js';
import { formatReference, parseReference, withDefaultTag, type Reference } from '../../common/reference.js';
import { isDigest } from '../../common/digest.js';
import { RegistryClient, parsePlatform, pullImage, pushImage, type Credentials, type ProgressMessage } from '../../daemon/index.js';
import type { Ctx, Router } from '../router.js';
import { sendError } from '../errors.js';

/** X-Registry-Auth: base64url JSON of {username, password, auth, identitytoken, registrytoken, serveraddress}. */
export function registryAuth(header: string | string[] | undefined): Credentials | undefined {
  const h = Array.isArray(header) ? header[0] : header;
  if (!h) return undefined;
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(Buffer.from(h, 'base64').toString('utf8')) as Record<string, unknown>;
  } catch {
    // docker ignores an undecodable header and pulls anonymously
    return undefined;
  }
  return credentialsOf(j);
}

/** X-Registry-Config (sent with /build): base64url JSON of {"<registry>": {username, password, auth, ...}}. */
export function registryConfig(header: string | string[] | undefined): Record<string, Credentials> {
  const h = Array.isArray(header) ? header[0] : header;
  // keys come from the client: no prototype to write through ("__proto__")
  const out: Record<string, Credentials> = Object.create(null) as Record<string, Credentials>;
  if (!h) return out;
  let j: unknown;
  try {
    j = JSON.parse(Buffer.from(h, 'base64').toString('utf8'));
  } catch {
    return out; // as X-Registry-Auth: an undecodable header means anonymous pulls
  }
  if (typeof j !== 'object' || j === null) return out;
  for (const [addr, v] of Object.entries(j as Record<string, unknown>)) {
    const c = typeof v === 'object' && v !== null ? credentialsOf(v as Record<string, unknown>) : undefined;
    if (c) out[serverDomain(addr)] = c;
  }
  return out;
}

function credentialsOf(j: Record<string, unknown>): Credentials | undefined {
  if (typeof j !== 'object' || j === null) return undefined;
  const s = (k: string) => (typeof j[k] === 'string' && j[k] !== '' ? (j[k] as string) : undefined);
  let username = s('username');
  let password = s('password');
  const auth = s('auth');
  if (!username && auth) {
    const dec = Buffer.from(auth, 'base64').toString('utf8');
    const i = dec.indexOf(':');
    if (i > 0) {
      username = dec.slice(0, i);
      password = dec.slice(i + 1);
    }
  }
  const c: Credentials = {};
  if (username) c.username = username;
  if (password) c.password = password;
  if (s('identitytoken')) c.identityToken = s('identitytoken')!;
  if (s('registrytoken')) c.registryToken = s('registrytoken')!;
  return Object.keys(c).length ? c : undefined;
}

/** A progress sink that sends the 200 header with its first message. */
function progressStream(ctx: Ctx): (m: ProgressMessage) => void {
  return (m) => {
    if (!ctx.res.headersSent) ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
    ctx.res.write(JSON.stringify(m) + '\r\n');
  };
}

function pullReference(q: URLSearchParams): Reference {
  const from = q.get('fromImage') ?? '';
  const tag = q.get('tag') ?? '';
  let ref = parseReference(from);
  if (tag) {
    if (ref.tag !== undefined || ref.digest !== undefined) throw invalidArgument(`invalid reference format: both a tag in fromImage and tag=${tag}`);
    ref = isDigest(tag) ? { ...ref, digest: tag } : parseReference(`${from}:${tag}`);
  }
  ref = withDefaultTag(ref);
  // name:tag@digest pulls by digest, as docker does
  if (ref.digest && ref.tag !== undefined) ref = { domain: ref.domain, path: ref.path, digest: ref.digest };
  return ref;
}

/** POST /images/create?fromImage=...&tag=...&platform=... */
export async function pullHandler(ctx: Ctx): Promise<void> {
  const ref = pullReference(ctx.query);
  const p = ctx.query.get('platform');
  const platform = p ? parsePlatform(p) : undefined;
  const send = progressStream(ctx);
  const creds = registryAuth(ctx.req.headers['x-registry-auth']);
  try {
    await pullImage(ctx.daemon.images, { ref, ...(platform ? { platform } : {}), registry: ctx.daemon.registryOptions(creds), progress: send });
  } catch (err) {
    ctx.daemon.log.info('pull failed', { ref: formatReference(ref), err: String(err) });
    sendError(ctx.res, err);
    return;
  }
  ctx.res.end();
}

function serverDomain(addr: string): string {
  let a = addr.trim();
  if (!a || /^(https?:\/\/)?(index\.)?docker\.io(\/v1\/?)?$/.test(a) || a === 'https://index.docker.io/v1/') return 'docker.io';
  a = a.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  return a;
}

export function distributionRoutes(r: Router): void {
  r.add('POST', '/images/{name}/push', async (ctx) => {
    const name = ctx.params[0]!;
    const tag = ctx.query.get('tag') ?? '';
    let ref = parseReference(tag ? `${name}:${tag}` : name);
    if (ref.digest) throw invalidArgument('cannot push a digest reference');
    if (!tag && ref.tag === undefined) ref = { domain: ref.domain, path: ref.path };
    const creds = registryAuth(ctx.req.headers['x-registry-auth']);
    const send = progressStream(ctx);
    try {
      await pushImage(ctx.daemon.images, { ref, registry: ctx.daemon.registryOptions(creds), progress: send });
    } catch (err) {
      sendError(ctx.res, err);
      return;
    }
    ctx.res.end();
  });

  r.add('POST', '/auth', async (ctx) => {
    const chunks: Buffer[] = [];
    for await (const c of ctx.req) chunks.push(c as Buffer);
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    } catch {
      throw invalidArgument('invalid JSON body');
    }
    const header = Buffer.from(JSON.stringify(body)).toString('base64');
    const creds = registryAuth(header) ?? {};
    const domain = serverDomain(typeof body['serveraddress'] === 'string' ? body['serveraddress'] : '');
    const client = new RegistryClient(domain, ctx.daemon.registryOptions(creds));
    try {
      await client.checkLogin();
    } finally {
      client.close();
    }
    const out = JSON.stringify({ Status: 'Login Succeeded', IdentityToken: '' }) + '\n';
    ctx.res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(out) });
    ctx.res.end(out);
  });
}
