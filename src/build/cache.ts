// The build cache: a step's result is found by a key derived from its parent
// step's key, the instruction after expansion, the args and env it sees, and
// the content digest of every file it copies. Records live in the daemon's
// database (tables prefixed build_). A record is only used when every layer
// it names is still in the content store and unpacked.
import type BetterSqlite3 from 'better-sqlite3';
import { createHash } from 'node:crypto';

export interface CacheRecord {
  /** the image config after the step (JSON) */
  config: string;
  /** the manifest layer descriptors after the step (JSON) */
  layers: string;
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
    return this.db.prepare('DELETE FROM build_cache').run().changes;
  }
}
