// The conformance suite every StorageDriver runs (distribution's
// testsuites.Driver idea): each implementation's test file calls
// runDriverSuite with a factory, so all drivers are held to one behaviour.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable, type Readable } from 'node:stream';
import { isKind } from '../../common/errors.js';
import type { StorageDriver } from './driver.js';

export interface DriverHarness {
  driver: StorageDriver;
  cleanup(): Promise<void>;
}

async function readAll(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(parts);
}

async function rejectsKind(p: Promise<unknown>, kind: 'NotFound' | 'InvalidArgument'): Promise<void> {
  await assert.rejects(p, (err: unknown) => isKind(err, kind));
}

export function runDriverSuite(label: string, make: () => Promise<DriverHarness>): void {
  describe(`storage driver conformance: ${label}`, () => {
    let h: DriverHarness;
    let d: StorageDriver;
    before(async () => {
      h = await make();
      d = h.driver;
    });
    after(async () => {
      await h.cleanup();
    });

    it('puts and gets small content, replacing it whole', async () => {
      await d.putContent('/a/b/c', Buffer.from('one'));
      assert.equal((await d.getContent('/a/b/c')).toString(), 'one');
      await d.putContent('/a/b/c', Buffer.from('two!'));
      assert.equal((await d.getContent('/a/b/c')).toString(), 'two!');
      const st = await d.stat('/a/b/c');
      assert.equal(st.size, 4);
      assert.equal(st.isDir, false);
      assert.equal((await d.stat('/a/b')).isDir, true);
    });

    it('reports NotFound for absent paths', async () => {
      await rejectsKind(d.getContent('/nope'), 'NotFound');
      await rejectsKind(d.stat('/nope/x'), 'NotFound');
      await rejectsKind(d.reader('/nope'), 'NotFound');
      await rejectsKind(d.list('/nope'), 'NotFound');
      await rejectsKind(d.delete('/nope'), 'NotFound');
      await rejectsKind(d.move('/nope', '/elsewhere'), 'NotFound');
    });

    it('rejects path tricks', async () => {
      for (const p of ['relative', '/a/../b', '/a//b', '/a/./b', '/a/b/', '/a\\b']) {
        await rejectsKind(d.getContent(p), 'InvalidArgument');
        await rejectsKind(d.putContent(p, Buffer.from('x')), 'InvalidArgument');
      }
    });

    it('lists direct children sorted', async () => {
      await d.putContent('/l/b/x', Buffer.from('1'));
      await d.putContent('/l/a', Buffer.from('2'));
      await d.putContent('/l/c/d/e', Buffer.from('3'));
      assert.deepEqual(await d.list('/l'), ['/l/a', '/l/b', '/l/c']);
    });

    it('reads from an offset and a length', async () => {
      const data = randomBytes(3 * 1024 * 1024 + 17);
      await d.putContent('/r/data', data);
      assert.ok((await readAll(await d.reader('/r/data'))).equals(data));
      assert.ok((await readAll(await d.reader('/r/data', 1000))).equals(data.subarray(1000)));
      assert.ok((await readAll(await d.reader('/r/data', 5, 100))).equals(data.subarray(5, 105)));
      assert.equal((await readAll(await d.reader('/r/data', 5, 0))).length, 0);
    });

    it('writes, resumes with append, commits', async () => {
      const a = randomBytes(100_000);
      const b = randomBytes(50_000);
      const w = await d.writer('/w/up/data', false);
      await w.write(a);
      assert.equal(w.size, a.length);
      await w.close();
      const w2 = await d.writer('/w/up/data', true);
      assert.equal(w2.size, a.length);
      await w2.write(b);
      await w2.commit();
      assert.ok((await d.getContent('/w/up/data')).equals(Buffer.concat([a, b])));
    });

    it('writes lists of chunks in order', async () => {
      const parts = Array.from({ length: 50 }, (_, i) => randomBytes(1000 + i * 37));
      const w = await d.writer('/w/vec/data', false);
      await w.write(parts.slice(0, 20));
      await w.write(parts[20]!);
      await w.write(parts.slice(21));
      await w.commit();
      assert.ok((await d.getContent('/w/vec/data')).equals(Buffer.concat(parts)));
    });

    it('copyTo (when offered) streams a range into a writable', async () => {
      if (!d.copyTo) return;
      const data = randomBytes(3 * 1024 * 1024 + 5);
      await d.putContent('/cp/data', data);
      const got: Buffer[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _e, cb) {
          got.push(Buffer.from(chunk));
          cb();
        },
      });
      await d.copyTo('/cp/data', sink, 7, data.length - 10);
      assert.ok(Buffer.concat(got).equals(data.subarray(7, data.length - 3)));
      const dead = new Writable({ write(_c, _e, cb) { setTimeout(() => cb(), 10); } });
      setTimeout(() => dead.destroy(), 5);
      await assert.rejects(d.copyTo('/cp/data', dead, 0, data.length));
      await rejectsKind(d.copyTo('/cp/none', sink, 0, 1), 'NotFound');
    });

    it('cancel removes what a writer wrote', async () => {
      const w = await d.writer('/w/cancel/data', false);
      await w.write(Buffer.from('partial'));
      await w.cancel();
      await rejectsKind(d.stat('/w/cancel/data'), 'NotFound');
    });

    it('abort drops what a writer appended, keeps what was there', async () => {
      const a = randomBytes(70_000);
      const w = await d.writer('/w/abort/data', false);
      await w.write(a);
      await w.commit();
      const w2 = await d.writer('/w/abort/data', true);
      await w2.write([randomBytes(30_000), randomBytes(5)]);
      await w2.abort();
      assert.equal(w2.size, a.length);
      assert.ok((await d.getContent('/w/abort/data')).equals(a));
      // and the file takes the right bytes next
      const b = randomBytes(10);
      const w3 = await d.writer('/w/abort/data', true);
      assert.equal(w3.size, a.length);
      await w3.write(b);
      await w3.commit();
      assert.ok((await d.getContent('/w/abort/data')).equals(Buffer.concat([a, b])));
      // a new file's writer aborts to an empty file
      const w4 = await d.writer('/w/abort/new', false);
      await w4.write(b);
      await w4.abort();
      assert.equal((await d.stat('/w/abort/new')).size, 0);
    });

    it('moves, replacing the destination', async () => {
      await d.putContent('/m/src', Buffer.from('new'));
      await d.putContent('/m/dst/file', Buffer.from('old'));
      await d.move('/m/src', '/m/dst/file');
      assert.equal((await d.getContent('/m/dst/file')).toString(), 'new');
      await rejectsKind(d.stat('/m/src'), 'NotFound');
      // immutable content can still be replaced by a move, touched and deleted
      await d.putContent('/m/imm1', Buffer.from('same'));
      await d.putContent('/m/imm2', Buffer.from('same'));
      await d.move('/m/imm1', '/m/immutable', true);
      await d.move('/m/imm2', '/m/immutable', true);
      await d.touch('/m/immutable');
      assert.equal((await d.getContent('/m/immutable')).toString(), 'same');
      await d.delete('/m/immutable');
    });

    it('concurrent writers of the same content leave one whole file', async () => {
      const data = randomBytes(2 * 1024 * 1024);
      await Promise.all(
        Array.from({ length: 8 }, async (_, i) => {
          const w = await d.writer(`/c/uploads/${i}/data`, false);
          for (let off = 0; off < data.length; off += 65536) await w.write(data.subarray(off, off + 65536));
          await w.commit();
          await d.move(`/c/uploads/${i}/data`, '/c/blob/data');
        }),
      );
      assert.ok((await d.getContent('/c/blob/data')).equals(data));
    });

    it('deletes files and trees', async () => {
      await d.putContent('/del/x/1', Buffer.from('1'));
      await d.putContent('/del/x/2/3', Buffer.from('3'));
      await d.putContent('/del/y', Buffer.from('y'));
      await d.delete('/del/x');
      assert.deepEqual(await d.list('/del'), ['/del/y']);
      await d.delete('/del/y');
      await rejectsKind(d.stat('/del/y'), 'NotFound');
    });

    it('touch moves the modification time forward', async () => {
      await d.putContent('/t/f', Buffer.from('x'));
      const before = (await d.stat('/t/f')).modTime.getTime();
      await new Promise((r) => setTimeout(r, 20));
      await d.touch('/t/f');
      assert.ok((await d.stat('/t/f')).modTime.getTime() > before);
      await rejectsKind(d.touch('/t/none'), 'NotFound');
    });
  });
}
