// The one wiring file: berthd's services are built here, in dependency order,
// from the configuration. Nothing else reaches for a global.
import { mkdirSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import type { Logger } from '../common/log.js';
import { invalidArgument } from '../common/errors.js';
import { writeFileAtomic } from '../common/atomic.js';
import { ImageMetadataStore, ImageService, LocalContentStore } from '../image/index.js';
import { OverlaySnapshotter } from '../snapshot/index.js';
import { LocalNetworkManager, type NetworkManager } from '../network/index.js';
import { Monitor } from '../runtime/index.js';
import { ContainerService, ContainerStore, ExecService } from './containers/index.js';
import type { DaemonConfig } from './config.js';
import { daemonPaths, type DaemonPaths } from './paths.js';
import { systemInfo, versionInfo, type SystemInfo, type VersionInfo } from './system.js';

export class Daemon {
  private constructor(
    readonly config: DaemonConfig,
    readonly paths: DaemonPaths,
    readonly log: Logger,
    readonly db: Database.Database,
    readonly images: ImageService,
    readonly containers: ContainerService,
    readonly exec: ExecService,
    readonly id: string,
  ) {}

  static async create(config: DaemonConfig, log: Logger): Promise<Daemon> {
    const paths = daemonPaths(config.dataRoot, config.execRoot, config.pidfile);
    for (const d of [paths.dataRoot, paths.execRoot, paths.snapshots, paths.containers, paths.volumes]) mkdirSync(d, { recursive: true, mode: 0o711 });
    const db = new Database(paths.db);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    try {
      const content = await new LocalContentStore(paths.content).init();
      // Ingests untouched for a day are crash leftovers; resumable pulls are younger.
      const cleaned = await content.cleanIngests(24 * 3600 * 1000);
      if (cleaned) log.info('removed abandoned ingests', { count: cleaned });
      const snapshotter = new OverlaySnapshotter({ root: paths.snapshots, db });
      const meta = new ImageMetadataStore(db);
      const images = new ImageService({ content, meta, snapshotter, log });
      // runc by default: crun 1.8 refuses hosts whose cgroup2 mount owns a controller in hybrid mode (these machines).
      const runtimes: Record<string, string> = { runc: '/usr/sbin/runc', crun: '/usr/bin/crun' };
      const runtime = runtimes[config.defaultRuntime ?? 'runc'];
      if (!runtime) throw invalidArgument(`default-runtime ${config.defaultRuntime}: unknown runtime (runc or crun)`);
      const monitor = new Monitor({ root: `${paths.execRoot}/runtime`, runc: runtime });
      const store = new ContainerStore(db);
      // Until the CNI manager lands: host and none only (bridge is a clear error).
      const network: NetworkManager = new LocalNetworkManager(`${paths.execRoot}/network`);
      await network.init(new Set(store.all().filter((c) => c.State.Running).map((c) => c.Id)));
      const containers = new ContainerService({ store, images, snapshotter, network, monitor, dir: paths.containers, log });
      await containers.recover();
      const exec = new ExecService(containers, monitor, `${paths.execRoot}/runtime/exec`);
      return new Daemon(config, paths, log, db, images, containers, exec, await engineId(paths.dataRoot));
    } catch (err) {
      db.close();
      throw err;
    }
  }

  async info(): Promise<SystemInfo> {
    return systemInfo(this);
  }

  version(): VersionInfo {
    return versionInfo();
  }

  close(): void {
    this.containers.close();
    this.db.close();
  }
}

async function engineId(dataRoot: string): Promise<string> {
  const file = `${dataRoot}/engine-id`;
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    const id = randomUUID();
    await writeFileAtomic(file, id + '\n');
    return id;
  }
}

export function hostname(): string {
  return os.hostname();
}
