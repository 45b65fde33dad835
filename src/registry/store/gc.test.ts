// Online GC: what it deletes, what it keeps, and that pushes running while it
// collects stay whole.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { utimes, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { encodedOf, sha256, type Digest } from '../../common/digest.js';
import { purgeUploads } from './gc.js';
import { makeImage, pushImage, request, startTestRegistry, type TestRegistry } from '../testing.js';

function blobFile(reg: TestRegistry, d: Digest): string {
  const hex = encodedOf(d);
  return path.join(reg.root, 'data', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
}

async function age(file: string, seconds: number): Promise<void> {
  const t = new Date(Date.now() - seconds * 1000);
  await utimes(file, t, t);
}

function pendingFile(reg: TestRegistry, repo: string, d: Digest): string {
  return path.join(reg.root, 'data', 'repositories', repo, '_layers', 'sha256', encodedOf(d), 'pending');
}

/** As if the push that uploaded `d` into `repo` had been abandoned `seconds` ago. */
async function abandon(reg: TestRegistry, repo: string, d: Digest, seconds: number): Promise<void> {
  await age(blobFile(reg, d), seconds);
  await age(pendingFile(reg, repo, d), seconds);
}

describe('online garbage collection', () => {
  it('deletes unreferenced blobs past the grace period, keeps the rest; dry run deletes nothing', async () => {
    const reg = await startTestRegistry((c) => {
      c.gc.graceSec = 60;
      c.gc.uploadTtlSec = 600;
    });
    try {
      const img = makeImage([randomBytes(1000)]);
      await pushImage(reg.url, 'gc/app', 'v1', img);
      const stray = randomBytes(5000);
      const young = randomBytes(100);
      await request('POST', reg.url, `/v2/gc/app/blobs/uploads/?digest=${sha256(stray)}`, { body: stray });
      await request('POST', reg.url, `/v2/gc/app/blobs/uploads/?digest=${sha256(young)}`, { body: young });
      await abandon(reg, 'gc/app', sha256(stray), 3600);
      for (const b of [img.config, ...img.layers]) await age(blobFile(reg, sha256(b)), 3600);
      const dry = await reg.gc(true);
      assert.equal(dry.deletedBlobs, 1);
      assert.equal(dry.deletedBytes, 5000);
      // GET, not HEAD: a HEAD is a client about to skip an upload, and refreshes the blob
      assert.equal((await request('GET', reg.url, `/v2/gc/app/blobs/${sha256(stray)}`)).status, 200);
      const real = await reg.gc();
      assert.equal(real.deletedBlobs, 1);
      assert.equal((await request('GET', reg.url, `/v2/gc/app/blobs/${sha256(stray)}`)).status, 404);
      assert.equal((await request('HEAD', reg.url, `/v2/gc/app/blobs/${sha256(young)}`)).status, 200);
      for (const b of [img.config, ...img.layers]) assert.equal((await request('GET', reg.url, `/v2/gc/app/blobs/${sha256(b)}`)).status, 200);
      assert.equal((await request('GET', reg.url, '/v2/gc/app/manifests/v1')).status, 200);
    } finally {
      await reg.stop();
    }
  });

  it('optionally deletes untagged manifests and then their blobs', async () => {
    const reg = await startTestRegistry((c) => {
      c.gc.graceSec = 0;
      c.gc.untagged = true;
    });
    try {
      const tagged = makeImage([randomBytes(10)]);
      const untagged = makeImage([randomBytes(20)]);
      await pushImage(reg.url, 'gc/u', 'v1', tagged);
      await pushImage(reg.url, 'gc/u', 'v2', untagged);
      assert.equal((await request('DELETE', reg.url, '/v2/gc/u/manifests/v2')).status, 202);
      await new Promise((r) => setTimeout(r, 20));
      const report = await reg.gc();
      assert.equal(report.deletedManifests, 1);
      assert.equal((await request('GET', reg.url, `/v2/gc/u/manifests/${untagged.digest}`)).status, 404);
      assert.equal((await request('GET', reg.url, `/v2/gc/u/blobs/${sha256(untagged.layers[0]!)}`)).status, 404);
      assert.equal((await request('GET', reg.url, `/v2/gc/u/manifests/${tagged.digest}`)).status, 200);
      assert.equal((await request('GET', reg.url, `/v2/gc/u/blobs/${sha256(tagged.layers[0]!)}`)).status, 200);
    } finally {
      await reg.stop();
    }
  });

  it('reclaims upload sessions by idle time, not by age', async () => {
    const reg = await startTestRegistry((c) => (c.gc.uploadTtlSec = 60));
    try {
      const post = await request('POST', reg.url, '/v2/gc/up/blobs/uploads/');
      const id = post.headers['docker-upload-uuid'] as string;
      const dir = path.join(reg.root, 'data', 'repositories', 'gc', 'up', '_uploads', id);
      await writeFile(path.join(dir, 'startedat'), new Date(Date.now() - 3600_000).toISOString());
      await request('PATCH', reg.url, post.headers.location!, { body: randomBytes(100) });
      assert.equal(await purgeUploads(reg.registry, 60_000), 0, 'written to just now: kept');
      await age(path.join(dir, 'data'), 3600);
      assert.equal(await purgeUploads(reg.registry, 60_000), 1);
      assert.equal((await request('GET', reg.url, post.headers.location!)).code(), 'BLOB_UPLOAD_UNKNOWN');
    } finally {
      await reg.stop();
    }
  });

  it('pushes that run during collection stay complete', async () => {
    const reg = await startTestRegistry((c) => {
      c.gc.graceSec = 30;
      c.gc.uploadTtlSec = 600;
      c.gc.untagged = true;
    });
    try {
      // old garbage for every cycle to chew on
      for (let i = 0; i < 20; i++) {
        const b = randomBytes(2000);
        await request('POST', reg.url, `/v2/gc/busy/blobs/uploads/?digest=${sha256(b)}`, { body: b });
        await abandon(reg, 'gc/busy', sha256(b), 3600);
      }
      const pushed: { tag: string; img: ReturnType<typeof makeImage> }[] = [];
      let stop = false;
      const collector = (async () => {
        let cycles = 0;
        let deleted = 0;
        while (!stop) {
          deleted += (await reg.gc()).deletedBlobs;
          cycles++;
        }
        return { cycles, deleted };
      })();
      await Promise.all(
        Array.from({ length: 4 }, async (_, w) => {
          for (let i = 0; i < 10; i++) {
            const img = makeImage([randomBytes(3000), randomBytes(100)]);
            const tag = `w${w}-${i}`;
            const r = await pushImage(reg.url, 'gc/busy', tag, img);
            assert.equal(r.status, 201, r.body.toString());
            pushed.push({ tag, img });
          }
        }),
      );
      stop = true;
      const { cycles, deleted } = await collector;
      assert.ok(cycles >= 1);
      assert.equal(deleted, 20, 'the old garbage was collected while pushes ran');
      await reg.gc();
      for (const { tag, img } of pushed) {
        const m = await request('GET', reg.url, `/v2/gc/busy/manifests/${tag}`);
        assert.equal(m.status, 200, tag);
        for (const b of [img.config, ...img.layers]) assert.equal((await request('HEAD', reg.url, `/v2/gc/busy/blobs/${sha256(b)}`)).status, 200, tag);
      }
    } finally {
      await reg.stop();
    }
  });

  it('a push whose manifest comes after more than the grace period, with a GC between, succeeds', async () => {
    const reg = await startTestRegistry((c) => {
      c.gc.graceSec = 60;
      c.gc.uploadTtlSec = 86400;
    });
    try {
      const shared = randomBytes(700);
      const img = makeImage([randomBytes(3000), randomBytes(5000), shared]);
      const [config, monolithic, chunked] = [img.config, img.layers[0]!, img.layers[1]!];
      // the three ways a push makes a blob pullable: monolithic POST, POST+PATCH+PUT, a mount
      assert.equal((await request('POST', reg.url, `/v2/gc/late/blobs/uploads/?digest=${sha256(config)}`, { body: config })).status, 201);
      assert.equal((await request('POST', reg.url, `/v2/gc/late/blobs/uploads/?digest=${sha256(monolithic)}`, { body: monolithic })).status, 201);
      const post = await request('POST', reg.url, '/v2/gc/late/blobs/uploads/');
      const patch = await request('PATCH', reg.url, post.headers.location!, { body: chunked.subarray(0, 2000), headers: { 'Content-Range': '0-1999' } });
      assert.equal(patch.status, 202);
      const put = await request('PUT', reg.url, `${patch.headers.location!}${patch.headers.location!.includes('?') ? '&' : '?'}digest=${sha256(chunked)}`, { body: chunked.subarray(2000), headers: { 'Content-Range': `2000-${chunked.length - 1}` } });
      assert.equal(put.status, 201, put.body.toString());
      assert.equal((await request('POST', reg.url, `/v2/gc/other/blobs/uploads/?digest=${sha256(shared)}`, { body: shared })).status, 201);
      const mount = await request('POST', reg.url, `/v2/gc/late/blobs/uploads/?mount=${sha256(shared)}&from=gc/other`);
      assert.equal(mount.status, 201);
      // far more than the grace period passes (the blob files' times say so) before the manifest
      for (const b of [config, ...img.layers]) await age(blobFile(reg, sha256(b)), 3600);
      await age(pendingFile(reg, 'gc/other', sha256(shared)), 2 * 86400); // gc/other's own push was abandoned long ago
      const report = await reg.gc();
      assert.equal(report.deletedBlobs, 0, JSON.stringify(report));
      assert.equal(report.pendingBlobs, 4, JSON.stringify(report));
      const m = await request('PUT', reg.url, '/v2/gc/late/manifests/v1', { body: img.manifest, headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' } });
      assert.equal(m.status, 201, m.body.toString());
      for (const b of [config, ...img.layers]) {
        assert.equal((await request('GET', reg.url, `/v2/gc/late/blobs/${sha256(b)}`)).status, 200);
        assert.equal(existsSync(pendingFile(reg, 'gc/late', sha256(b))), false, 'the manifest settled the push');
      }
      // named by a manifest now, the blobs stay without any marker
      for (const b of [config, ...img.layers]) await age(blobFile(reg, sha256(b)), 3600);
      const after = await reg.gc();
      assert.equal(after.deletedBlobs, 0, JSON.stringify(after));
      assert.equal(after.pendingBlobs, 0, JSON.stringify(after));
      assert.equal((await request('GET', reg.url, '/v2/gc/late/manifests/v1')).status, 200);
    } finally {
      await reg.stop();
    }
  });

  it('a push abandoned for longer than the upload TTL is collected; a refused manifest leaves the push pending', async () => {
    const reg = await startTestRegistry((c) => {
      c.gc.graceSec = 60;
      c.gc.uploadTtlSec = 600;
    });
    try {
      const img = makeImage([randomBytes(1000)]);
      for (const b of [img.config, ...img.layers]) {
        assert.equal((await request('POST', reg.url, `/v2/gc/gone/blobs/uploads/?digest=${sha256(b)}`, { body: b })).status, 201);
      }
      // a manifest that lies about a size is refused and settles nothing
      const doc = JSON.parse(img.manifest.toString()) as { layers: { size: number }[] };
      doc.layers[0]!.size += 1;
      const bad = await request('PUT', reg.url, '/v2/gc/gone/manifests/v1', { body: JSON.stringify(doc), headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' } });
      assert.equal(bad.code(), 'MANIFEST_INVALID');
      for (const b of [img.config, ...img.layers]) assert.ok(existsSync(pendingFile(reg, 'gc/gone', sha256(b))));
      // a HEAD from the pushing client (about to skip the upload) refreshes the push
      await abandon(reg, 'gc/gone', sha256(img.config), 3600);
      assert.equal((await request('HEAD', reg.url, `/v2/gc/gone/blobs/${sha256(img.config)}`)).status, 200);
      await abandon(reg, 'gc/gone', sha256(img.layers[0]!), 3600);
      const report = await reg.gc();
      assert.equal(report.deletedBlobs, 1, JSON.stringify(report));
      assert.equal(report.pendingBlobs, 1, JSON.stringify(report));
      const late = await request('PUT', reg.url, '/v2/gc/gone/manifests/v1', { body: img.manifest, headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' } });
      assert.equal(late.status, 400);
      assert.equal(late.code(), 'MANIFEST_BLOB_UNKNOWN');
      assert.equal((await request('GET', reg.url, `/v2/gc/gone/blobs/${sha256(img.config)}`)).status, 200);
    } finally {
      await reg.stop();
    }
  });
});
