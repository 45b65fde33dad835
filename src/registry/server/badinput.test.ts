// Bad input gets the spec's error codes: bad digests, bad ranges, unknown
// repositories, path tricks, oversized or invalid manifests, killed uploads.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import * as path from 'node:path';
import { sha256 } from '../../common/digest.js';
import { makeImage, pushImage, request, startTestRegistry, type TestRegistry } from '../testing.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

describe('bad input', () => {
  let reg: TestRegistry;
  let base: string;
  const img = makeImage([randomBytes(100)]);
  before(async () => {
    reg = await startTestRegistry((c) => {
      c.gc.uploadTtlSec = 0;
      c.gc.graceSec = 0;
    });
    base = reg.url;
    assert.equal((await pushImage(base, 'bad/app', 'v1', img)).status, 201);
  });
  after(async () => {
    await reg.stop();
  });

  it('bad digests → DIGEST_INVALID', async () => {
    for (const d of ['sha256:xyz', 'sha256:' + 'A'.repeat(64), 'md5:abc']) {
      const r = await request('GET', base, `/v2/bad/app/blobs/${d}`);
      assert.equal(r.status, 400, d);
      assert.equal(r.code(), 'DIGEST_INVALID', d);
    }
    const blob = Buffer.from('content');
    const wrong = await request('POST', base, `/v2/bad/app/blobs/uploads/?digest=${sha256('other')}`, { body: blob });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.code(), 'DIGEST_INVALID');
    assert.equal((await request('HEAD', base, `/v2/bad/app/blobs/${sha256('other')}`)).status, 404);
    assert.equal((await request('HEAD', base, `/v2/bad/app/blobs/${sha256(blob)}`)).status, 404);
    const post = await request('POST', base, '/v2/bad/app/blobs/uploads/');
    const nodigest = await request('PUT', base, post.headers.location!, { body: blob });
    assert.equal(nodigest.code(), 'DIGEST_INVALID');
    const m = await request('PUT', base, `/v2/bad/app/manifests/${sha256('not the manifest')}`, { body: img.manifest, headers: { 'Content-Type': OCI_MANIFEST } });
    assert.equal(m.status, 400);
    assert.equal(m.code(), 'DIGEST_INVALID');
  });

  it('bad ranges → 416', async () => {
    const d = sha256(img.layers[0]!);
    for (const range of ['bytes=1000-2000', 'bytes=50-10', 'bytes=a-b', 'items=0-1', 'bytes=0-1,5-6']) {
      const r = await request('GET', base, `/v2/bad/app/blobs/${d}`, { headers: { Range: range } });
      assert.equal(r.status, 416, range);
      assert.equal(r.headers['content-range'], 'bytes */100', range);
    }
    const post = await request('POST', base, '/v2/bad/app/blobs/uploads/');
    const mismatch = await request('PATCH', base, post.headers.location!, { body: Buffer.alloc(10), headers: { 'Content-Range': '0-4' } });
    assert.equal(mismatch.status, 416);
    const garbage = await request('PATCH', base, post.headers.location!, { body: Buffer.alloc(10), headers: { 'Content-Range': 'zero-ten' } });
    assert.equal(garbage.status, 416);
  });

  it('a chunk refused with SIZE_INVALID leaves the upload as it was; the corrected retry fits', async () => {
    const blob = randomBytes(300_000);
    const post = await request('POST', base, '/v2/bad/chunks/blobs/uploads/');
    let loc = post.headers.location!;
    const first = await request('PATCH', base, loc, { body: blob.subarray(0, 100_000), headers: { 'Content-Range': '0-99999' } });
    assert.equal(first.status, 202);
    loc = first.headers.location!;
    // without a Content-Length only the body itself can show the range was a lie: longer, then shorter
    for (const wrong of [blob.subarray(100_000, 250_000), blob.subarray(100_000, 150_000)]) {
      const r = await request('PATCH', base, loc, { body: wrong, chunked: true, headers: { 'Content-Range': '100000-199999' } });
      assert.equal(r.status, 400, r.body.toString());
      assert.equal(r.code(), 'SIZE_INVALID');
      const status = await request('GET', base, loc);
      assert.equal(status.status, 204);
      assert.equal(status.headers.range, '0-99999', 'the refused bytes are not in the upload');
    }
    const retry = await request('PATCH', base, loc, { body: blob.subarray(100_000, 200_000), chunked: true, headers: { 'Content-Range': '100000-199999' } });
    assert.equal(retry.status, 202, retry.body.toString());
    assert.equal(retry.headers.range, '0-199999');
    // the last chunk with the PUT; the digest comes from the running hash, which must not have kept the refused bytes
    const put = await request('PUT', base, `${retry.headers.location!}?digest=${sha256(blob)}`, { body: blob.subarray(200_000), headers: { 'Content-Range': `200000-${blob.length - 1}` } });
    assert.equal(put.status, 201, put.body.toString());
    const got = await request('GET', base, `/v2/bad/chunks/blobs/${sha256(blob)}`);
    assert.ok(got.body.equals(blob));
  });

  it('unknown repositories, manifests, blobs and uploads', async () => {
    const cases: [string, string, string][] = [
      ['GET', '/v2/no/such/manifests/latest', 'NAME_UNKNOWN'],
      ['GET', '/v2/no/such/tags/list', 'NAME_UNKNOWN'],
      ['GET', `/v2/no/such/blobs/${sha256('x')}`, 'NAME_UNKNOWN'],
      ['GET', '/v2/bad/app/manifests/nope', 'MANIFEST_UNKNOWN'],
      ['GET', `/v2/bad/app/blobs/${sha256('x')}`, 'BLOB_UNKNOWN'],
      ['GET', '/v2/bad/app/blobs/uploads/00000000-0000-0000-0000-000000000000', 'BLOB_UPLOAD_UNKNOWN'],
      ['PATCH', '/v2/bad/app/blobs/uploads/not-an-id', 'BLOB_UPLOAD_UNKNOWN'],
    ];
    for (const [method, p, code] of cases) {
      const r = await request(method, base, p);
      assert.equal(r.status, 404, p);
      assert.equal(r.code(), code, p);
    }
    // a blob another repository has is not visible here
    const other = await request('GET', base, `/v2/other/repo/blobs/${sha256(img.layers[0]!)}`);
    assert.equal(other.status, 404);
  });

  it('path tricks and invalid names → NAME_INVALID, nothing written outside the root', async () => {
    const tricks = [
      '/v2/a/../b/manifests/latest',
      '/v2/../../etc/manifests/latest',
      '/v2/a/%2e%2e/b/tags/list',
      '/v2/UPPER/manifests/latest',
      '/v2/a//b/tags/list',
      '/v2/a/_layers/tags/list',
      `/v2/${'a'.repeat(256)}/tags/list`,
      '/v2/-a/blobs/uploads/',
    ];
    for (const p of tricks) {
      const r = await request(p.endsWith('uploads/') ? 'POST' : 'GET', base, p);
      assert.equal(r.status, 400, p);
      assert.equal(r.code(), 'NAME_INVALID', p);
    }
    assert.deepEqual((await readdir(reg.root)).sort(), ['data']);
    assert.deepEqual((await readdir(path.join(reg.root, 'data'))).sort(), ['blobs', 'repositories']);
  });

  it('oversized and invalid manifests', async () => {
    const big = Buffer.alloc(4 * 1024 * 1024 + 1, 0x20);
    const r = await request('PUT', base, '/v2/bad/app/manifests/big', { body: big, headers: { 'Content-Type': OCI_MANIFEST } });
    assert.equal(r.status, 413);
    assert.equal(r.code(), 'SIZE_INVALID');
    const bodies: [string, string][] = [
      ['not json', 'MANIFEST_INVALID'],
      ['{"schemaVersion":1,"name":"x"}', 'MANIFEST_INVALID'],
      ['{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{},"layers":[]}', 'MANIFEST_INVALID'],
      ['{"schemaVersion":2,"mediaType":"text/plain","config":{},"layers":[]}', 'MANIFEST_INVALID'],
    ];
    for (const [body, code] of bodies) {
      const x = await request('PUT', base, '/v2/bad/app/manifests/x', { body, headers: { 'Content-Type': OCI_MANIFEST } });
      assert.equal(x.status, 400, body);
      assert.equal(x.code(), code, body);
    }
    // The Content-Type decides the kind, as in distribution: a body without
    // mediaType sent as text/plain, or with no Content-Type, is refused; the
    // same body sent as an OCI manifest is fine (mediaType is optional).
    const bare = JSON.parse(img.manifest.toString()) as Record<string, unknown>;
    delete bare.mediaType;
    const bareBody = JSON.stringify(bare);
    for (const headers of [{ 'Content-Type': 'text/plain' }, {}, { 'Content-Type': 'application/json' }] as Record<string, string>[]) {
      const x = await request('PUT', base, '/v2/bad/app/manifests/bare', { body: bareBody, headers });
      assert.equal(x.status, 400, JSON.stringify(headers));
      assert.equal(x.code(), 'MANIFEST_INVALID', JSON.stringify(headers));
    }
    assert.equal((await request('GET', base, '/v2/bad/app/manifests/bare')).status, 404, 'nothing was tagged');
    // a body that says what it is still needs the header to agree
    const typed = await request('PUT', base, '/v2/bad/app/manifests/typed', { body: img.manifest, headers: { 'Content-Type': 'text/plain' } });
    assert.equal(typed.code(), 'MANIFEST_INVALID');
    const ok = await request('PUT', base, '/v2/bad/app/manifests/bare', { body: bareBody, headers: { 'Content-Type': `${OCI_MANIFEST}; charset=utf-8` } });
    assert.equal(ok.status, 201, ok.body.toString());
    const got = await request('GET', base, '/v2/bad/app/manifests/bare');
    assert.equal(got.headers['content-type'], OCI_MANIFEST);
    const badTag = await request('PUT', base, '/v2/bad/app/manifests/-tag', { body: img.manifest, headers: { 'Content-Type': OCI_MANIFEST } });
    assert.equal(badTag.status, 400);
  });

  it('manifests that reference missing content → MANIFEST_BLOB_UNKNOWN', async () => {
    const orphan = makeImage([randomBytes(10)]);
    const r = await request('PUT', base, '/v2/bad/app/manifests/orphan', { body: orphan.manifest, headers: { 'Content-Type': OCI_MANIFEST } });
    assert.equal(r.status, 400);
    assert.equal(r.code(), 'MANIFEST_BLOB_UNKNOWN');
    const index = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [{ mediaType: OCI_MANIFEST, digest: orphan.digest, size: orphan.manifest.length }],
    });
    const i = await request('PUT', base, '/v2/bad/app/manifests/idx', { body: index, headers: { 'Content-Type': 'application/vnd.oci.image.index.v1+json' } });
    assert.equal(i.code(), 'MANIFEST_BLOB_UNKNOWN');
    // a descriptor size that does not match the blob is invalid
    const lying = makeImage([img.layers[0]!]);
    const doc = JSON.parse(lying.manifest.toString()) as { layers: { size: number }[] };
    doc.layers[0]!.size = 5;
    const s = await request('PUT', base, '/v2/bad/app/manifests/lying', { body: JSON.stringify(doc), headers: { 'Content-Type': OCI_MANIFEST } });
    assert.equal(s.code(), 'MANIFEST_INVALID');
  });

  it('a killed upload leaves nothing visible and GC reclaims its space', async () => {
    const blob = randomBytes(1024 * 1024);
    const d = sha256(blob);
    await request('POST', base, `/v2/bad/killed/blobs/uploads/?digest=${d}`, { body: blob, killAfter: 256 * 1024 });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await request('HEAD', base, `/v2/bad/killed/blobs/${d}`)).status, 404);
    // a session killed mid-PATCH stays resumable until its TTL passes
    const post = await request('POST', base, '/v2/bad/killed/blobs/uploads/');
    await request('PATCH', base, post.headers.location!, { body: blob, killAfter: 256 * 1024 });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await request('HEAD', base, `/v2/bad/killed/blobs/${d}`)).status, 404);
    const uploads = path.join(reg.root, 'data', 'repositories', 'bad', 'killed', '_uploads');
    const before = await readdir(uploads).catch(() => []);
    assert.equal(before.length, 1);
    const report = await reg.gc();
    assert.ok(report.deletedUploads >= before.length, JSON.stringify(report));
    assert.deepEqual(await readdir(uploads).catch(() => []), []);
    // and the registry still serves what it had
    assert.equal((await request('GET', base, '/v2/bad/app/manifests/v1')).status, 200);
  });
});
