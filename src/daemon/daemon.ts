// The one wiring file: berthd's services are built here, in dependency order,
// from the configuration. Nothing else reaches for a global.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import type { Logger } from '../common/log.js';
import { invalidArgument } from '../common/errors.js';
import { writeFileAtomic } from '../common/atomic.js';
import { ImageMetadataStore, ImageService, LocalContentStore, pullImage } from '../image/index.js';
import { parseReference, withDefaultTag } from '../common/reference.js';
import { OverlaySnapshotter } from '../snapshot/index.js';
import type { Credentials, RegistryClientOptions } from '../registry/index.js';
import { applyChanges, Builder } from '../build/index.js';
import { CniNetworkManager, type NetworkManager } from '../network/index.js';
import { Monitor, OciExecutor } from '../runtime/index.js';
import { CniBuildNetworks } from './buildnet.js';
import { ContainerService, ContainerStore, ExecService } from './containers/index.js';
import type { DaemonConfig } from './config.js';
import { daemonPaths, type DaemonPaths } from './paths.js';
import { claimPidfile, lockDataRoot, preflight } from './preflight.js';
import { recoverBuildScratch, recoverContainerDirs, removeIngests, removeOrphanSnapshots } from './recovery.js';
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
    readonly builder: Builder,
    readonly network: NetworkManager,
  ) {}

  static async create(config: DaemonConfig, log: Logger): Promise<Daemon> {
    const paths = daemonPaths(config.dataRoot, config.execRoot, config.pidfile);
    // nothing on the host changes before every check a start can fail has passed
    await preflight(config, paths);
    mkdirSync(paths.dataRoot, { recursive: true, mode: 0o711 });
    lockDataRoot(paths.dataRoot);
    claimPidfile(paths.pidfile);
    for (const d of [paths.execRoot, paths.snapshots, paths.containers, paths.volumes]) mkdirSync(d, { recursive: true, mode: 0o711 });
    const db = new Database(paths.db);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    try {
      const content = await new LocalContentStore(paths.content).init();
      await removeIngests(content, log);
      const snapshotter = new OverlaySnapshotter({ root: paths.snapshots, db });
      const meta = new ImageMetadataStore(db);
      const images = new ImageService({ content, meta, snapshotter, log, applyChanges });
      const runtime = runtimePath(config.defaultRuntime);
      const monitor = new Monitor({ root: `${paths.execRoot}/runtime`, runc: runtime });
      const store = new ContainerStore(db);
      // What a crash left of builds, in order: their containers die first (nothing then holds their
      // mounts or namespaces), their mounts go, then their scratch directories and active snapshots.
      const executor = await buildExecutor(runtime, paths.execRoot, log);
      recoverBuildScratch(`${paths.dataRoot}/build`, log);
      const known = new Set(store.all().map((c) => c.Id));
      recoverContainerDirs(paths, known, new Set(store.all().filter((c) => c.State.Running).map((c) => c.Id)), log);
      await removeOrphanSnapshots(snapshotter, known, log);
      const network: NetworkManager = new CniNetworkManager({ stateDir: `${paths.dataRoot}/network`, runDir: `${paths.execRoot}/cni`, logger: log, ...(config.bridge ? { bridge: config.bridge } : {}) });
      try {
        await network.init(new Set(store.all().filter((c) => c.State.Running).map((c) => c.Id)));
      } catch (err) {
        // e.g. the bridge belongs to another daemon: bridge attaches fail with this error; none and host still work
        log.error('bridge network unavailable', { err: String(err) });
      }
      const builder = new Builder({
        images, db, root: `${paths.dataRoot}/build`, log, networks: new CniBuildNetworks(network, log), ...(executor ? { executor } : {}),
        // a base image that is not here is pulled, as docker's builders do
        pull: async (ref, auth, progress) => {
          const r = withDefaultTag(parseReference(ref));
          const creds = auth?.[r.domain];
          // a build holds the image GC lock (shared) for its whole run
          await pullImage(images, { ref: r, registry: registryOptionsFor(config, creds), progress, gcLockHeld: true });
        },
      });
      const containers = new ContainerService({ store, images, snapshotter, network, monitor, dir: paths.containers, log });
      // rmi's conflict rules (docker refuses, or needs -f, while a container uses the image): a running user first
      images.deps.imageUser = (id) => {
        const users = store.all().filter((c) => c.Image === id);
        const u = users.find((c) => c.State.Running) ?? users[0];
        return u && { id: u.Id, running: u.State.Running };
      };
      await containers.recover();
      const exec = new ExecService(containers, monitor, `${paths.execRoot}/runtime/exec`);
      return new Daemon(config, paths, log, db, images, containers, exec, await engineId(paths.dataRoot), builder, network);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /** How to reach registries: the daemon's insecure-registries and mirrors, and the caller's credentials. */
  registryOptions(credentials?: Credentials): RegistryClientOptions {
    return registryOptionsFor(this.config, credentials);
  }

  async info(): Promise<SystemInfo> {
    return systemInfo(this);
  }

  version(): VersionInfo {
    return versionInfo();
  }

  /**
   * What stays on the host when berthd stops, and why (its last log line):
   * the default network, kept as dockerd keeps docker0; containers that still
   * run keep their network and are adopted by the next berthd.
   */
  leftOnHost(): { message: string; fields: Record<string, unknown> } | undefined {
    const net = this.network.info?.();
    if (!net) return undefined;
    const running = this.containers.list().filter((c) => c.State.Running).length;
    const reason = running
      ? `${running} running container${running === 1 ? ' keeps' : 's keep'} its network (conmon runs on; the next berthd adopts ${running === 1 ? 'it' : 'them'})`
      : 'kept for the next start, as dockerd keeps docker0; `berthd --cleanup` (with the same flags, berthd stopped) removes them';
    return {
      message: `leaving bridge ${net.bridge} (${net.subnet}), its iptables rules (FORWARD accept, INPUT 127/8 guard, nat MASQUERADE, each commented "berth network on ${net.bridge}") and CNI reservations on the host: ${reason}`,
      fields: { bridge: net.bridge, subnet: net.subnet, runningContainers: running },
    };
  }

  async close(): Promise<void> {
    this.containers.close();
    // Detaches and runc deletes still running (they may run after an API reply) finish first.
    await this.network.drain?.();
    await this.containers.drain();
    this.db.close();
  }
}

/** The OCI runtime binary for a default-runtime name; runc by default: crun 1.8 refuses hosts whose cgroup2 mount owns a controller in hybrid mode (these machines). */
function runtimePath(name: string | undefined): string {
  const runtimes: Record<string, string> = { runc: '/usr/sbin/runc', crun: '/usr/bin/crun' };
  const runtime = runtimes[name ?? 'runc'];
  if (!runtime) throw invalidArgument(`default-runtime ${name}: unknown runtime (runc or crun)`);
  return runtime;
}

/**
 * RUN steps are containers of the daemon's default OCI runtime, with a state
 * root of their own (so container recovery never sees them); a crash's
 * leftovers are deleted here.
 */
async function buildExecutor(runtime: string, execRoot: string, log: Logger): Promise<OciExecutor | undefined> {
  if (process.getuid?.() !== 0) {
    log.warn('builds cannot RUN commands', { reason: 'berthd is not root' });
    return undefined;
  }
  if (!existsSync(runtime)) {
    log.warn('builds cannot RUN commands', { reason: `${runtime} not found` });
    return undefined;
  }
  const executor = new OciExecutor({ runtime, root: `${execRoot}/runtime/build`, bundles: `${execRoot}/runtime/build-bundles` });
  const left = await executor.recover();
  if (left.length) log.info('removed build containers left by a crash', { count: left.length });
  return executor;
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

function registryOptionsFor(config: DaemonConfig, credentials?: Credentials): RegistryClientOptions {
  return {
    insecureRegistries: config.insecureRegistries,
    mirrors: config.registryMirrors,
    userAgent: `berth/${versionInfo().Version}`,
    ...(credentials ? { credentials } : {}),
  };
}
