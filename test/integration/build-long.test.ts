// A long Dockerfile (FROM + 3,000 ENV lines), as issue 11 found it: the build
// was quadratic (a whole image config copied, hashed and stored per step), it
// held berthd's event loop for the whole build (a _ping took 23 s), its cache
// table grew rows of up to a megabyte, and `builder prune` deleted them but
// gave no space back and said `0B`. Here: the build and its cached rebuild
// finish while berthd answers _ping throughout, the cache's rows stay small,
// and prune gives the pages back to the file system and says how much.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { TestDaemon, isRoot, ok, which } from '../helpers/daemon.js';
import { writeContext } from '../helpers/buildctx.js';
import { useContainerDaemon } from '../helpers/containers.js';
import { whileResponsive } from '../helpers/pingwatch.js';

const skip = !isRoot() ? 'needs root (overlay)' : !which('busybox') ? 'needs busybox-static' : false;
let d: TestDaemon;
// a daemon with busybox imported, whose containers are removed at the end
useContainerDaemon(skip, (x) => (d = x));

const LINES = 3000;
/**
 * Bytes a cache record may take in the database, pages and b-tree overhead
 * included. A record of a step holds its history entry (~120 bytes here);
 * one holding the whole config, as before, took ~190 KB on average at 3,000
 * lines.
 */
const MAX_BYTES_PER_RECORD = 1024;

const dockerfile = ['FROM busybox:latest', ...Array.from({ length: LINES }, (_, i) => `ENV V${i}=value-${i}`)].join('\n') + '\n';

const dbPath = () => path.join(d.dataRoot, 'berth.db');

function withDb<T>(fn: (db: Database.Database) => T): T {
  const db = new Database(dbPath(), { readonly: true, fileMustExist: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/** The build cache's tables (build_*): their rows, and the bytes of their pages and indexes (dbstat). */
function cacheFootprint(): { rows: number; bytes: number } {
  return withDb((db) => {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'build%'").pluck().all() as string[];
    let rows = 0;
    for (const t of tables) rows += db.prepare(`SELECT count(*) FROM "${t}"`).pluck().get() as number;
    const bytes = db.prepare("SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name IN (SELECT name FROM sqlite_master WHERE tbl_name LIKE 'build%')").pluck().get() as number;
    return { rows, bytes };
  });
}

/** berth.db and its write-ahead log, bytes on disk */
function dbFileBytes(): number {
  return [dbPath(), `${dbPath()}-wal`].reduce((n, f) => n + (existsSync(f) ? statSync(f).size : 0), 0);
}

/** docker's units.HumanSize ("1.234MB") back to bytes */
function parseSize(s: string): number {
  const m = /^([\d.]+)(B|kB|MB|GB|TB)$/.exec(s);
  assert.ok(m, `not a size: ${s}`);
  return Number(m[1]) * 1000 ** ['B', 'kB', 'MB', 'GB', 'TB'].indexOf(m[2]!);
}

let imageId = '';

test(`a ${LINES}-line Dockerfile builds while berthd answers _ping, and its cache records stay small`, { skip, timeout: 600_000 }, async () => {
  const ctx = writeContext(path.join(d.root, 'long'), { Dockerfile: dockerfile });
  const out = await whileResponsive(d.socket, `a ${LINES}-line build`, () => ok(d.berth(['build', '-t', 'long:1', ctx]), 'long build'));
  imageId = /Successfully built ([0-9a-f]{12})/.exec(out)?.[1] ?? '';
  assert.ok(imageId, out.slice(-2000));
  assert.equal(out.match(/^Step \d+\//gm)?.length, LINES + 1);
  const [img] = JSON.parse(ok(d.berth(['image', 'inspect', 'long:1']), 'inspect')) as { Id: string; Config: { Env: string[] } }[];
  assert.equal(img!.Id.slice(7, 19), imageId);
  assert.equal(img!.Config.Env.length, LINES + 1, 'PATH and every ENV');
  assert.equal(img!.Config.Env.at(-1), `V${LINES - 1}=value-${LINES - 1}`);
  const history = ok(d.berth(['history', '--format', '{{.CreatedBy}}', 'long:1']), 'history').replace(/\n$/, '').split('\n').length;
  assert.equal(history, LINES + 1, 'one history entry per ENV, and the base image');

  // the records are written after the steps, a turn of berthd's event loop later: wait for them
  let fp = cacheFootprint();
  for (let i = 0; i < 100 && fp.rows < LINES; i++) {
    await new Promise((r) => setTimeout(r, 50));
    fp = cacheFootprint();
  }
  assert.ok(fp.rows >= LINES, `a record per step: ${fp.rows}`);
  const perRow = fp.bytes / fp.rows;
  process.stdout.write(`# build cache: ${fp.rows} records, ${fp.bytes} bytes, ${perRow.toFixed(0)} bytes per record\n`);
  assert.ok(perRow < MAX_BYTES_PER_RECORD, `${perRow.toFixed(0)} bytes per cache record (bound ${MAX_BYTES_PER_RECORD})`);
});

test(`the ${LINES}-line Dockerfile again: every step from the cache, the same image, berthd answering _ping`, { skip, timeout: 600_000 }, async () => {
  assert.ok(imageId, 'the first build ran');
  const ctx = path.join(d.root, 'long');
  const out = await whileResponsive(d.socket, `a cached ${LINES}-line build`, () => ok(d.berth(['build', '-t', 'long:2', ctx]), 'cached build'));
  assert.equal(out.match(/---> Using cache\n/g)?.length, LINES);
  assert.match(out, new RegExp(`Successfully built ${imageId}\n`));
});

test('builder prune -a -f deletes the records, gives the pages back to the file system and reports what it freed', { skip, timeout: 120_000 }, async () => {
  assert.ok(cacheFootprint().rows >= LINES, 'the cache holds the long build');
  const before = dbFileBytes();
  const out = await whileResponsive(d.socket, 'builder prune', () => ok(d.berth(['builder', 'prune', '-a', '-f']), 'prune'));
  const after = dbFileBytes();
  const m = /^Total reclaimed space: (\S+)$/m.exec(out);
  assert.ok(m, out);
  const reported = parseSize(m[1]!);
  process.stdout.write(`# prune: reported ${m[1]}, berth.db + WAL ${before} -> ${after} bytes\n`);
  assert.equal(cacheFootprint().rows, 0);
  assert.ok(after < before, `the database files shrank: ${before} -> ${after}`);
  assert.ok(reported > 0, out);
  // the figure is what the files shrank by (the daemon measures it around the same work; HumanSize keeps 4 digits)
  assert.ok(Math.abs(reported - (before - after)) <= (before - after) * 0.01 + 4096, `reported ${reported}, measured ${before - after}`);
  withDb((db) => {
    assert.equal(db.pragma('auto_vacuum', { simple: true }), 2, 'auto_vacuum=INCREMENTAL');
    assert.equal(db.pragma('freelist_count', { simple: true }), 0, 'no free page is left in the file');
    assert.equal(statSync(dbPath()).size, (db.pragma('page_count', { simple: true }) as number) * (db.pragma('page_size', { simple: true }) as number));
  });
});
