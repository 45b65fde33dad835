// The overlay snapshotter: each layer is unpacked once into its own directory
// (keyed by chain ID, shared by every image that has it); active snapshots
// are an upperdir/workdir pair on top of a committed chain.
import * as fs from 'node:fs';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type BetterSqlite3 from 'better-sqlite3';
import { parseDigest, type Digest } from '../../common/digest.js';
import { alreadyExists, conflict, errnoCode, internal, invalidArgument, notFound } from '../../common/errors.js';
import { chainId } from '../chain.js';
import type { LayerApplyResult, Mount, SnapshotInfo, Snapshotter } from '../index.js';
import { digestLayer, unpackLayer } from './apply.js';
import { SnapshotMetadata, type SnapshotRow } from './metadata.js';
import { idOfEntry, SnapshotPaths } from './paths.js';

export interface OverlaySnapshotterOptions {
  /** e.g. /var/lib/berth/snapshots; created if missing */
  root: string;
  /** berth's database; WAL mode is the caller's business */
  db: BetterSqlite3.Database;
  /**
   * flush the filesystem before a layer's row is committed, so that a crash
   * never leaves a committed row over unwritten files (default true)
   */
  durable?: boolean;
}

const MAX_KEY_LENGTH = 512;

export class OverlaySnapshotter implements Snapshotter {
  private readonly paths: SnapshotPaths;
  private readonly meta: SnapshotMetadata;
  private readonly durable: boolean;
  private readonly flusher = new FilesystemFlusher();

  constructor(opts: OverlaySnapshotterOptions) {
    // overlay's option syntax gives ',' ':' and '\' meanings; rather than
    // escape them in every path, refuse a root that contains them.
    if (!opts.root.startsWith('/') || /[,:\\]/.test(opts.root)) {
      throw invalidArgument(`snapshot root "${opts.root}" must be an absolute path without ',' ':' or '\\'`);
    }
    this.paths = new SnapshotPaths(opts.root.replace(/\/+$/, '') || '/');
    this.durable = opts.durable ?? true;
    fs.mkdirSync(this.paths.root, { recursive: true, mode: 0o700 });
    this.meta = new SnapshotMetadata(opts.db);
    this.removeLeftovers();
  }

  /** Delete every directory under root that no row owns: the traces of a crash. */
  private removeLeftovers(): void {
    const owned = new Set(this.meta.list().map((r) => r.id));
    for (const name of fs.readdirSync(this.paths.root)) {
      const id = idOfEntry(name);
      if (id !== null && owned.has(id)) continue;
      fs.rmSync(`${this.paths.root}/${name}`, { recursive: true, force: true });
    }
  }

