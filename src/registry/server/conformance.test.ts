// Walks the OCI distribution spec (pull, push, content discovery, content
// management) against a running registry on 127.0.0.1.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { sha256 } from '../../common/digest.js';
import { makeImage, pushImage, request, startTestRegistry, type TestRegistry } from '../testing.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';

describe('OCI distribution conformance', () => {
  let reg: TestRegistry;
  let base: string;
  before(async () => {
    reg = await startTestRegistry();
    base = reg.url;
  });
  after(async () => {
    await reg.stop();
  });

  describe('pull', () => {
    const img = makeImage([randomBytes(4096), randomBytes(100_000)]);
    before(async () => {
      assert.equal((await pushImage(base, 'pull/app', 'v1', img)).status, 201);
    });

    it('GET /v2/ answers 200 with the API version header', async () => {
      const r = await request('GET', base, '/v2/');
      assert.equal(r.status, 200);
      assert.equal(r.headers['docker-distribution-api-version'], 'registry/2.0');
    });

    it('gets a manifest by tag and by digest, HEAD without a body', async () => {
      for (const ref of ['v1', img.digest]) {
        const r = await request('GET', base, `/v2/pull/app/manifests/${ref}`, { headers: { Accept: OCI_MANIFEST } });
        assert.equal(r.status, 200);
        assert.ok(r.body.equals(img.manifest));
        assert.equal(r.headers['content-type'], OCI_MANIFEST);
        assert.equal(r.headers['docker-content-digest'], img.digest);
        const h = await request('HEAD', base, `/v2/pull/app/manifests/${ref}`);
        assert.equal(h.status, 200);
        assert.equal(h.body.length, 0);
        assert.equal(Number(h.headers['content-length']), img.manifest.length);
        assert.equal(h.headers['docker-content-digest'], img.digest);
      }
    });

    it('a reference that names nothing (the suite\'s .INVALID_MANIFEST_NAME) is a 404 on read, refused on write', async () => {
      for (const method of ['GET', 'HEAD', 'DELETE']) {
        const r = await request(method, base, '/v2/pull/app/manifests/.INVALID_MANIFEST_NAME');
        assert.equal(r.status, 404, method);
        if (method !== 'HEAD') assert.equal(r.code(), 'MANIFEST_UNKNOWN', method);
      }
      // an unknown repository is still NAME_UNKNOWN
      assert.equal((await request('GET', base, '/v2/pull/none/manifests/.INVALID_MANIFEST_NAME')).code(), 'NAME_UNKNOWN');
      const put = await request('PUT', base, '/v2/pull/app/manifests/.INVALID_MANIFEST_NAME', { body: img.manifest, headers: { 'Content-Type': OCI_MANIFEST } });
      assert.equal(put.status, 400);
      assert.equal(put.code(), 'MANIFEST_INVALID');
      assert.equal((await request('GET', base, '/v2/pull/app/manifests/v1')).status, 200, 'the image is untouched');
    });

    it('negotiates media types', async () => {
      const no = await request('GET', base, '/v2/pull/app/manifests/v1', { headers: { Accept: DOCKER_MANIFEST } });
      assert.equal(no.status, 404);
      assert.equal(no.code(), 'MANIFEST_UNKNOWN');
      const yes = await request('GET', base, '/v2/pull/app/manifests/v1', { headers: { Accept: `${DOCKER_MANIFEST}, ${OCI_MANIFEST};q=0.9` } });
      assert.equal(yes.status, 200);
    });

    it('gets blobs, whole and by range', async () => {
      const layer = img.layers[1]!;
      const d = sha256(layer);
      const r = await request('GET', base, `/v2/pull/app/blobs/${d}`);
      assert.equal(r.status, 200);
      assert.ok(r.body.equals(layer));
      assert.equal(r.headers['docker-content-digest'], d);
      const h = await request('HEAD', base, `/v2/pull/app/blobs/${d}`);
      assert.equal(Number(h.headers['content-length']), layer.length);
      const part = await request('GET', base, `/v2/pull/app/blobs/${d}`, { headers: { Range: 'bytes=10-19' } });
      assert.equal(part.status, 206);
      assert.equal(part.headers['content-range'], `bytes 10-19/${layer.length}`);
      assert.ok(part.body.equals(layer.subarray(10, 20)));
      const tail = await request('GET', base, `/v2/pull/app/blobs/${d}`, { headers: { Range: 'bytes=-5' } });
      assert.ok(tail.body.equals(layer.subarray(layer.length - 5)));
    });

    it('stores Docker schema2 manifests and manifest lists', async () => {
      const cfg = Buffer.from('{"architecture":"arm64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
      await request('POST', base, `/v2/pull/docker/blobs/uploads/?digest=${sha256(cfg)}`, { body: cfg });
      const m = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: DOCKER_MANIFEST,
          config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: sha256(cfg), size: cfg.length },
          layers: [],
        }),
      );
      const put = await request('PUT', base, '/v2/pull/docker/manifests/arm', { body: m, headers: { 'Content-Type': DOCKER_MANIFEST } });
      assert.equal(put.status, 201, put.body.toString());
      const list = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: DOCKER_LIST,
          manifests: [{ mediaType: DOCKER_MANIFEST, digest: sha256(m), size: m.length, platform: { architecture: 'arm64', os: 'linux' } }],
        }),
      );
      assert.equal((await request('PUT', base, '/v2/pull/docker/manifests/latest', { body: list, headers: { 'Content-Type': DOCKER_LIST } })).status, 201);
      const got = await request('GET', base, '/v2/pull/docker/manifests/latest', { headers: { Accept: `${DOCKER_LIST},${OCI_INDEX}` } });
      assert.equal(got.headers['content-type'], DOCKER_LIST);
      assert.ok(got.body.equals(list));
    });
  });

  describe('push', () => {
    it('POST then PUT', async () => {
      const blob = randomBytes(300_000);
      const post = await request('POST', base, '/v2/push/a/blobs/uploads/');
      assert.equal(post.status, 202);
      const loc = post.headers.location!;
      assert.match(loc, /^\/v2\/push\/a\/blobs\/uploads\/[0-9a-f-]{36}$/);
      const put = await request('PUT', base, `${loc}?digest=${sha256(blob)}`, { body: blob, headers: { 'Content-Type': 'application/octet-stream' } });
      assert.equal(put.status, 201);
      assert.equal(put.headers.location, `/v2/push/a/blobs/${sha256(blob)}`);
      assert.ok((await request('GET', base, put.headers.location!)).body.equals(blob));
    });

    it('chunked, with status, out-of-order 416, closing PUT without body', async () => {
      const blob = randomBytes(250_000);
      const d = sha256(blob);
      const post = await request('POST', base, '/v2/push/b/blobs/uploads/');
      let loc = post.headers.location!;
      const p1 = await request('PATCH', base, loc, { body: blob.subarray(0, 100_000), headers: { 'Content-Range': '0-99999', 'Content-Type': 'application/octet-stream' } });
      assert.equal(p1.status, 202);
      assert.equal(p1.headers.range, '0-99999');
      loc = p1.headers.location!;
      const st = await request('GET', base, loc);
      assert.equal(st.status, 204);
      assert.equal(st.headers.range, '0-99999');
      const bad = await request('PATCH', base, loc, { body: blob.subarray(150_000), headers: { 'Content-Range': `150000-${blob.length - 1}` } });
      assert.equal(bad.status, 416);
      const p2 = await request('PATCH', base, loc, { body: blob.subarray(100_000), headers: { 'Content-Range': `100000-${blob.length - 1}` } });
      assert.equal(p2.status, 202);
      assert.equal(p2.headers.range, `0-${blob.length - 1}`);
      const put = await request('PUT', base, `${p2.headers.location}?digest=${d}`);
      assert.equal(put.status, 201);
      assert.ok((await request('GET', base, `/v2/push/b/blobs/${d}`)).body.equals(blob));
    });

    it('final chunk in the closing PUT; streamed PATCH without Content-Range', async () => {
      const blob = randomBytes(70_000);
      const post = await request('POST', base, '/v2/push/c/blobs/uploads/');
      const p1 = await request('PATCH', base, post.headers.location!, { body: blob.subarray(0, 50_000) });
      assert.equal(p1.status, 202);
      const put = await request('PUT', base, `${p1.headers.location}?digest=${sha256(blob)}`, {
        body: blob.subarray(50_000),
        headers: { 'Content-Range': `50000-${blob.length - 1}` },
      });
      assert.equal(put.status, 201, put.body.toString());
    });

    it('resumes an upload after a broken connection', async () => {
      const blob = randomBytes(2 * 1024 * 1024);
      const post = await request('POST', base, '/v2/push/resume/blobs/uploads/');
      const loc = post.headers.location!;
      await request('PATCH', base, loc, { body: blob, killAfter: 512 * 1024, headers: { 'Content-Range': `0-${blob.length - 1}` } });
      let st = await request('GET', base, loc);
      for (let i = 0; i < 20 && st.status !== 204; i++) st = await request('GET', base, loc);
      assert.equal(st.status, 204);
      const have = Number(/^0-(\d+)$/.exec(String(st.headers.range))![1]) + 1;
      assert.ok(have > 0 && have <= 512 * 1024, `server kept ${have} bytes`);
      const rest = await request('PATCH', base, loc, { body: blob.subarray(have), headers: { 'Content-Range': `${have}-${blob.length - 1}` } });
      assert.equal(rest.status, 202, rest.body.toString());
      const put = await request('PUT', base, `${loc}?digest=${sha256(blob)}`);
      assert.equal(put.status, 201, put.body.toString());
      assert.ok((await request('GET', base, `/v2/push/resume/blobs/${sha256(blob)}`)).body.equals(blob));
    });

    it('mounts a blob from another repository, falls back to an upload otherwise', async () => {
      const blob = randomBytes(1000);
      const d = sha256(blob);
      await request('POST', base, `/v2/mount/src/blobs/uploads/?digest=${d}`, { body: blob });
      const m = await request('POST', base, `/v2/mount/dst/blobs/uploads/?mount=${d}&from=mount/src`);
      assert.equal(m.status, 201);
      assert.equal(m.headers['docker-content-digest'], d);
      assert.ok((await request('GET', base, `/v2/mount/dst/blobs/${d}`)).body.equals(blob));
      const miss = await request('POST', base, `/v2/mount/dst/blobs/uploads/?mount=${sha256('nope')}&from=mount/src`);
      assert.equal(miss.status, 202);
      assert.ok(miss.headers.location);
    });

    it('concurrent pushes of the same blob all succeed and leave one whole blob', async () => {
      const blob = randomBytes(1024 * 1024);
      const d = sha256(blob);
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => request('POST', base, `/v2/push/same${i % 2}/blobs/uploads/?digest=${d}`, { body: blob })),
      );
      for (const r of results) assert.equal(r.status, 201, r.body.toString());
      for (const repo of ['push/same0', 'push/same1']) assert.ok((await request('GET', base, `/v2/${repo}/blobs/${d}`)).body.equals(blob));
    });

    it('cancels an upload', async () => {
      const post = await request('POST', base, '/v2/push/cancel/blobs/uploads/');
      assert.equal((await request('DELETE', base, post.headers.location!)).status, 204);
      const st = await request('GET', base, post.headers.location!);
      assert.equal(st.status, 404);
      assert.equal(st.code(), 'BLOB_UPLOAD_UNKNOWN');
    });

    it('puts a manifest by digest with ?tag= parameters', async () => {
      const img = makeImage([randomBytes(10)]);
      await pushImage(base, 'push/tags', 'first', img);
      const r = await request('PUT', base, `/v2/push/tags/manifests/${img.digest}?tag=x&tag=y`, { body: img.manifest, headers: { 'Content-Type': OCI_MANIFEST } });
      assert.equal(r.status, 201);
      assert.equal(r.headers.location, `/v2/push/tags/manifests/${img.digest}`);
      const tags = (await request('GET', base, '/v2/push/tags/tags/list')).json<{ tags: string[] }>();
      assert.deepEqual(tags.tags, ['first', 'x', 'y']);
    });
  });

  describe('content discovery', () => {
    const img = makeImage([randomBytes(50)]);
    before(async () => {
      for (const t of ['a', 'b', 'c', 'd', 'e']) assert.equal((await pushImage(base, 'disc/app', t, img)).status, 201);
    });

    it('lists tags with n and last, with a Link header', async () => {
      const all = await request('GET', base, '/v2/disc/app/tags/list');
      assert.deepEqual(all.json(), { name: 'disc/app', tags: ['a', 'b', 'c', 'd', 'e'] });
      const p1 = await request('GET', base, '/v2/disc/app/tags/list?n=2');
      assert.deepEqual(p1.json<{ tags: string[] }>().tags, ['a', 'b']);
      assert.equal(p1.headers.link, '</v2/disc/app/tags/list?n=2&last=b>; rel="next"');
      const p2 = await request('GET', base, '/v2/disc/app/tags/list?n=2&last=b');
      assert.deepEqual(p2.json<{ tags: string[] }>().tags, ['c', 'd']);
      const p3 = await request('GET', base, '/v2/disc/app/tags/list?n=2&last=d');
      assert.deepEqual(p3.json<{ tags: string[] }>().tags, ['e']);
      assert.equal(p3.headers.link, undefined);
      assert.deepEqual((await request('GET', base, '/v2/disc/app/tags/list?n=0')).json<{ tags: string[] }>().tags, []);
    });

    it('lists the catalog', async () => {
      const r = await request('GET', base, '/v2/_catalog');
      const repos = r.json<{ repositories: string[] }>().repositories;
      assert.ok(repos.includes('disc/app') && repos.includes('pull/app'));
      assert.deepEqual([...repos].sort(), repos);
      const page = await request('GET', base, '/v2/_catalog?n=1');
      assert.equal(page.json<{ repositories: string[] }>().repositories.length, 1);
      assert.match(String(page.headers.link), /rel="next"/);
    });

    it('serves referrers with the artifactType filter and OCI-Subject', async () => {
      const empty = Buffer.from('{}');
      await request('POST', base, `/v2/disc/app/blobs/uploads/?digest=${sha256(empty)}`, { body: empty });
      const sig = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          artifactType: 'application/vnd.example.sig',
          config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(empty), size: 2 },
          layers: [{ mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(empty), size: 2 }],
          subject: { mediaType: OCI_MANIFEST, digest: img.digest, size: img.manifest.length },
          annotations: { 'org.example.who': 'tester' },
        }),
      );
      const put = await request('PUT', base, `/v2/disc/app/manifests/${sha256(sig)}`, { body: sig, headers: { 'Content-Type': OCI_MANIFEST } });
      assert.equal(put.status, 201);
      assert.equal(put.headers['oci-subject'], img.digest);
      const r = await request('GET', base, `/v2/disc/app/referrers/${img.digest}`);
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-type'], OCI_INDEX);
      const idx = r.json<{ manifests: { digest: string; artifactType: string; size: number; annotations: Record<string, string> }[] }>();
      assert.equal(idx.manifests.length, 1);
      assert.equal(idx.manifests[0]!.digest, sha256(sig));
      assert.equal(idx.manifests[0]!.artifactType, 'application/vnd.example.sig');
      assert.equal(idx.manifests[0]!.size, sig.length);
      assert.equal(idx.manifests[0]!.annotations['org.example.who'], 'tester');
      const f = await request('GET', base, `/v2/disc/app/referrers/${img.digest}?artifactType=application/other`);
      assert.equal(f.headers['oci-filters-applied'], 'artifactType');
      assert.equal(f.json<{ manifests: unknown[] }>().manifests.length, 0);
      const none = await request('GET', base, `/v2/disc/app/referrers/${sha256('nothing')}`);
      assert.equal(none.status, 200);
      assert.equal(none.json<{ manifests: unknown[] }>().manifests.length, 0);
    });
  });

  describe('content management', () => {
    it('deletes tags, manifests and blobs', async () => {
      const img = makeImage([randomBytes(64)]);
      await pushImage(base, 'mgmt/app', 'keep', img);
      await pushImage(base, 'mgmt/app', 'drop', img);
      assert.equal((await request('DELETE', base, '/v2/mgmt/app/manifests/drop')).status, 202);
      assert.equal((await request('GET', base, '/v2/mgmt/app/manifests/drop')).status, 404);
      assert.equal((await request('GET', base, `/v2/mgmt/app/manifests/${img.digest}`)).status, 200);
      assert.equal((await request('DELETE', base, `/v2/mgmt/app/manifests/${img.digest}`)).status, 202);
      const gone = await request('GET', base, `/v2/mgmt/app/manifests/${img.digest}`);
      assert.equal(gone.status, 404);
      assert.equal(gone.code(), 'MANIFEST_UNKNOWN');
      assert.deepEqual((await request('GET', base, '/v2/mgmt/app/tags/list')).json<{ tags: string[] }>().tags, []);
      const d = sha256(img.layers[0]!);
      assert.equal((await request('DELETE', base, `/v2/mgmt/app/blobs/${d}`)).status, 202);
      const b = await request('GET', base, `/v2/mgmt/app/blobs/${d}`);
      assert.equal(b.status, 404);
      assert.equal(b.code(), 'BLOB_UNKNOWN');
    });

    it('refuses deletes when they are disabled', async () => {
      const ro = await startTestRegistry((c) => (c.deleteEnabled = false));
      try {
        const img = makeImage([randomBytes(8)]);
        await pushImage(ro.url, 'r/app', 't', img);
        const r = await request('DELETE', ro.url, `/v2/r/app/manifests/${img.digest}`);
        assert.equal(r.status, 405);
        assert.equal(r.code(), 'UNSUPPORTED');
        assert.equal((await request('DELETE', ro.url, `/v2/r/app/blobs/${sha256(img.layers[0]!)}`)).status, 405);
      } finally {
        await ro.stop();
      }
    });
  });
});
