// The WWW-Authenticate challenge flow of the distribution spec: a request is
// sent as is (or with what an earlier challenge taught); a 401 names the
// scheme. Basic: send the credentials. Bearer: ask the token service at
// realm?service=..&scope=.. (with Basic credentials, or none for an anonymous
// token; an identity token is exchanged with the OAuth2 refresh_token grant)
// and retry with the token. Tokens are kept per scope set until they expire.
import type { IncomingMessage } from 'node:http';
import { unauthorized, unavailable } from '../../common/errors.js';
import type { Transport } from './transport.js';

export interface Credentials {
  username?: string;
  password?: string;
  /** a refresh token from an earlier login (docker's "identitytoken") */
  identityToken?: string;
  /** a ready registry token (docker's "registrytoken") */
  registryToken?: string;
}

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parse `Bearer realm="https://x/token",service="x",scope="a b"` (several challenges may be comma-joined). */
export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  const out: Challenge[] = [];
  for (const h of Array.isArray(header) ? header : header ? [header] : []) {
    const re = /\s*([A-Za-z][\w-]*)(?:\s+|$)|\s*([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?/y;
    let cur: Challenge | undefined;
    let m: RegExpExecArray | null;
    re.lastIndex = 0;
    while (re.lastIndex < h.length && (m = re.exec(h))) {
      if (m[2] !== undefined && cur) cur.params[m[2].toLowerCase()] = m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : m[4] ?? '';
      else if (m[1] !== undefined) {
        cur = { scheme: m[1].toLowerCase(), params: {} };
        out.push(cur);
      } else break;
      if (m[0].length === 0) break;
    }
  }
  return out;
}

export function basicHeader(c: Credentials): string | undefined {
  if (c.username === undefined || c.username === '') return undefined;
  return 'Basic ' + Buffer.from(`${c.username}:${c.password ?? ''}`).toString('base64');
}

async function readBody(res: IncomingMessage, limit = 1 << 20): Promise<string> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of res) {
    n += (c as Buffer).length;
    if (n > limit) break;
    parts.push(c as Buffer);
  }
  return Buffer.concat(parts).toString('utf8');
}

/** The message of a registry error body, `{"errors":[{"code":..,"message":..}]}`, or the text. */
export function registryMessage(text: string): { code?: string; message: string } {
  try {
    const j = JSON.parse(text) as { errors?: { code?: string; message?: string; detail?: unknown }[]; details?: string; error?: string };
    const e = j.errors?.[0];
    if (e) return { ...(e.code ? { code: e.code } : {}), message: e.message ?? e.code ?? '' };
    if (typeof j.details === 'string') return { message: j.details };
    if (typeof j.error === 'string') return { message: j.error };
  } catch {
    /* not JSON */
  }
  return { message: text.trim().slice(0, 300) };
}

export class Authenticator {
  private challenge: Challenge | undefined;
  private readonly tokens = new Map<string, { token: string; expires: number }>();
  constructor(
    private readonly transport: Transport,
    private readonly creds: Credentials = {},
  ) {}

  /** The Authorization header for a request needing `scopes`, from what earlier challenges taught. */
  async header(scopes: string[]): Promise<string | undefined> {
    if (this.creds.registryToken) return `Bearer ${this.creds.registryToken}`;
    const ch = this.challenge;
    if (!ch) return undefined;
    if (ch.scheme === 'basic') return basicHeader(this.creds);
    if (ch.scheme === 'bearer') return `Bearer ${await this.token(ch, scopes)}`;
    return undefined;
  }

  /**
   * Learn from a 401. Returns true when a retry can do better (a scheme we now
   * know, or a bearer token for the scopes); false when the credentials were
   * already tried and refused.
   */
  learn(res: IncomingMessage, scopes: string[]): boolean {
    const chs = parseChallenges(res.headers['www-authenticate']);
    const ch = chs.find((c) => c.scheme === 'bearer') ?? chs.find((c) => c.scheme === 'basic');
    if (!ch) return false;
    const before = this.challenge;
    this.challenge = ch;
    if (!before || before.scheme !== ch.scheme || before.params['realm'] !== ch.params['realm']) return true;
    // Same scheme again: a bearer challenge asking for a wider scope deserves a new token.
    if (ch.scheme === 'bearer') {
      // A token for exactly these scopes was refused: retrying cannot help.
      const key = this.scopeKey(ch, scopes);
      if (this.tokens.has(key)) {
        this.tokens.delete(key);
        return false;
      }
      return true;
    }
    return false;
  }

  private scopeKey(ch: Challenge, scopes: string[]): string {
    return `${ch.params['realm']}|${ch.params['service'] ?? ''}|${this.allScopes(ch, scopes).join(' ')}`;
  }

  private allScopes(ch: Challenge, scopes: string[]): string[] {
    const s = new Set(scopes);
    for (const x of (ch.params['scope'] ?? '').split(' ')) if (x) s.add(x);
    return [...s].sort();
  }

  private async token(ch: Challenge, scopes: string[]): Promise<string> {
    const key = this.scopeKey(ch, scopes);
    const cached = this.tokens.get(key);
    if (cached && cached.expires > Date.now()) return cached.token;
    const realm = ch.params['realm'];
    if (!realm) throw unauthorized('registry sent a Bearer challenge without a realm');
    const u = new URL(realm);
    if (ch.params['service']) u.searchParams.set('service', ch.params['service']);
    for (const s of this.allScopes(ch, scopes)) u.searchParams.append('scope', s);
    let res: IncomingMessage;
    if (this.creds.identityToken) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: this.creds.identityToken, client_id: 'berth', service: ch.params['service'] ?? '' });
      form.set('scope', this.allScopes(ch, scopes).join(' '));
      res = await this.transport.send({ method: 'POST', url: realm, headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form.toString() });
    } else {
      const auth = basicHeader(this.creds);
      res = await this.transport.send({ method: 'GET', url: u.toString(), headers: auth ? { Authorization: auth } : {} });
    }
    const text = await readBody(res);
    if (res.statusCode === 401 || res.statusCode === 403) {
      const msg = registryMessage(text).message;
      throw unauthorized(`unauthorized: ${msg || 'authentication required'}`);
    }
    if ((res.statusCode ?? 500) >= 300) throw unavailable(`token service ${u.origin}${u.pathname}: HTTP ${res.statusCode}: ${registryMessage(text).message}`);
    let j: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      j = JSON.parse(text) as typeof j;
    } catch {
      throw unavailable(`token service ${u.origin}${u.pathname}: answer is not JSON`);
    }
    const token = typeof j.token === 'string' ? j.token : typeof j.access_token === 'string' ? j.access_token : undefined;
    if (!token) throw unavailable(`token service ${u.origin}${u.pathname}: no token in the answer`);
    const life = typeof j.expires_in === 'number' && j.expires_in > 0 ? j.expires_in : 60;
    this.tokens.set(key, { token, expires: Date.now() + Math.max(10, life - 10) * 1000 });
    return token;
  }
}