  async applyLayer(parentOrLater: Digest | null | PromiseLike<Digest | null>, layer: Readable, opts: { expectedDiffId?: Digest } = {}): Promise<LayerApplyResult> {
    const deferred = parentOrLater !== null && typeof parentOrLater === 'object';
    // A deferred parent may reject while the layer is still unpacking, long before
    // it is awaited below: observe it now, or that rejection is unhandled and kills the daemon.
    if (deferred) Promise.resolve(parentOrLater).catch(() => {});
    if (!deferred && parentOrLater !== null) this.committed(parseDigest(parentOrLater as Digest));
    const expected = opts.expectedDiffId === undefined ? undefined : parseDigest(opts.expectedDiffId);
    if (expected !== undefined && !deferred) {
      const parent = parentOrLater as Digest | null;
      const known = this.meta.get(chainId(parent, expected));
      if (known?.kind === 'committed') return this.verifyKnown(parent, layer, expected);
    }

    const tmp = this.paths.extracting(randomBytes(8).toString('hex'));
    fs.mkdirSync(tmp, { mode: 0o700 });
    try {
      fs.mkdirSync(`${tmp}/fs`, { mode: 0o755 });
      const res = await unpackLayer(layer, `${tmp}/fs`);
      if (expected !== undefined && res.diffId !== expected) throw diffIdMismatch(expected, res.diffId);
      const parent = await parentOrLater;
      if (parent !== null) parseDigest(parent);
      const cid = chainId(parent, res.diffId);
      if (this.durable) await this.flusher.flush(tmp);
      const kept = this.meta.transaction(() => {
        const existing = this.meta.get(cid);
        if (existing) {
          if (existing.kind !== 'committed') throw conflict(`snapshot ${cid}: key is taken by an active snapshot`);
          return true; // another applyLayer of the same layer won the race
        }
        if (parent !== null) this.committed(parent);
        const id = this.meta.insert({ key: cid, parent, kind: 'committed', diffId: res.diffId, size: res.size, createdMs: Date.now() });
        // Inside the transaction: if the rename fails the row is rolled back.
        fs.renameSync(tmp, this.paths.dir(id));
        return false;
      });
      if (kept) fs.rmSync(tmp, { recursive: true, force: true });
      return { diffId: res.diffId, chainId: cid, size: res.size, contentSize: res.stats.contentSize };
    } catch (err) {
      fs.rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
  }

  /** The layer is already here: still read it all, and check it is what the caller says. */
  private async verifyKnown(parent: Digest | null, layer: Readable, expected: Digest): Promise<LayerApplyResult> {
    const { diffId, size } = await digestLayer(layer);
    if (diffId !== expected) throw diffIdMismatch(expected, diffId);
    return { diffId, chainId: chainId(parent, diffId), size };
  }

  async exists(key: string): Promise<boolean> {
    return this.meta.get(key)?.kind === 'committed';
  }

  async prepare(key: string, parent: Digest | null): Promise<Mount[]> {
    checkKey(key);
    this.meta.transaction(() => {
      if (this.meta.get(key)) throw alreadyExists(`snapshot ${key}: already exists`);
      if (parent !== null) this.committed(parent);
      const id = this.meta.insert({ key, parent, kind: 'active', diffId: null, size: null, createdMs: Date.now() });
      try {
        fs.mkdirSync(this.paths.dir(id), { mode: 0o700 });
        fs.mkdirSync(this.paths.fs(id), { mode: 0o755 });
        fs.mkdirSync(this.paths.work(id), { mode: 0o700 });
      } catch (err) {
        fs.rmSync(this.paths.dir(id), { recursive: true, force: true });
        throw internal(`snapshot ${key}: create directories: ${String(err)}`, err);
      }
    });
    return this.mounts(key);
  }

  async mounts(key: string): Promise<Mount[]> {
    const row = this.meta.get(key);
    if (!row) throw notFound(`snapshot ${key}: not found`);
    const lowers: string[] = [];
    let cur: SnapshotRow | undefined = row.kind === 'committed' ? row : row.parent === null ? undefined : this.meta.get(row.parent);
    while (cur) {
      lowers.push(this.paths.fs(cur.id));
      if (cur.parent === null) break;
      const next = this.meta.get(cur.parent);
      if (!next) throw internal(`snapshot ${key}: ancestor ${cur.parent} is missing`);
      cur = next;
    }
    if (row.kind === 'active') {
      if (lowers.length === 0) return [{ type: 'bind', source: this.paths.fs(row.id), options: ['rw', 'rbind'] }];
      return [{
        type: 'overlay',
        source: 'overlay',
        options: [`workdir=${this.paths.work(row.id)}`, `upperdir=${this.paths.fs(row.id)}`, `lowerdir=${lowers.join(':')}`],
      }];
    }
    if (lowers.length === 1) return [{ type: 'bind', source: lowers[0]!, options: ['ro', 'rbind'] }];
    return [{ type: 'overlay', source: 'overlay', options: ['ro', `lowerdir=${lowers.join(':')}`] }];
  }

  async remove(key: string, opts: { wait?: boolean } = {}): Promise<void> {
    const trash = this.meta.transaction(() => {
      const row = this.meta.get(key);
      if (!row) throw notFound(`snapshot ${key}: not found`);
      const n = this.meta.childCount(key);
      if (n > 0) throw conflict(`snapshot ${key}: in use by ${n} child snapshot${n === 1 ? '' : 's'}`);
      this.meta.delete(row.id);
      const to = this.paths.removing(row.id, randomBytes(4).toString('hex'));
      try {
        fs.renameSync(this.paths.dir(row.id), to);
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT') throw err;
      }
      return to;
    });
    // After the commit: a crash here leaves a row-less directory, removed at the next start.
    const files = fs.promises.rm(trash, { recursive: true, force: true });
    if (opts.wait !== false) return files;
    files.catch(() => {}); // (the next start's sweep takes what is left)
  }

  async list(): Promise<SnapshotInfo[]> {
    return this.meta.list().map((r) => ({
      key: r.key,
      ...(r.parent !== null ? { parent: r.parent } : {}),
      kind: r.kind,
      created: new Date(r.createdMs),
    }));
  }

  async usage(key: string): Promise<number> {
    const row = this.meta.get(key);
    if (!row) throw notFound(`snapshot ${key}: not found`);
    return diskUsage(this.paths.dir(row.id));
  }

  async changesSize(key: string): Promise<number> {
    const row = this.meta.get(key);
    if (!row) throw notFound(`snapshot ${key}: not found`);
    return apparentSize(this.paths.fs(row.id));
  }

  /** The committed row for `key`, or NotFound. */
  private committed(key: string): SnapshotRow {
    const row = this.meta.get(key);
    if (!row || row.kind !== 'committed') throw notFound(`parent snapshot ${key}: not found`);
    return row;
  }
}

function checkKey(key: string): void {
  if (key.length === 0 || key.length > MAX_KEY_LENGTH || key.includes('\0')) {
    throw invalidArgument(`snapshot key must be 1 to ${MAX_KEY_LENGTH} characters without NUL`);
  }
}

function diffIdMismatch(expected: Digest, got: Digest) {
  return invalidArgument(`layer: content digest ${got} does not match the expected diffID ${expected}`);
}

/**
 * Flush the filesystem that holds the snapshots before a layer's row commits,
 * so that a committed layer never has unwritten files after a crash. syncfs
 * runs in a child (`sync -f`) so the daemon's event loop is not blocked while
 * the disk catches up, and flushes are grouped: callers that arrive while one
 * is running share the next one, which covers every write made before it began.
 */
class FilesystemFlusher {
  private running: Promise<void> | undefined;
  private next: Promise<void> | undefined;

