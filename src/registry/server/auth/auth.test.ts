// Auth flows: htpasswd basic auth, bearer tokens from the built-in token
// service with per-repository scopes, denied pushes, and TLS.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import bcrypt from 'bcryptjs';
import { makeImage, pushImage, request, startTestRegistry, type TestRegistry } from '../../testing.js';

const basic = (u: string, p: string) => ({ Authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });

function parseChallenge(h: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of String(h).matchAll(/(\w+)="([^"]*)"/g)) out[m[1]!] = m[2]!;
  return out;
}

describe('registry auth', () => {
  let dir: string;
  let htpasswd: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'berth-registry-auth-'));
    htpasswd = path.join(dir, 'htpasswd');
    const lines = [`alice:${bcrypt.hashSync('wonderland', 4)}`, `bob:${bcrypt.hashSync('builder', 4).replace(/^\$2b\$/, '$2y$')}`];
    await writeFile(htpasswd, lines.join('\n') + '\n');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('htpasswd basic', () => {
    let reg: TestRegistry;
    before(async () => {
      reg = await startTestRegistry((c) => {
        c.auth.htpasswd = { realm: 'berth-test', path: htpasswd };
        c.auth.access = [
          { account: 'alice', name: '*', actions: ['pull', 'push', 'delete'] },
          { account: 'bob', name: '*', actions: ['pull'] },
          { account: 'anonymous', name: 'public/*', actions: ['pull'] },
        ];
      });
    });
    after(async () => {
      await reg.stop();
    });

    it('challenges without credentials and accepts good ones', async () => {
      const r = await request('GET', reg.url, '/v2/');
      assert.equal(r.status, 401);
      assert.equal(r.code(), 'UNAUTHORIZED');
      assert.equal(r.headers['www-authenticate'], 'Basic realm="berth-test"');
      assert.equal((await request('GET', reg.url, '/v2/', { headers: basic('alice', 'nope') })).status, 401);
      assert.equal((await request('GET', reg.url, '/v2/', { headers: basic('alice', 'wonderland') })).status, 200);
      assert.equal((await request('GET', reg.url, '/v2/', { headers: basic('bob', 'builder') })).status, 200);
    });

    it('lets alice push and bob pull, denies bob a push', async () => {
      const img = makeImage([randomBytes(32)]);
      assert.equal((await pushImage(reg.url, 'team/app', 'v1', img, basic('alice', 'wonderland'))).status, 201);
      assert.equal((await request('GET', reg.url, '/v2/team/app/manifests/v1', { headers: basic('bob', 'builder') })).status, 200);
      const denied = await request('POST', reg.url, '/v2/team/app/blobs/uploads/', { headers: basic('bob', 'builder') });
      assert.equal(denied.status, 403);
      assert.equal(denied.code(), 'DENIED');
      assert.equal((await request('DELETE', reg.url, `/v2/team/app/manifests/${img.digest}`, { headers: basic('bob', 'builder') })).status, 403);
    });

    it('lets anonymous pull only where the rules say', async () => {
      const img = makeImage([randomBytes(8)]);
      await pushImage(reg.url, 'public/app', 'v1', img, basic('alice', 'wonderland'));
      assert.equal((await request('GET', reg.url, '/v2/public/app/manifests/v1')).status, 200);
      assert.equal((await request('GET', reg.url, '/v2/team/app/manifests/v1')).status, 401);
    });
  });

  describe('bearer tokens', () => {
    let reg: TestRegistry;
    before(async () => {
      reg = await startTestRegistry((c) => {
        c.auth.htpasswd = { realm: 'berth-test', path: htpasswd };
        c.auth.token = { service: 'berth-test', issuer: 'berth-test-issuer', expiration: 60 };
        c.auth.access = [
          { account: 'alice', name: '*', actions: ['*'] },
          { account: 'bob', name: 'team/*', actions: ['pull'] },
        ];
      });
    });
    after(async () => {
      await reg.stop();
    });

    async function token(realm: string, service: string, scope: string, headers: Record<string, string> = {}): Promise<string> {
      const u = new URL(realm);
      const r = await request('GET', reg.url, `${u.pathname}?service=${encodeURIComponent(service)}&scope=${encodeURIComponent(scope)}`, { headers });
      assert.equal(r.status, 200, r.body.toString());
      return r.json<{ token: string }>().token;
    }

    it('follows the challenge → token → retry flow with scopes', async () => {
      const r = await request('POST', reg.url, '/v2/team/app/blobs/uploads/');
      assert.equal(r.status, 401);
      const ch = parseChallenge(r.headers['www-authenticate']);
      assert.match(String(r.headers['www-authenticate']), /^Bearer /);
      assert.equal(ch.realm, `${reg.url}/token`);
      assert.equal(ch.service, 'berth-test');
      assert.equal(ch.scope, 'repository:team/app:pull,push');
      const t = await token(ch.realm!, ch.service!, ch.scope!, basic('alice', 'wonderland'));
      const img = makeImage([randomBytes(16)]);
      assert.equal((await pushImage(reg.url, 'team/app', 'v1', img, { Authorization: `Bearer ${t}` })).status, 201);
      // a token for one repository does not open another
      const other = await request('GET', reg.url, '/v2/team/other/tags/list', { headers: { Authorization: `Bearer ${t}` } });
      assert.equal(other.status, 401);
      assert.match(String(other.headers['www-authenticate']), /error="insufficient_scope"/);
    });

    it('grants bob pull but not push: the denied push stays 401 with insufficient scope', async () => {
      const t = await token(`${reg.url}/token`, 'berth-test', 'repository:team/app:pull,push', basic('bob', 'builder'));
      const payload = JSON.parse(Buffer.from(t.split('.')[1]!, 'base64url').toString()) as { access: { actions: string[] }[]; sub: string };
      assert.equal(payload.sub, 'bob');
      assert.deepEqual(payload.access[0]!.actions, ['pull']);
      const auth = { Authorization: `Bearer ${t}` };
      assert.equal((await request('GET', reg.url, '/v2/team/app/manifests/v1', { headers: auth })).status, 200);
      const push = await request('POST', reg.url, '/v2/team/app/blobs/uploads/', { headers: auth });
      assert.equal(push.status, 401);
      assert.equal(push.code(), 'UNAUTHORIZED');
    });

    it('refuses bad credentials at the token endpoint and forged tokens', async () => {
      const bad = await request('GET', reg.url, '/token?service=berth-test&scope=repository:team/app:pull', { headers: basic('alice', 'x') });
      assert.equal(bad.status, 401);
      const forged = ['eyJhbGciOiJIUzI1NiJ9', Buffer.from('{"access":[{"type":"repository","name":"team/app","actions":["push"]}]}').toString('base64url'), 'c2ln'].join('.');
      const r = await request('GET', reg.url, '/v2/team/app/tags/list', { headers: { Authorization: `Bearer ${forged}` } });
      assert.equal(r.status, 401);
      assert.match(String(r.headers['www-authenticate']), /invalid_token/);
    });

    it('accepts the OAuth2 password grant (POST)', async () => {
      const form = new URLSearchParams({ grant_type: 'password', username: 'alice', password: 'wonderland', service: 'berth-test', scope: 'repository:team/app:pull' });
      const r = await request('POST', reg.url, '/token', { body: form.toString(), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
      assert.equal(r.status, 200);
      const t = r.json<{ access_token: string }>().access_token;
      assert.equal((await request('GET', reg.url, '/v2/team/app/tags/list', { headers: { Authorization: `Bearer ${t}` } })).status, 200);
    });
  });

  describe('TLS', () => {
    it('serves HTTPS with the configured certificate', async (t) => {
      const cert = path.join(dir, 'cert.pem');
      const key = path.join(dir, 'key.pem');
      try {
        execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
      } catch {
        t.skip('openssl is not installed: cannot make a test certificate');
        return;
      }
      const reg = await startTestRegistry((c) => (c.tls = { certificate: cert, key }));
      try {
        assert.match(reg.url, /^https:/);
        const r = await request('GET', reg.url, '/v2/', { ca: await readFile(cert) });
        assert.equal(r.status, 200);
      } finally {
        await reg.stop();
      }
    });
  });
});
