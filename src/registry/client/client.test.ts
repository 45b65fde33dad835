// The distribution client against berth's own registry in-process (anonymous,
// htpasswd basic, bearer tokens), and its parsing of challenges, insecure
// registries and certs.d folders.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import bcrypt from 'bcryptjs';
import { sha256 } from '../../common/digest.js';
import { kindOf } from '../../common/errors.js';
import { makeImage, pushImage, startTestRegistry, type TestRegistry } from '../testing.js';
import { parseChallenges } from './auth.js';
import { RegistryClient } from './client.js';
import { Repository } from './repository.js';
import { isInsecure, tlsFilesFor } from './transport.js';

describe('challenges, insecure hosts, certs.d', () => {
  it('parses bearer and basic challenges', () => {
    assert.deepEqual(parseChallenges('Bearer realm="http://127.0.0.1:5000/token",service="reg",scope="repository:a/b:pull,push"'), [
      { scheme: 'bearer', params: { realm: 'http://127.0.0.1:5000/token', service: 'reg', scope: 'repository:a/b:pull,push' } },
    ]);
    assert.deepEqual(parseChallenges('Basic realm="x"'), [{ scheme: 'basic', params: { realm: 'x' } }]);
    assert.deepEqual(parseChallenges(undefined), []);
  });
  it('treats loopback and configured hosts as insecure, others not', () => {
    assert.ok(isInsecure('127.0.0.1:5000'));
    assert.ok(isInsecure('127.3.4.5'));
    assert.ok(isInsecure('localhost:5000'));
    assert.ok(isInsecure('[::1]:5000'));
    assert.ok(!isInsecure('registry.example:5000'));
    assert.ok(isInsecure('registry.example:5000', ['registry.example:5000']));
    assert.ok(isInsecure('10.1.2.3:5000', ['10.0.0.0/8']));
    assert.ok(!isInsecure('11.1.2.3:5000', ['10.0.0.0/8']));
  });
  it('reads CAs and client pairs from <dir>/<host>/', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'berth-certs-'));
    try {
      await mkdir(path.join(dir, 'reg.example:5000'));
      await writeFile(path.join(dir, 'reg.example:5000', 'ca.crt'), 'CA');
      await writeFile(path.join(dir, 'reg.example:5000', 'client.cert'), 'CERT');
      await writeFile(path.join(dir, 'reg.example:5000', 'client.key'), 'KEY');
      const t = tlsFilesFor('reg.example:5000', [dir]);
      assert.deepEqual(t.ca?.map(String), ['CA']);
      assert.equal(String(t.cert), 'CERT');
      assert.equal(String(t.key), 'KEY');
      assert.deepEqual(tlsFilesFor('other:1', [dir]), {});
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('TLS', () => {
  it('reaches a loopback registry over HTTPS without verifying it, as docker treats insecure registries', async (t) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'berth-client-tls-'));
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    try {
      try {
        execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
      } catch {
        t.skip('openssl is not installed: cannot make a test certificate');
        return;
      }
      const reg = await startTestRegistry((c) => (c.tls = { certificate: cert, key }));
      const client = new RegistryClient(`127.0.0.1:${reg.port}`);
      try {
        await client.checkLogin();
        assert.equal((await client.endpoint()).scheme, 'https');
      } finally {
        client.close();
        await reg.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

for (const mode of ['anonymous', 'basic', 'bearer'] as const) {
  describe(`client against berth's registry (${mode})`, () => {
    let reg: TestRegistry;
    let dir: string;
    before(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'berth-client-'));
      const file = path.join(dir, 'htpasswd');
      await writeFile(file, `alice:${bcrypt.hashSync('pw', 4)}\n`);
      reg = await startTestRegistry((c) => {
        if (mode === 'anonymous') return;
        c.auth.htpasswd = { realm: 'test', path: file };
        if (mode === 'bearer') c.auth.token = { service: 'test', issuer: 'test', expiration: 300 };
        c.auth.access = [{ account: 'alice', name: '*', actions: ['pull', 'push'] }];
      });
    });
    after(async () => {
      await reg.stop();
      await rm(dir, { recursive: true, force: true });
    });
    const host = () => `127.0.0.1:${reg.port}`;

    it('uploads in chunks, mounts across repositories, reads ranges, pushes and fetches manifests', async () => {
      const client = new RegistryClient(host(), mode === 'anonymous' ? {} : { credentials: { username: 'alice', password: 'pw' } });
      try {
        await client.checkLogin();
        const repo = new Repository(client, 'team/app', true);
        const blob = randomBytes(300_000);
        const d = sha256(blob);
        let progress = 0;
        const r = await repo.pushBlob(d, blob.length, { open: async (off) => Readable.from([blob.subarray(off)]), chunkSize: 100_000, onProgress: (n) => (progress = n) });
        assert.equal(r, 'pushed');
        assert.equal(progress, blob.length);
        assert.equal(await repo.pushBlob(d, blob.length, { open: async () => Readable.from([blob]) }), 'exists');
        const other = new Repository(client, 'team/other', true);
        assert.equal(await other.pushBlob(d, blob.length, { open: async () => Readable.from([blob]), mountFrom: ['team/app'] }), 'mounted');
        const part = await repo.blob(d, 250_000);
        const got: Buffer[] = [];
        for await (const c of part.stream) got.push(c as Buffer);
        assert.equal(part.offset, 250_000);
        assert.ok(Buffer.concat(got).equals(blob.subarray(250_000)));
        const img = makeImage([blob]);
        for (const b of [img.config]) await repo.pushBlob(sha256(b), b.length, { open: async () => Readable.from([b]) });
        const md = await repo.putManifest('1', 'application/vnd.oci.image.manifest.v1+json', img.manifest);
        assert.equal(md, img.digest);
        const m = await repo.manifest('1');
        assert.equal(m.digest, img.digest);
        assert.equal(m.mediaType, 'application/vnd.oci.image.manifest.v1+json');
        await assert.rejects(repo.manifest('nope'), (e: Error) => kindOf(e) === 'NotFound' && /manifest unknown/.test(e.message));
      } finally {
        client.close();
      }
    });

    it('refuses wrong credentials with the registry message', { skip: mode === 'anonymous' ? 'no auth' : false }, async () => {
      const bad = new RegistryClient(host(), { credentials: { username: 'alice', password: 'wrong' } });
      try {
        await assert.rejects(bad.checkLogin(), (e: Error) => kindOf(e) === 'Unauthorized' && /^unauthorized: /.test(e.message));
      } finally {
        bad.close();
      }
      const anon = new RegistryClient(host());
      try {
        await pushImage(`http://${host()}`, 'x/y', '1', makeImage([Buffer.from('l')]), { Authorization: 'Basic ' + Buffer.from('alice:pw').toString('base64') }).catch(() => undefined);
        await assert.rejects(new Repository(anon, 'x/y').manifest('1'), (e: Error) => kindOf(e) === 'Unauthorized');
      } finally {
        anon.close();
      }
    });
  });
}