  flush(dir: string): Promise<void> {
    if (!this.running) {
      this.running = syncFilesystem(dir).finally(() => (this.running = undefined));
      return this.running;
    }
    this.next ??= this.running
      .catch(() => {})
      .then(() => {
        this.next = undefined;
        return this.flush(dir);
      });
    return this.next;
  }
}

function syncFilesystem(dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('sync', ['-f', dir], (err, _out, stderr) => (err ? reject(internal(`sync -f ${dir}: ${stderr.trim() || err.message}`)) : resolve()));
  });
}

/**
 * Sum `measure` over every inode under `dir` (hard links once; a directory's
 * own entry too, when `measure` counts it). ENOENT while walking is skipped:
 * a running container may delete files meanwhile.
 */
async function sumInodes(dir: string, measure: (st: fs.BigIntStats) => number): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  const walk = async (p: string): Promise<void> => {
    let st: fs.BigIntStats;
    try {
      st = await fs.promises.lstat(p, { bigint: true });
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return;
      throw err;
    }
    const ino = `${st.dev}:${st.ino}`;
    if (!seen.has(ino)) {
      seen.add(ino);
      total += measure(st);
    }
    if (st.isDirectory()) {
      let entries: string[];
      try {
        entries = await fs.promises.readdir(p);
      } catch (err) {
        if (errnoCode(err) === 'ENOENT') return;
        throw err;
      }
      for (const e of entries) await walk(`${p}/${e}`);
    }
  };
  await walk(dir);
  return total;
}

/** Bytes allocated under `dir`, each inode counted once (hardlinks share one). */
function diskUsage(dir: string): Promise<number> {
  return sumInodes(dir, (st) => Number(st.blocks) * 512);
}

/** docker's directory.Size: apparent sizes of non-directories under `dir`, each inode once. */
function apparentSize(dir: string): Promise<number> {
  return sumInodes(dir, (st) => (st.isDirectory() ? 0 : Number(st.size)));
}
