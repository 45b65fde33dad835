// Image metadata in SQLite: which images exist (by config digest, docker's
// image ID), the manifest each points at, the names that point at them, and
// the unpacked size of each layer. Blobs live in the content store and
// unpacked layers in the snapshotter; this is only the index over them.
import type { Database } from 'better-sqlite3';
import type { Digest } from '../common/digest.js';
import type { Descriptor } from '../oci/image.js';

export interface ImageRecord {
  /** config digest = docker's image ID */
  id: Digest;
  /** the manifest (or index) this image was loaded, imported or pulled as */
  target: Descriptor;
  /** when berth added it */
  addedAt: Date;
  /** sum of the uncompressed layer sizes */
  size: number;
  lastTagTime?: Date;
}

export interface LayerRecord {
  chainId: Digest;
  diffId: Digest;
  size: number;
}

interface ImageRow {
  id: string;
  target: string;
  added_at: string;
  size: number;
  last_tag_time: string | null;
}

export class ImageMetadataStore {
  constructor(private readonly db: Database) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS images (
        id TEXT PRIMARY KEY,
        target TEXT NOT NULL,
        added_at TEXT NOT NULL,
        size INTEGER NOT NULL,
        last_tag_time TEXT
      );
      CREATE TABLE IF NOT EXISTS image_names (
        name TEXT PRIMARY KEY,             -- full reference: docker.io/library/busybox:latest or repo@sha256:...
        kind TEXT NOT NULL CHECK (kind IN ('tag', 'digest')),
        image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        created_at TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS image_names_by_image ON image_names(image_id);
      CREATE TABLE IF NOT EXISTS image_layers (
        chain_id TEXT PRIMARY KEY,
        diff_id TEXT NOT NULL,
        size INTEGER NOT NULL
      );
    `);
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  private toRecord(r: ImageRow): ImageRecord {
    return {
      id: r.id as Digest,
      target: JSON.parse(r.target) as Descriptor,
      addedAt: new Date(r.added_at),
      size: r.size,
      ...(r.last_tag_time ? { lastTagTime: new Date(r.last_tag_time) } : {}),
    };
  }

  get(id: Digest): ImageRecord | undefined {
    const r = this.db.prepare('SELECT * FROM images WHERE id = ?').get(id) as ImageRow | undefined;
    return r && this.toRecord(r);
  }

  /** Images whose ID hex starts with `prefix`. */
  findByIdPrefix(prefix: string): ImageRecord[] {
    const rows = this.db.prepare("SELECT * FROM images WHERE substr(id, 8) LIKE ? ESCAPE '\\'").all(`${prefix.replace(/[%_\\]/g, '\\$&')}%`) as ImageRow[];
    return rows.map((r) => this.toRecord(r));
  }

  list(): ImageRecord[] {
    return (this.db.prepare('SELECT * FROM images ORDER BY added_at DESC').all() as ImageRow[]).map((r) => this.toRecord(r));
  }

  /** Insert, or point an existing image at a new target keeping its added time. */
  put(rec: ImageRecord): void {
    this.db
      .prepare(
        `INSERT INTO images (id, target, added_at, size) VALUES (?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET target = excluded.target, size = excluded.size`,
      )
      .run(rec.id, JSON.stringify(rec.target), rec.addedAt.toISOString(), rec.size);
  }

  delete(id: Digest): void {
    this.db.prepare('DELETE FROM image_names WHERE image_id = ?').run(id);
    this.db.prepare('DELETE FROM images WHERE id = ?').run(id);
  }

  /** Point a name at an image; returns the image it pointed at before, if another. */
  setName(name: string, kind: 'tag' | 'digest', id: Digest): Digest | undefined {
    const prev = this.resolveName(name);
    const now = new Date().toISOString();
    this.db
      .prepare(
        `INSERT INTO image_names (name, kind, image_id, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(name) DO UPDATE SET image_id = excluded.image_id, kind = excluded.kind, created_at = excluded.created_at`,
      )
      .run(name, kind, id, now);
    if (kind === 'tag') this.db.prepare('UPDATE images SET last_tag_time = ? WHERE id = ?').run(now, id);
    return prev !== id ? prev : undefined;
  }

  removeName(name: string): boolean {
    return this.db.prepare('DELETE FROM image_names WHERE name = ?').run(name).changes > 0;
  }

  resolveName(name: string): Digest | undefined {
    const r = this.db.prepare('SELECT image_id FROM image_names WHERE name = ?').get(name) as { image_id: string } | undefined;
    return r?.image_id as Digest | undefined;
  }

  names(id: Digest): { name: string; kind: 'tag' | 'digest' }[] {
    return this.db.prepare('SELECT name, kind FROM image_names WHERE image_id = ? ORDER BY created_at, name').all(id) as { name: string; kind: 'tag' | 'digest' }[];
  }

  putLayer(l: LayerRecord): void {
    this.db.prepare('INSERT OR REPLACE INTO image_layers (chain_id, diff_id, size) VALUES (?, ?, ?)').run(l.chainId, l.diffId, l.size);
  }

  getLayer(chainId: Digest): LayerRecord | undefined {
    const r = this.db.prepare('SELECT chain_id, diff_id, size FROM image_layers WHERE chain_id = ?').get(chainId) as { chain_id: string; diff_id: string; size: number } | undefined;
    return r && { chainId: r.chain_id as Digest, diffId: r.diff_id as Digest, size: r.size };
  }

  deleteLayer(chainId: Digest): void {
    this.db.prepare('DELETE FROM image_layers WHERE chain_id = ?').run(chainId);
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM images').get() as { n: number }).n;
  }
}
