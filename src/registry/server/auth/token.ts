// Bearer tokens and the built-in token service: the flow docker, containerd
// and skopeo follow.
//   1. a request without a (sufficient) token gets 401 with
//      WWW-Authenticate: Bearer realm="<realm>",service="<service>",scope="repository:app:pull,push"
//   2. the client asks GET <realm>?service=...&scope=... (Basic credentials,
//      or none for anonymous) or POSTs the OAuth2 password form,
//   3. the service grants the intersection of what was asked and what the
//      access rules allow, as an HS256 JWT whose `access` claim lists it,
//   4. the client retries with Authorization: Bearer <jwt>.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SignJWT, jwtVerify } from 'jose';
import type { AccessControl } from './acl.js';
import { scopeString, type Access, type Action, type AuthResult, type Authorizer } from './authorizer.js';
import { basicCredentials, type Htpasswd } from './htpasswd.js';

export interface TokenConfig {
  /** where clients get tokens; undefined: this server's /token, from the request's Host */
  realm?: string;
  /** "https" when serving TLS */
  scheme: 'http' | 'https';
  service: string;
  issuer: string;
  /** HMAC key, at least 32 bytes */
  secret: Uint8Array;
  /** token lifetime in seconds */
  expiresIn: number;
}

interface GrantedAccess {
  type: string;
  name: string;
  actions: string[];
}

/** Parse docker scopes "repository:a/b:pull,push" (the name may hold ':' only for registry:catalog:*). */
export function parseScope(s: string): Access | undefined {
  const first = s.indexOf(':');
  const last = s.lastIndexOf(':');
  if (first <= 0 || last === first) return undefined;
  const type = s.slice(0, first);
  if (type !== 'repository' && type !== 'registry') return undefined;
  const actions = s.slice(last + 1).split(',').filter((a): a is Action => ['pull', 'push', 'delete', '*'].includes(a));
  return { type, name: s.slice(first + 1, last), actions };
}

function isGranted(v: unknown): v is GrantedAccess[] {
  return (
    Array.isArray(v) &&
    v.every(
      (g) =>
        typeof g === 'object' &&
        g !== null &&
        typeof (g as GrantedAccess).type === 'string' &&
        typeof (g as GrantedAccess).name === 'string' &&
        Array.isArray((g as GrantedAccess).actions),
    )
  );
}

export class TokenAuthorizer implements Authorizer {
  readonly tokenEndpoint: Authorizer['tokenEndpoint'];

  constructor(
    private readonly cfg: TokenConfig,
    private readonly acl: AccessControl,
    private readonly htpasswd: Htpasswd | undefined,
    tokenPath = '/token',
  ) {
    this.tokenEndpoint = { path: tokenPath, handle: (req, res, url) => this.issue(req, res, url) };
  }

  private realm(req: IncomingMessage): string {
    if (this.cfg.realm) return this.cfg.realm;
    const host = req.headers.host ?? '';
    const safe = /^[A-Za-z0-9.:[\]-]{1,300}$/.test(host) ? host : '127.0.0.1';
    return `${this.cfg.scheme}://${safe}${this.tokenEndpoint!.path}`;
  }

  private challenge(req: IncomingMessage, access: Access[], error?: string): string {
    let c = `Bearer realm="${this.realm(req)}",service="${this.cfg.service}"`;
    if (access.length) c += `,scope="${access.map(scopeString).join(' ')}"`;
    if (error) c += `,error="${error}"`;
    return c;
  }

  async authorize(req: IncomingMessage, access: Access[]): Promise<AuthResult> {
    const h = req.headers.authorization;
    const m = h ? /^Bearer\s+([A-Za-z0-9._-]+)$/i.exec(h.trim()) : null;
    if (!m) {
      return { ok: false, status: 401, challenge: this.challenge(req, access), message: 'authentication required', access };
    }
    let granted: GrantedAccess[];
    let subject: string | undefined;
    try {
      const { payload } = await jwtVerify(m[1]!, this.cfg.secret, {
        issuer: this.cfg.issuer,
        audience: this.cfg.service,
        algorithms: ['HS256'],
      });
      if (!isGranted(payload.access)) throw new Error('no access claim');
      granted = payload.access;
      subject = payload.sub === '' ? undefined : payload.sub;
    } catch {
      return { ok: false, status: 401, challenge: this.challenge(req, access, 'invalid_token'), message: 'invalid or expired token', access };
    }
    const covered = access.every((a) =>
      a.actions.every((x) => granted.some((g) => g.type === a.type && g.name === a.name && (g.actions.includes(x) || g.actions.includes('*')))),
    );
    if (!covered) {
      return { ok: false, status: 401, challenge: this.challenge(req, access, 'insufficient_scope'), message: 'insufficient scope', access };
    }
    return subject === undefined ? { ok: true } : { ok: true, account: subject };
  }

  private async readForm(req: IncomingMessage): Promise<URLSearchParams> {
    let size = 0;
    const parts: Buffer[] = [];
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > 64 * 1024) throw new Error('form too large');
      parts.push(c as Buffer);
    }
    return new URLSearchParams(Buffer.concat(parts).toString('utf8'));
  }

  private async issue(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
      res.end(text);
    };
    let params = url.searchParams;
    let creds = basicCredentials(req.headers.authorization);
    let scopes: string[];
    if (req.method === 'POST') {
      try {
        params = await this.readForm(req);
      } catch {
        return reply(400, { errors: [{ code: 'UNSUPPORTED', message: 'token request form too large' }] }, { Connection: 'close' });
      }
      if (params.get('grant_type') === 'password') {
        creds = { user: params.get('username') ?? '', password: params.get('password') ?? '' };
      }
      scopes = (params.get('scope') ?? '').split(' ').filter((s) => s !== '');
    } else if (req.method === 'GET') {
      scopes = params.getAll('scope').flatMap((s) => s.split(' ')).filter((s) => s !== '');
    } else {
      return reply(405, { errors: [{ code: 'UNSUPPORTED', message: 'use GET or POST' }] });
    }
    let account: string | undefined;
    if (creds) {
      if (!this.htpasswd || !(await this.htpasswd.verify(creds.user, creds.password))) {
        return reply(401, { errors: [{ code: 'UNAUTHORIZED', message: 'invalid username or password' }] }, { 'WWW-Authenticate': `Basic realm="${this.cfg.service}"` });
      }
      account = creds.user;
    }
    const access: GrantedAccess[] = [];
    for (const s of scopes) {
      const a = parseScope(s);
      if (!a) continue;
      const g = this.acl.granted(account, a);
      const actions = a.actions.filter((x) => g.has(x));
      if (actions.length) access.push({ type: a.type, name: a.name, actions });
    }
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ access })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(this.cfg.issuer)
      .setAudience(this.cfg.service)
      .setSubject(account ?? '')
      .setIssuedAt(now)
      .setNotBefore(now - 5)
      .setExpirationTime(now + this.cfg.expiresIn)
      .sign(this.cfg.secret);
    reply(200, { token, access_token: token, expires_in: this.cfg.expiresIn, issued_at: new Date(now * 1000).toISOString() });
  }
}
