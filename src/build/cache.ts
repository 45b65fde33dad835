// The build cache: a step's result is found by a key derived from its parent
// step's key, the instruction after expansion, the args and env it sees, and
// the content digest of every file it copies. Records live in the daemon's
// database (tables prefixed build_). A record is only used when every layer
// it names is still in the content store and unpacked.
//
// A COPY/ADD --link layer is also recorded on its own (build_link_cache), by
// a key without the parent's: the instruction, its flags, the destination
// and the sources' content digests. After an earlier step changes, that
// layer blob is reused and stacked on the new parent.
import type BetterSqlite3 from 'better-sqlite3';
import { createHash } from 'node:crypto';

export interface CacheRecord {
  /** the image config after the step (JSON) */
  config: string;
  /** the manifest layer descriptors after the step (JSON) */
  layers: string;
}

export interface LinkRecord {
  /** the layer's blob descriptor (JSON), or null when the copy made no layer */
  layer: string | null;
  diffId: string | null;
}

export function cacheKey(parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

export class BuildCache {
  private readonly getStmt: BetterSqlite3.Statement<[string], { config: string; layers: string }>;
  private readonly putStmt: BetterSqlite3.Statement<[string, string, string, number]>;
  private readonly delStmt: BetterSqlite3.Statement<[string]>;

  constructor(private readonly db: BetterSqlite3.Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS build_cache (
      key TEXT PRIMARY KEY,
      config TEXT NOT NULL,
      layers TEXT NOT NULL,
      created INTEGER NOT NULL
    )`);
    this.getStmt = db.prepare('SELECT config, layers FROM build_cache WHERE key = ?');
    this.putStmt = db.prepare('INSERT OR REPLACE INTO build_cache (key, config, layers, created) VALUES (?, ?, ?, ?)');
    this.delStmt = db.prepare('DELETE FROM build_cache WHERE key = ?');
    db.exec(`CREATE TABLE IF NOT EXISTS build_link_cache (
      key TEXT PRIMARY KEY,
      layer TEXT,
      diff_id TEXT,
      created INTEGER NOT NULL
    )`);
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

  get(key: string): CacheRecord | undefined {
    return this.getStmt.get(key);
  }

  put(key: string, rec: CacheRecord): void {
    this.putStmt.run(key, rec.config, rec.layers, Date.now());
  }

  delete(key: string): void {
    this.delStmt.run(key);
  }

  clear(): number {
    return this.db.transaction(() => this.db.prepare('DELETE FROM build_cache').run().changes + this.db.prepare('DELETE FROM build_link_cache').run().changes)();
  }
}
