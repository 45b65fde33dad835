// Containers in the daemon's SQLite database (tables prefixed container_):
// one row per container with its name (unique) and the record as JSON.
import type Database from 'better-sqlite3';
import type { ContainerRecord } from './types.js';

export class ContainerStore {
  constructor(private readonly db: Database.Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS container_records (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL UNIQUE,
      record TEXT NOT NULL
    )`);
  }

  all(): ContainerRecord[] {
    return (this.db.prepare('SELECT record FROM container_records').all() as { record: string }[]).map((r) => JSON.parse(r.record) as ContainerRecord);
  }

  /** Insert, failing on a taken name (UNIQUE) so that two creates cannot share one. */
  insert(c: ContainerRecord): void {
    this.db.prepare('INSERT INTO container_records (id, name, record) VALUES (?, ?, ?)').run(c.Id, c.Name, JSON.stringify(c));
  }

  save(c: ContainerRecord): void {
    this.db.prepare('UPDATE container_records SET name = ?, record = ? WHERE id = ?').run(c.Name, JSON.stringify(c), c.Id);
  }

  delete(id: string): void {
    this.db.prepare('DELETE FROM container_records WHERE id = ?').run(id);
  }

  idByName(name: string): string | undefined {
    return (this.db.prepare('SELECT id FROM container_records WHERE name = ?').get(name) as { id: string } | undefined)?.id;
  }
}
