// The build cache: a step's result is found by a key derived from its parent
// step's key, the instruction after expansion, the args and env it sees, and
// the content digest of every file it copies. Records live in the daemon's
// database (tables prefixed build_).
//
// A record holds only what the step itself added: its history entry and, when
// it made one, its layer (descriptor and diff ID), a few hundred bytes. The
// rest of the state is the parent's, which the build has in hand when it
// looks the step up (the key names the parent), and the config changes of a
// config-only step (ENV, LABEL, ...) follow from its instruction, which the
// key names too. (Records used to hold the whole image config after the step:
// a Dockerfile of N lines wrote N configs of up to N entries each.) A record
// is only used when its layer is still in the content store and unpacked.
//
// A COPY/ADD --link layer is also recorded on its own (build_link_cache), by
// a key without the parent's: the instruction, its flags, the destination
// and the sources' content digests. After an earlier step changes, that
// layer blob is reused and stacked on the new parent.
//
// Pruning gives the space back to the file system: the database runs with
// auto_vacuum=INCREMENTAL (set up, with one VACUUM, on a database made
// before), so the pages the deleted records held leave the file.
import * as fs from 'node:fs';
import { setImmediate as yieldLoop } from 'node:timers/promises';
import type BetterSqlite3 from 'better-sqlite3';
import { createHash } from 'node:crypto';
import type { Digest } from '../common/digest.js';
import type { Descriptor, HistoryEntry } from '../oci/image.js';

export interface StepRecord {
  /** the step's history entry */
  entry: HistoryEntry;
  /** the layer the step added, when its entry is not an empty layer */
  layer?: { descriptor: Descriptor; diffId: Digest };
}

export interface LinkRecord {
  /** the layer's blob descriptor (JSON), or null when the copy made no layer */
  layer: string | null;
  diffId: string | null;
}

export interface PruneResult {
  /** records deleted */
  records: number;
  /** bytes the database files (berth.db and its WAL) shrank by */
  reclaimed: number;
}

/** What opening the cache did to an older database (for the daemon's log). */
export interface CacheMigration {
  /** the build_cache table of whole configs was dropped (its records are not used any more) */
  droppedLegacy: boolean;
  /** the database was rewritten once to turn auto_vacuum on */
  vacuumed: boolean;
  /** why it could not be (e.g. no room for the copy VACUUM makes): prune then frees pages inside the file only */
  vacuumError?: string;
}

