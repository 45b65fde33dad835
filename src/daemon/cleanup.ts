// `berthd --cleanup`: what a stopped berthd leaves on the host on purpose
// (the default network's bridge, berth's iptables rules for it, CNI
// reservations: kept across restarts as dockerd keeps docker0, so that
// containers outliving the daemon keep their network) taken off the host.
// It runs with the daemon's own flags (so it finds the same roots and bridge),
// only while no berthd uses them, and refuses, removing nothing, while a
// container still runs on the bridge. Images, containers and volumes in the
// data root are not touched; nor are the CNI-HOSTPORT-* chains, which
// portmap shares between every CNI user on the host.
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { conflict } from '../common/errors.js';
import type { Logger } from '../common/log.js';
import { CniNetworkManager } from '../network/index.js';
import type { DaemonConfig } from './config.js';
import { ContainerStore } from './containers/index.js';
import { daemonPaths } from './paths.js';
import { livePid, lockDataRoot } from './preflight.js';

export interface CleanupReport {
  removed: string[];
  kept: string[];
}

function alive(pidFile: string): boolean {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Containers whose monitor (conmon) still runs: they outlived the daemon and the next one adopts them. */
function runningContainers(dbFile: string, containersDir: string): Set<string> {
  const out = new Set<string>();
  if (!existsSync(dbFile)) return out;
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    for (const c of new ContainerStore(db).all()) {
      if (c.State.Running && alive(path.join(containersDir, c.Id, 'conmon.pid'))) out.add(c.Id);
    }
  } finally {
    db.close();
  }
  return out;
}

export async function cleanupHost(config: DaemonConfig, log: Logger): Promise<CleanupReport> {
  const paths = daemonPaths(config.dataRoot, config.execRoot, config.pidfile);
  const pid = livePid(paths.pidfile);
  if (pid !== undefined) throw conflict(`berthd is running (pid ${pid}, from ${paths.pidfile}): stop it first (SIGTERM), then run berthd --cleanup`);
  // a daemon with the same data root but another pid file holds this lock (released when this process exits)
  if (existsSync(paths.dataRoot)) lockDataRoot(paths.dataRoot);
  const live = runningContainers(paths.db, paths.containers);
  const bridge = config.bridge ?? 'berth0';
  const network = new CniNetworkManager({ stateDir: `${paths.dataRoot}/network`, runDir: `${paths.execRoot}/cni`, logger: log, bridge });
  const removed = await network.teardown(live);
  const kept = [
    `images, containers and volumes in ${paths.dataRoot}`,
    'the CNI-HOSTPORT-* iptables chains (portmap shares them between every CNI user on this host)',
  ];
  if (live.size) kept.unshift(`${live.size} running container${live.size === 1 ? '' : 's'} not on the bridge (network none or host)`);
  return { removed, kept };
}
