// Where the overlay snapshotter keeps things. On disk, under its root
// (e.g. /var/lib/berth/snapshots):
//
//   <root>/
//     <id>/                   one per snapshot; <id> is its SQLite row id. Short
//                             numeric names keep overlay's lowerdir= option
//                             string short (a mount's options must fit a page).
//       fs/                   the layer's own files (committed), or the upperdir
//                             (active)
//       work/                 overlay's workdir; active snapshots only
//     extracting-<random>/    a layer being unpacked; renamed to <id> in the
//       fs/                   same transaction that inserts its row
//     removing-<id>-<random>/ a removed snapshot whose row is gone, being deleted
//
// The SQLite row is the commit point: a directory without a row (any of the
// above left over by a crash) is deleted when the snapshotter starts.
import * as path from 'node:path';

export const EXTRACTING_PREFIX = 'extracting-';
export const REMOVING_PREFIX = 'removing-';

export class SnapshotPaths {
  constructor(readonly root: string) {}
  dir(id: number): string {
    return path.join(this.root, String(id));
  }
  fs(id: number): string {
    return path.join(this.root, String(id), 'fs');
  }
  work(id: number): string {
    return path.join(this.root, String(id), 'work');
  }
  extracting(random: string): string {
    return path.join(this.root, `${EXTRACTING_PREFIX}${random}`);
  }
  removing(id: number, random: string): string {
    return path.join(this.root, `${REMOVING_PREFIX}${id}-${random}`);
  }
}

/** The numeric id a root entry names, or null for anything else (leftovers). */
export function idOfEntry(name: string): number | null {
  return /^[1-9][0-9]{0,15}$/.test(name) ? Number(name) : null;
}