export function cacheKey(parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/** rows deleted per statement while pruning, and pages freed per incremental_vacuum: each a few ms at most */
const PRUNE_BATCH = 500;
const VACUUM_PAGES = 256;

const AUTO_VACUUM_INCREMENTAL = 2;

function isDescriptor(v: unknown): v is Descriptor {
  const d = v as Descriptor | null;
  return typeof d === 'object' && d !== null && typeof d.digest === 'string' && typeof d.mediaType === 'string' && typeof d.size === 'number';
}

/** A row as stored, checked (the database is a file on disk); undefined when it is not a usable record. */
function parseRecord(row: { entry: string; layer: string | null; diff_id: string | null }): StepRecord | undefined {
  try {
    const entry = JSON.parse(row.entry) as unknown;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return undefined;
    const e = entry as HistoryEntry;
    if (e.empty_layer) return row.layer === null ? { entry: e } : undefined;
    const descriptor = row.layer === null ? undefined : (JSON.parse(row.layer) as unknown);
    if (!isDescriptor(descriptor) || typeof row.diff_id !== 'string' || !row.diff_id.startsWith('sha256:')) return undefined;
    return { entry: e, layer: { descriptor, diffId: row.diff_id as Digest } };
  } catch {
    return undefined;
  }
}

export class BuildCache {
  private readonly getStmt: BetterSqlite3.Statement<[string], { entry: string; layer: string | null; diff_id: string | null }>;
  private readonly putStmt: BetterSqlite3.Statement<[string, string, string | null, string | null, number]>;
  private readonly delStmt: BetterSqlite3.Statement<[string]>;
  readonly migration: CacheMigration;
  /**
   * Records not written yet: the steps of one turn of the event loop are
   * written in one transaction (a transaction per step was most of the cost
   * of a step that only sets a variable). A crash loses them: a cache may.
   */
  private readonly pending = new Map<string, StepRecord>();
  private flushing = false;

  /** `onError`: a batch of records could not be written (they are dropped; the builds go on) */
  constructor(
    private readonly db: BetterSqlite3.Database,
    private readonly onError: (err: unknown) => void = () => {},
  ) {
    this.migration = BuildCache.migrate(db);
    db.exec(`CREATE TABLE IF NOT EXISTS build_steps (
      key TEXT PRIMARY KEY,
      entry TEXT NOT NULL,
      layer TEXT,
      diff_id TEXT,
      created INTEGER NOT NULL
    ) WITHOUT ROWID`);
    this.getStmt = db.prepare('SELECT entry, layer, diff_id FROM build_steps WHERE key = ?');
    this.putStmt = db.prepare('INSERT OR REPLACE INTO build_steps (key, entry, layer, diff_id, created) VALUES (?, ?, ?, ?, ?)');
    this.delStmt = db.prepare('DELETE FROM build_steps WHERE key = ?');
    db.exec(`CREATE TABLE IF NOT EXISTS build_link_cache (
      key TEXT PRIMARY KEY,
      layer TEXT,
      diff_id TEXT,
      created INTEGER NOT NULL
    )`);
  }

  /**
   * An older database: its build_cache table (a whole config per record, up
   * to megabytes each) goes, and auto_vacuum is turned on, which for a
   * database that has tables takes one VACUUM (a rewrite of what is left:
   * after the drop, the images' and containers' records, a few MB at most).
   */
  private static migrate(db: BetterSqlite3.Database): CacheMigration {
    const legacy = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'build_cache'").get() !== undefined;
    if (legacy) db.exec('DROP TABLE build_cache');
    let vacuumed = false;
    let vacuumError: string | undefined;
    if (db.pragma('auto_vacuum', { simple: true }) !== AUTO_VACUUM_INCREMENTAL) {
      db.pragma('auto_vacuum = INCREMENTAL');
      // a new (empty) database takes the setting as it is; one with tables only through VACUUM
      if (db.pragma('auto_vacuum', { simple: true }) !== AUTO_VACUUM_INCREMENTAL) {
        try {
          db.exec('VACUUM');
          vacuumed = true;
        } catch (err) {
          // the daemon starts all the same; the next start tries again
          vacuumError = err instanceof Error ? err.message : String(err);
        }
      }
    }
    if (legacy && !vacuumed) db.pragma('incremental_vacuum');
    return { droppedLegacy: legacy, vacuumed, ...(vacuumError ? { vacuumError } : {}) };
  }

  getLink(key: string): LinkRecord | undefined {
    const r = this.db.prepare('SELECT layer, diff_id FROM build_link_cache WHERE key = ?').get(key) as { layer: string | null; diff_id: string | null } | undefined;
    return r && { layer: r.layer, diffId: r.diff_id };
  }

  putLink(key: string, rec: LinkRecord): void {
    this.db.prepare('INSERT OR REPLACE INTO build_link_cache (key, layer, diff_id, created) VALUES (?, ?, ?, ?)').run(key, rec.layer, rec.diffId, Date.now());
  }

  deleteLink(key: string): void {
    this.db.prepare('DELETE FROM build_link_cache WHERE key = ?').run(key);
  }

  /** The record of a step, or undefined (a record that does not read as one is dropped). */
  get(key: string): StepRecord | undefined {
    const queued = this.pending.get(key);
    if (queued) return queued;
    const row = this.getStmt.get(key);
    if (!row) return undefined;
    const rec = parseRecord(row);
    if (!rec) this.delete(key);
    return rec;
  }

  put(key: string, rec: StepRecord): void {
    this.pending.set(key, rec);
    if (this.flushing) return;
    this.flushing = true;
    setImmediate(() => this.flush());
  }

  /** Write the queued records (in one transaction). */
  flush(): void {
    this.flushing = false;
    if (this.pending.size === 0) return;
    const now = Date.now();
    try {
      this.db.transaction(() => {
        for (const [key, rec] of this.pending) {
          this.putStmt.run(key, JSON.stringify(rec.entry), rec.layer ? JSON.stringify(rec.layer.descriptor) : null, rec.layer?.diffId ?? null, now);
        }
      })();
    } catch (err) {
      this.onError(err);
    }
    this.pending.clear();
  }

  delete(key: string): void {
    this.pending.delete(key);
    this.delStmt.run(key);
  }

  /** The bytes of berth.db and its write-ahead log on disk (0 for an in-memory database). */
  private fileBytes(): number {
    if (this.db.memory) return 0;
    let n = 0;
    for (const f of [this.db.name, `${this.db.name}-wal`]) {
      try {
        n += fs.statSync(f).size;
      } catch {
        // no WAL file at this moment
      }
    }
    return n;
  }

  /**
   * Delete every record and give the space back: the freed pages leave the
   * file (incremental vacuum) and the WAL is checkpointed and truncated.
   * Works in batches with the event loop's turns between them, so that a
   * large cache does not stall the daemon. The figure is what the files
   * really shrank by.
   */
  async prune(): Promise<PruneResult> {
    const before = this.fileBytes();
    let records = this.pending.size;
    this.pending.clear();
    for (const table of ['build_steps', 'build_link_cache']) {
      const del = this.db.prepare(`DELETE FROM ${table} WHERE key IN (SELECT key FROM ${table} LIMIT ${PRUNE_BATCH})`);
      for (let n = del.run().changes; n > 0; n = del.run().changes) {
        records += n;
        await yieldLoop();
      }
    }
    const freelist = this.db.prepare('PRAGMA freelist_count').pluck();
    for (let left = freelist.get() as number; left > 0; left = freelist.get() as number) {
      this.db.pragma(`incremental_vacuum(${VACUUM_PAGES})`);
      await yieldLoop();
      // pages other writers freed meanwhile are taken too; a freelist that does not shrink (no auto_vacuum) ends it
      if ((freelist.get() as number) >= left) break;
    }
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    return { records, reclaimed: Math.max(0, before - this.fileBytes()) };
  }
}
