// The conformance suite every Snapshotter implementation runs: what the
// interface in index.ts promises, checked without looking at how an
// implementation stores things.
import { afterEach, beforeEach, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { sha256 } from '../common/digest.js';
import { isKind } from '../common/errors.js';
import { chainId } from './chain.js';
import type { Snapshotter } from './index.js';
import { gzip, makeTar, zstd } from './testtar.js';

export interface SnapshotterFixture {
  snapshotter: Snapshotter;
  /** release everything the fixture made (directories, databases) */
  cleanup(): Promise<void>;
}

function stream(b: Buffer): Readable {
  // Several chunks, so that implementations see a real stream.
  const chunks: Buffer[] = [];
  for (let i = 0; i < b.length; i += 1000) chunks.push(b.subarray(i, i + 1000));
  return Readable.from(chunks);
}

async function rejectsKind(p: Promise<unknown>, kind: string, re?: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isKind(err, kind as never), `expected ${kind}, got ${String(err)}`);
    if (re) assert.match((err as Error).message, re);
    return true;
  });
}

export function snapshotterConformance(name: string, factory: () => Promise<SnapshotterFixture>): void {
  describe(`Snapshotter conformance: ${name}`, () => {
    let fx: SnapshotterFixture;
    let s: Snapshotter;
    let base: Buffer;
    let second: Buffer;
    beforeEach(async () => {
      fx = await factory();
      s = fx.snapshotter;
      base = await makeTar([
        { name: 'etc/', type: 'directory', mode: 0o755 },
        { name: 'etc/hostname', body: 'berth\n' },
        { name: 'big', body: Buffer.alloc(256 * 1024, 7) },
      ]);
      second = await makeTar([{ name: 'etc/motd', body: 'hello\n' }]);
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    it('reports the content size: file bytes plus symlink targets', async () => {
      const t = await makeTar([
        { name: 'a', body: 'hello' },
        { name: 'l', type: 'symlink', linkname: 'a' },
      ]);
      const r = await s.applyLayer(null, stream(t));
      assert.equal(r.contentSize, 5 + 1);
      assert.equal((await s.applyLayer(null, stream(base))).contentSize, 'berth\n'.length + 256 * 1024);
    });

    it('takes a parent settled later, and commits nothing when it is rejected', async () => {
      const b = await s.applyLayer(null, stream(base));
      let settle!: (p: string | null) => void;
      const later = new Promise<string | null>((r) => (settle = r));
      const pending = s.applyLayer(later as Promise<never>, stream(second));
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(await s.exists(chainId(b.chainId, sha256(second))), false, 'not committed before its parent is known');
      settle(b.chainId);
      const r = await pending;
      assert.equal(r.chainId, chainId(b.chainId, sha256(second)));
      assert.equal(await s.exists(r.chainId), true);
      const other = await makeTar([{ name: 'x', body: 'x' }]);
      await assert.rejects(s.applyLayer(Promise.reject(new Error('no image wants this layer')), stream(other)), /no image wants this layer/);
      const keys = (await s.list()).map((x) => x.key);
      assert.equal(keys.includes(sha256(other)), false);
      assert.equal(keys.length, 2);
    });

    it('applies a base layer under its chain ID, which is its diffID', async () => {
      const r = await s.applyLayer(null, stream(base));
      assert.equal(r.diffId, sha256(base));
      assert.equal(r.chainId, r.diffId);
      assert.equal(r.size, base.length);
      assert.equal(await s.exists(r.chainId), true);
      const l = await s.list();
      assert.equal(l.length, 1);
      assert.deepEqual({ key: l[0]!.key, kind: l[0]!.kind, parent: l[0]!.parent }, { key: r.chainId, kind: 'committed', parent: undefined });
      assert.ok(l[0]!.created instanceof Date);
    });

    it('chains a child layer onto its parent', async () => {
      const a = await s.applyLayer(null, stream(base));
      const b = await s.applyLayer(a.chainId, stream(second));
      assert.equal(b.chainId, chainId(a.chainId, sha256(second)));
      const info = (await s.list()).find((i) => i.key === b.chainId);
      assert.equal(info?.parent, a.chainId);
    });

    it('detects gzip and zstd and digests the uncompressed bytes', async (t) => {
      const g = await s.applyLayer(null, stream(gzip(base)));
      assert.equal(g.diffId, sha256(base));
      assert.equal(g.size, base.length);
      const z = zstd(second);
      if (!z) return t.skip('zstd command not installed');
      const r = await s.applyLayer(g.chainId, stream(z));
      assert.equal(r.diffId, sha256(second));
    });

    it('refuses content that does not match expectedDiffId and commits nothing', async () => {
      const wrong = sha256('something else');
      await rejectsKind(s.applyLayer(null, stream(base), { expectedDiffId: wrong }), 'InvalidArgument', /does not match/);
      assert.deepEqual(await s.list(), []);
      assert.equal(await s.exists(sha256(base)), false);
    });

    it('keeps one snapshot when the same layer is applied twice, also concurrently', async () => {
      const [a, b] = await Promise.all([s.applyLayer(null, stream(base)), s.applyLayer(null, stream(base))]);
      assert.equal(a.chainId, b.chainId);
      const c = await s.applyLayer(null, stream(base));
      assert.equal(c.chainId, a.chainId);
      assert.equal((await s.list()).length, 1);
    });

    it('still reads and verifies a layer that is already committed', async () => {
      const a = await s.applyLayer(null, stream(base));
      const src = stream(base);
      const r = await s.applyLayer(null, src, { expectedDiffId: a.diffId });
      assert.equal(r.chainId, a.chainId);
      assert.equal(r.size, base.length);
      assert.equal(src.readableEnded, true);
      await rejectsKind(s.applyLayer(null, stream(second), { expectedDiffId: a.diffId }), 'InvalidArgument', /does not match/);
    });

    it('refuses an unknown parent', async () => {
      await rejectsKind(s.applyLayer(sha256('nope'), stream(base)), 'NotFound');
      await rejectsKind(s.prepare('c1', sha256('nope')), 'NotFound');
      assert.deepEqual(await s.list(), []);
    });

    it('refuses a broken archive with InvalidArgument and keeps nothing', async () => {
      await rejectsKind(s.applyLayer(null, stream(Buffer.alloc(3000, 0x41))), 'InvalidArgument', /^layer: invalid tar archive/);
      await rejectsKind(s.applyLayer(null, stream(base.subarray(0, 2000))), 'InvalidArgument', /unexpected end of data/);
      assert.deepEqual(await s.list(), []);
    });

    it('fails cleanly when the layer stream itself fails', async () => {
      const broken = new Readable({
        read() {
          this.push(base.subarray(0, 4096));
          this.destroy(new Error('connection reset'));
        },
      });
      await assert.rejects(s.applyLayer(null, broken), /connection reset/);
      assert.deepEqual(await s.list(), []);
    });

    it('prepares active snapshots, with and without a parent', async () => {
      const a = await s.applyLayer(null, stream(base));
      const m = await s.prepare('ctr-1', a.chainId);
      assert.ok(m.length > 0);
      assert.deepEqual(await s.mounts('ctr-1'), m);
      assert.ok((await s.prepare('ctr-2', null)).length > 0);
      assert.equal(await s.exists('ctr-1'), false, 'exists() is for committed snapshots');
      const info = (await s.list()).find((i) => i.key === 'ctr-1');
      assert.deepEqual({ kind: info?.kind, parent: info?.parent }, { kind: 'active', parent: a.chainId });
      await rejectsKind(s.prepare('ctr-1', a.chainId), 'AlreadyExists');
      await rejectsKind(s.prepare(a.chainId, null), 'AlreadyExists');
    });

    it('gives mounts for committed snapshots and NotFound for unknown keys', async () => {
      const a = await s.applyLayer(null, stream(base));
      const b = await s.applyLayer(a.chainId, stream(second));
      assert.ok((await s.mounts(a.chainId)).length > 0);
      assert.ok((await s.mounts(b.chainId)).length > 0);
      await rejectsKind(s.mounts('nope'), 'NotFound');
    });

    it('removes snapshots, refusing one that has children', async () => {
      const a = await s.applyLayer(null, stream(base));
      const b = await s.applyLayer(a.chainId, stream(second));
      await s.prepare('ctr', b.chainId);
      await rejectsKind(s.remove(a.chainId), 'Conflict');
      await rejectsKind(s.remove(b.chainId), 'Conflict');
      await s.remove('ctr');
      await s.remove(b.chainId);
      await s.remove(a.chainId);
      assert.deepEqual(await s.list(), []);
      assert.equal(await s.exists(a.chainId), false);
      await rejectsKind(s.remove(a.chainId), 'NotFound');
      // The same layer can come back after removal.
      const again = await s.applyLayer(null, stream(base));
      assert.equal(again.chainId, a.chainId);
    });

    it('reports disk usage of a snapshot', async () => {
      const a = await s.applyLayer(null, stream(base));
      assert.ok((await s.usage(a.chainId)) >= 256 * 1024);
      await rejectsKind(s.usage('nope'), 'NotFound');
    });
  });
}
