// The distribution client: one RegistryClient per registry host, one
// Repository per repository path with the scopes it needs. Every request goes
// through send(), which answers a 401 challenge once (Authenticator) and turns
// an error answer into a BerthError of the right kind with the registry's
// own message.
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { BerthError, type ErrorKind } from '../../common/errors.js';
import { DEFAULT_DOMAIN } from '../../common/reference.js';
import { Authenticator, registryMessage, type Credentials } from './auth.js';
import { Transport, isInsecure, isTlsHandshakeError, type Endpoint, type TransportOptions } from './transport.js';

export interface RegistryClientOptions extends TransportOptions {
  credentials?: Credentials;
  /** mirrors of docker.io, tried before it (daemon's registry-mirrors) */
  mirrors?: string[];
}

/** An error answer from a registry: its HTTP status and spec error code. */
export class RegistryError extends BerthError {
  constructor(kind: ErrorKind, message: string, readonly status: number, readonly code?: string) {
    super(kind, message);
  }
}

function kindFor(status: number): ErrorKind {
  return status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : status === 404 ? 'NotFound' : status === 400 || status === 416 ? 'InvalidArgument' : status === 409 ? 'Conflict' : status >= 500 ? 'Unavailable' : 'Internal';
}

export async function readAll(res: IncomingMessage, limit = 8 << 20): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of res) {
    n += (c as Buffer).length;
    if (n > limit) {
      res.destroy();
      throw new BerthError('InvalidArgument', `registry answer is over ${limit} bytes`);
    }
    parts.push(c as Buffer);
  }
  return Buffer.concat(parts);
}

/** Turn a non-2xx answer into a RegistryError ("unauthorized: authentication required"). */
export async function errorFrom(res: IncomingMessage, what: string): Promise<RegistryError> {
  const status = res.statusCode ?? 500;
  const text = (await readAll(res, 1 << 20).catch(() => Buffer.alloc(0))).toString('utf8');
  const { code, message } = registryMessage(text);
  const codeText = code ? code.toLowerCase().replace(/_/g, ' ') : '';
  let msg: string;
  if (status === 401) msg = `unauthorized: ${message || 'authentication required'}`;
  else if (status === 403) msg = `denied: ${message || 'requested access to the resource is denied'}`;
  else if (code) msg = `${codeText}: ${message}`;
  else msg = `${what}: unexpected HTTP status ${status}${message ? `: ${message}` : ''}`;
  return new RegistryError(kindFor(status), msg, status, code);
}

export interface SendOptions {
  method: string;
  /** path and query below the endpoint, "/v2/..." or an absolute URL (upload locations) */
  path: string;
  scopes: string[];
  headers?: Record<string, string>;
  /** a body, or a function making it again for the retry after a challenge */
  body?: Buffer | string | (() => Readable);
}

export class RegistryClient {
  readonly transport: Transport;
  readonly auth: Authenticator;
  private endpointP: Promise<Endpoint> | undefined;

  constructor(readonly domain: string, readonly opts: RegistryClientOptions = {}) {
    this.transport = new Transport(opts);
    this.auth = new Authenticator(this.transport, opts.credentials);
  }

  /** Candidates in order: mirrors (docker.io only), https, and http for insecure hosts. */
  private candidates(): Endpoint[] {
    if (this.domain === DEFAULT_DOMAIN) {
      const mirrors = (this.opts.mirrors ?? []).map((m): Endpoint => {
        const u = new URL(m);
        return { host: u.host, scheme: u.protocol === 'http:' ? 'http' : 'https' };
      });
      return [...mirrors, { host: 'registry-1.docker.io', scheme: 'https' }];
    }
    const out: Endpoint[] = [{ host: this.domain, scheme: 'https' }];
    if (isInsecure(this.domain, this.opts.insecureRegistries)) out.push({ host: this.domain, scheme: 'http' });
    return out;
  }

  /** The endpoint that answers /v2/ (any HTTP status counts as an answer). */
  endpoint(): Promise<Endpoint> {
    return (this.endpointP ??= (async () => {
      const cands = this.candidates();
      let last: unknown;
      for (let i = 0; i < cands.length; i++) {
        const ep = cands[i]!;
        try {
          const res = await this.transport.send({ method: 'GET', url: `${ep.scheme}://${ep.host}/v2/` });
          if (res.statusCode === 401) this.auth.learn(res, []);
          res.resume();
          return ep;
        } catch (err) {
          last = err;
          // https → http only when the host is insecure and the failure is the TLS handshake or a refused port
          const next = cands[i + 1];
          if (next && next.host === ep.host && !isTlsHandshakeError(err) && (err as { code?: string }).code !== 'ECONNREFUSED') break;
        }
      }
      this.endpointP = undefined;
      throw last;
    })());
  }

  async baseUrl(): Promise<string> {
    const ep = await this.endpoint();
    return `${ep.scheme}://${ep.host}`;
  }

  /** Send with authentication; answers one challenge. The caller checks the status (401s are already errors). */
  async send(o: SendOptions): Promise<IncomingMessage> {
    const base = await this.baseUrl();
    const url = /^https?:\/\//.test(o.path) ? o.path : base + o.path;
    for (let attempt = 0; ; attempt++) {
      const authz = await this.auth.header(o.scopes);
      const body = typeof o.body === 'function' ? o.body() : o.body;
      const res = await this.transport.send({ method: o.method, url, headers: { ...(o.headers ?? {}), ...(authz ? { Authorization: authz } : {}) }, ...(body !== undefined ? { body } : {}) });
      if (res.statusCode === 401 && attempt === 0 && this.auth.learn(res, o.scopes)) {
        res.resume();
        if (body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body)) body.destroy();
        continue;
      }
      if (res.statusCode === 401 || res.statusCode === 403) throw await errorFrom(res, `${o.method} ${url}`);
      return res;
    }
  }

  /** Check credentials (`docker login`): GET /v2/ with authentication. */
  async checkLogin(): Promise<void> {
    const res = await this.send({ method: 'GET', path: '/v2/', scopes: [] });
    if ((res.statusCode ?? 500) >= 300) throw await errorFrom(res, 'GET /v2/');
    res.resume();
  }

  close(): void {
    this.transport.close();
  }
}
