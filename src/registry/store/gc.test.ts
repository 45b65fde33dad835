// Online GC: what it deletes, what it keeps, and that pushes running while it
// collects stay whole.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
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

describe('online garbage collection', () => {
  it('deletes unreferenced blobs past the grace period, keeps the rest; dry run deletes nothing', async () => {
    const reg = await startTestRegistry((c) => (c.gc.graceSec = 60));
    try {
      const img = makeImage([randomBytes(1000)]);
      await pushImage(reg.url, 'gc/app', 'v1', img);
      const stray = randomBytes(5000);
      const young = randomBytes(100);
      await request('POST', reg.url, `/v2/gc/app/blobs/uploads/?digest=${sha256(stray)}`, { body: stray });
      await request('POST', reg.url, `/v2/gc/app/blobs/uploads/?digest=${sha256(young)}`, { body: young });
      await age(blobFile(reg, sha256(stray)), 3600);
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
      c.gc.untagged = true;
    });
    try {
      // old garbage for every cycle to chew on
      for (let i = 0; i < 20; i++) {
        const b = randomBytes(2000);
        await request('POST', reg.url, `/v2/gc/busy/blobs/uploads/?digest=${sha256(b)}`, { body: b });
        await age(blobFile(reg, sha256(b)), 3600);
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
});
