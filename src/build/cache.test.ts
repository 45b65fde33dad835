import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import type { Digest } from '../common/digest.js';
import { BuildCache, cacheKey, type StepRecord } from './cache.js';

/** A database as berthd opens it (WAL), in a directory of its own. */
function openDb(t: { after: (fn: () => void) => void }, setup?: (db: Database.Database) => void): { db: Database.Database; file: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-cache-test-'));
  const file = path.join(dir, 'berth.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  setup?.(db);
  t.after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { db, file };
}

const fileBytes = (file: string) => [file, `${file}-wal`].reduce((n, f) => n + (existsSync(f) ? statSync(f).size : 0), 0);
const turn = () => new Promise<void>((r) => setImmediate(r));

const layerRec: StepRecord = {
  entry: { created: '2026-01-01T00:00:00Z', created_by: '/bin/sh -c echo hi > /f' },
  layer: { descriptor: { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${'1'.repeat(64)}` as Digest, size: 120 }, diffId: `sha256:${'2'.repeat(64)}` as Digest },
};
const envRec: StepRecord = { entry: { created: '2026-01-01T00:00:01Z', created_by: '/bin/sh -c #(nop)  ENV A=1', empty_layer: true } };

test('a record is the step itself: read back before and after it is written', async (t) => {
  const { db } = openDb(t);
  const cache = new BuildCache(db);
  cache.put('k1', layerRec);
  cache.put('k2', envRec);
  assert.deepEqual(cache.get('k1'), layerRec, 'queued records are found');
  assert.equal(db.prepare('SELECT count(*) FROM build_steps').pluck().get(), 0, 'not written yet');
  await turn();
  assert.equal(db.prepare('SELECT count(*) FROM build_steps').pluck().get(), 2, 'written at the next turn of the event loop, together');
  assert.deepEqual(new BuildCache(db).get('k1'), layerRec);
  assert.deepEqual(new BuildCache(db).get('k2'), envRec);
  assert.equal(cache.get('nope'), undefined);
  const row = db.prepare('SELECT length(key) + length(entry) + coalesce(length(layer), 0) + coalesce(length(diff_id), 0) FROM build_steps WHERE key = ?').pluck().get('k1') as number;
  assert.ok(row < 400, `a record with a layer is ${row} bytes`);
});

test('a record that does not read as one is a miss and goes', async (t) => {
  const { db } = openDb(t);
  const cache = new BuildCache(db);
  const ins = db.prepare('INSERT INTO build_steps (key, entry, layer, diff_id, created) VALUES (?, ?, ?, ?, 0)');
  ins.run('bad-json', '{', null, null);
  ins.run('layer-missing', JSON.stringify({ created_by: 'RUN x' }), null, null);
  ins.run('empty-with-layer', JSON.stringify({ empty_layer: true }), JSON.stringify(layerRec.layer!.descriptor), layerRec.layer!.diffId);
  ins.run('bad-diff-id', JSON.stringify({ created_by: 'RUN x' }), JSON.stringify(layerRec.layer!.descriptor), 'md5:x');
  for (const k of ['bad-json', 'layer-missing', 'empty-with-layer', 'bad-diff-id']) assert.equal(cache.get(k), undefined, k);
  assert.equal(db.prepare('SELECT count(*) FROM build_steps').pluck().get(), 0);
});

test('a database of the old cache: its table of whole configs goes, auto_vacuum is turned on and the file shrinks', (t) => {
  const { db, file } = openDb(t, (db) => {
    db.exec('CREATE TABLE images (id TEXT PRIMARY KEY)');
    db.exec('CREATE TABLE build_cache (key TEXT PRIMARY KEY, config TEXT NOT NULL, layers TEXT NOT NULL, created INTEGER NOT NULL)');
    const ins = db.prepare('INSERT INTO build_cache VALUES (?, ?, ?, 0)');
    const config = JSON.stringify({ history: Array.from({ length: 1500 }, (_, i) => ({ created_by: `ENV V${i}=${i}` })) });
    db.transaction(() => {
      for (let i = 0; i < 300; i++) ins.run(cacheKey([i]), config, '[]');
    })();
    db.prepare("INSERT INTO images VALUES ('kept')").run();
    db.pragma('wal_checkpoint(TRUNCATE)');
  });
  const before = fileBytes(file);
  assert.ok(before > 10_000_000, `the old cache takes ${before} bytes`);
  const cache = new BuildCache(db);
  assert.deepEqual(cache.migration, { droppedLegacy: true, vacuumed: true });
  db.pragma('wal_checkpoint(TRUNCATE)');
  assert.equal(db.pragma('auto_vacuum', { simple: true }), 2);
  assert.equal(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'build_cache'").pluck().get(), 0);
  assert.equal(db.prepare('SELECT id FROM images').pluck().get(), 'kept', 'the rest of the database is there');
  assert.ok(fileBytes(file) < 200_000, `${before} -> ${fileBytes(file)} bytes`);
  assert.deepEqual(new BuildCache(db).migration, { droppedLegacy: false, vacuumed: false }, 'once');
});

test('prune deletes every record, gives the pages back to the file system and says how many bytes, between turns of the event loop', async (t) => {
  const { db, file } = openDb(t);
  const cache = new BuildCache(db);
  for (let i = 0; i < 5000; i++) cache.put(cacheKey([i]), i % 10 ? envRec : layerRec);
  cache.flush();
  db.prepare('INSERT INTO build_link_cache (key, layer, diff_id, created) VALUES (?, NULL, NULL, 0)').run('link');
  cache.put('queued', envRec);
  const before = fileBytes(file);
  let turns = 0;
  let ticking = true;
  const tick = () => {
    turns++;
    if (ticking) setImmediate(tick);
  };
  setImmediate(tick);
  const r = await cache.prune();
  ticking = false;
  const after = fileBytes(file);
  assert.equal(r.records, 5002, 'the steps, the queued one and the --link record');
  assert.ok(r.reclaimed > 0 && after < before, `${before} -> ${after}`);
  assert.equal(r.reclaimed, before - after);
  assert.equal(db.pragma('freelist_count', { simple: true }), 0, 'no free page is left in the file');
  assert.equal(db.prepare('SELECT count(*) FROM build_steps').pluck().get(), 0);
  assert.equal(cache.get('queued'), undefined);
  assert.ok(turns > 5, `the event loop had ${turns} turns during the prune`);
});
