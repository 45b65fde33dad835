// The conformance suite every ContentStore implementation runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { sha256, type Digest } from '../../common/digest.js';
import { isKind } from '../../common/errors.js';
import type { ContentStore } from '../content.js';

async function readAll(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

export function contentStoreSuite(name: string, make: () => Promise<{ store: ContentStore; corrupt?: (d: Digest) => Promise<void>; cleanup: () => Promise<void> }>): void {
  const withStore = (title: string, fn: (s: ContentStore, corrupt?: (d: Digest) => Promise<void>) => Promise<void>) =>
    test(`${name}: ${title}`, async () => {
      const { store, corrupt, cleanup } = await make();
      try {
        await fn(store, corrupt);
      } finally {
        await cleanup();
      }
    });

  withStore('put, info, readBlob round trip', async (s) => {
    const data = Buffer.from('hello berth');
    const { digest, size } = await s.put(data);
    assert.equal(digest, sha256(data));
    assert.equal(size, data.length);
    assert.equal((await s.info(digest)).size, data.length);
    assert.deepEqual(await s.readBlob(digest), data);
    assert.equal(await s.exists(digest), true);
  });

  withStore('missing blob is NotFound', async (s) => {
    const d = sha256('nope');
    await assert.rejects(s.info(d), (e) => isKind(e, 'NotFound') && /not found/.test(String(e)));
    await assert.rejects(s.reader(d), (e) => isKind(e, 'NotFound'));
    assert.equal(await s.exists(d), false);
  });

  withStore('a wrong expected digest or size commits nothing', async (s) => {
    const data = Buffer.from('abc');
    const w = await s.writer({ expected: sha256('other') });
    await w.write(data);
    await assert.rejects(w.commit(), (e) => isKind(e, 'InvalidArgument') && /digest mismatch/.test(String(e)));
    assert.equal(await s.exists(sha256(data)), false);
    const w2 = await s.writer();
    await w2.write(data);
    await assert.rejects(w2.commit(99), /size mismatch/);
    assert.equal(await s.exists(sha256(data)), false);
  });

  withStore('concurrent writers of one digest: one commits, the other learns it exists', async (s) => {
    const data = Buffer.alloc(256 * 1024, 7);
    const [a, b] = await Promise.all([s.writer(), s.writer()]);
    await Promise.all([a.write(data), b.write(data)]);
    const results = await Promise.allSettled([a.commit(), b.commit()]);
    const ok = results.filter((r) => r.status === 'fulfilled');
    const exists = results.filter((r) => r.status === 'rejected' && isKind(r.reason, 'AlreadyExists'));
    assert.equal(ok.length, 1);
    assert.equal(exists.length, 1);
    assert.deepEqual(await s.readBlob(sha256(data)), data);
    // ingest() and put() treat an existing blob as success
    assert.equal((await s.ingest(Readable.from([data]))).digest, sha256(data));
    assert.equal((await s.put(data)).digest, sha256(data));
  });

  withStore('an aborted or unfinished write leaves no visible blob', async (s) => {
    const data = Buffer.from('partial');
    const w = await s.writer();
    await w.write(data);
    await w.abort();
    assert.equal(await s.exists(sha256(data)), false);
    const w2 = await s.writer({ ref: 'crash' });
    await w2.write(data);
    await w2.close(); // as if the writer died here
    assert.equal(await s.exists(sha256(data)), false);
    for await (const i of s.list()) assert.notEqual(i.digest, sha256(data));
  });

  withStore('a ref writer resumes where the last one stopped', async (s) => {
    const whole = Buffer.from('0123456789abcdef');
    const w1 = await s.writer({ ref: 'pull-layer' });
    await w1.write(whole.subarray(0, 6));
    await assert.rejects(s.writer({ ref: 'pull-layer' }), (e) => isKind(e, 'Conflict'));
    await w1.close();
    const w2 = await s.writer({ ref: 'pull-layer', expected: sha256(whole) });
    assert.equal(w2.offset, 6);
    await w2.write(whole.subarray(6));
    assert.equal((await w2.commit()).digest, sha256(whole));
  });

  withStore('reader streams, ranges, and detects corruption', async (s, corrupt) => {
    const data = Buffer.alloc(300_000);
    for (let i = 0; i < data.length; i++) data[i] = i % 251;
    const { digest } = await s.ingest(Readable.from([data.subarray(0, 1000), data.subarray(1000)]));
    assert.deepEqual(await readAll(await s.reader(digest)), data);
    assert.deepEqual(await readAll(await s.reader(digest, { start: 10, end: 19 })), data.subarray(10, 20));
    if (corrupt) {
      await corrupt(digest);
      await assert.rejects(readAll(await s.reader(digest)), /corrupted blob/);
      await assert.rejects(s.readBlob(digest), /corrupted blob/);
    }
  });

  withStore('list and delete', async (s) => {
    const a = await s.put(Buffer.from('a'));
    const b = await s.put(Buffer.from('b'));
    const listed = new Set<string>();
    for await (const i of s.list()) listed.add(i.digest);
    assert.ok(listed.has(a.digest) && listed.has(b.digest));
    await s.delete(a.digest);
    assert.equal(await s.exists(a.digest), false);
    await assert.rejects(s.delete(a.digest), (e) => isKind(e, 'NotFound'));
  });
}
