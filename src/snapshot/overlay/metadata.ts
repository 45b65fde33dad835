// The snapshotter's SQLite tables (prefixed snapshot_, created here). A row is
// a snapshot's commit point; see paths.ts for the directories next to it.
import type BetterSqlite3 from 'better-sqlite3';
import { internal } from '../../common/errors.js';

export type SnapshotKind = 'committed' | 'active';

export interface SnapshotRow {
  id: number;
  key: string;
  parent: string | null;
  kind: SnapshotKind;
  /** committed layers: sha256 of the uncompressed tar */
  diffId: string | null;
  /** committed layers: bytes of the uncompressed tar */
  size: number | null;
  createdMs: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS snapshot_snapshots (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  key        TEXT    NOT NULL UNIQUE,
  parent     TEXT,
  kind       TEXT    NOT NULL CHECK (kind IN ('committed', 'active')),
  diff_id    TEXT,
  size       INTEGER,
  created_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS snapshot_snapshots_parent ON snapshot_snapshots(parent);
`;

const COLUMNS = 'id, key, parent, kind, diff_id AS diffId, size, created_ms AS createdMs';

/** A row read back from the database file, checked rather than trusted. */
function toRow(v: unknown): SnapshotRow {
  const r = v as Record<string, unknown>;
  if (
    typeof r.id !== 'number' || typeof r.key !== 'string' || (r.kind !== 'committed' && r.kind !== 'active') ||
    (r.parent !== null && typeof r.parent !== 'string') || typeof r.createdMs !== 'number'
  ) {
    throw internal(`snapshot metadata: malformed row ${JSON.stringify(v)}`);
  }
  return {
    id: r.id,
    key: r.key,
    parent: r.parent,
    kind: r.kind,
    diffId: typeof r.diffId === 'string' ? r.diffId : null,
    size: typeof r.size === 'number' ? r.size : null,
    createdMs: r.createdMs,
  };
}

export class SnapshotMetadata {
  private readonly byKey: BetterSqlite3.Statement;
  private readonly all: BetterSqlite3.Statement;
  private readonly children: BetterSqlite3.Statement;
  private readonly insertStmt: BetterSqlite3.Statement;
  private readonly deleteStmt: BetterSqlite3.Statement;

  constructor(readonly db: BetterSqlite3.Database) {
    db.exec(SCHEMA);
    this.byKey = db.prepare(`SELECT ${COLUMNS} FROM snapshot_snapshots WHERE key = ?`);
    this.all = db.prepare(`SELECT ${COLUMNS} FROM snapshot_snapshots ORDER BY id`);
    this.children = db.prepare('SELECT count(*) AS n FROM snapshot_snapshots WHERE parent = ?');
    this.insertStmt = db.prepare(
      'INSERT INTO snapshot_snapshots (key, parent, kind, diff_id, size, created_ms) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.deleteStmt = db.prepare('DELETE FROM snapshot_snapshots WHERE id = ?');
  }

  get(key: string): SnapshotRow | undefined {
    const v: unknown = this.byKey.get(key);
    return v === undefined ? undefined : toRow(v);
  }

  list(): SnapshotRow[] {
    return this.all.all().map(toRow);
  }

  childCount(key: string): number {
    return (this.children.get(key) as { n: number }).n;
  }

  /** Insert a row and return its id (which names its directory). */
  insert(row: Omit<SnapshotRow, 'id'>): number {
    const info = this.insertStmt.run(row.key, row.parent, row.kind, row.diffId, row.size, row.createdMs);
    return Number(info.lastInsertRowid);
  }

  delete(id: number): void {
    this.deleteStmt.run(id);
  }

  /** Run `fn` in one IMMEDIATE transaction: the writes inside commit together or not at all. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }
}
