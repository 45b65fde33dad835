// Where berthd keeps its state. The tree, with the default roots:
//
//   /var/lib/berth/            --data-root
//     berth.db                 SQLite (WAL): images, names, layers, snapshots (later containers, networks, volumes)
//     berthd.lock              flock'ed by the running daemon: a second one on this root is refused
//     content/blobs/sha256/    immutable blobs, read-only files (image/content/local.ts)
//     content/ingest/          partial writes; committed by fsync → verify digest → link
//     snapshots/<n>/{fs,work}  overlay layers, unpacked once and shared (snapshot/overlay/)
//     containers/<id>/         config, OCI bundle, logs (Run)
//     volumes/<name>/_data     (Run)
//   /run/berth/                --exec-root
//     berth.sock               the Engine API (0660, group berth)
//     berthd.pid               the running daemon's pid
import * as path from 'node:path';

export interface DaemonPaths {
  dataRoot: string;
  execRoot: string;
  db: string;
  content: string;
  snapshots: string;
  containers: string;
  volumes: string;
  pidfile: string;
}

export const DEFAULT_DATA_ROOT = '/var/lib/berth';
export const DEFAULT_EXEC_ROOT = '/run/berth';
export const DEFAULT_SOCKET = '/run/berth/berth.sock';
export const DEFAULT_CONFIG_FILE = '/etc/berth/daemon.json';

export function daemonPaths(dataRoot: string, execRoot: string, pidfile?: string): DaemonPaths {
  return {
    dataRoot,
    execRoot,
    db: path.join(dataRoot, 'berth.db'),
    content: path.join(dataRoot, 'content'),
    snapshots: path.join(dataRoot, 'snapshots'),
    containers: path.join(dataRoot, 'containers'),
    volumes: path.join(dataRoot, 'volumes'),
    pidfile: pidfile ?? path.join(execRoot, 'berthd.pid'),
  };
}
