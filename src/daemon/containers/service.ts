// Containers: create, start, stop, kill, remove, wait, attach, logs, and the
// recovery of running containers after a daemon restart. The daemon is the
// only place that knows every subsystem; this service ties image, snapshot,
// network and runtime together.
//
//   <data-root>/containers/<id>/
//     config.json  the OCI bundle's spec (rewritten at each start)
//     rootfs/      the overlay mount of snapshot <id>
//     ctr.log      conmon's k8s-file log
//     hostname hosts resolv.conf
//     persist/ pidfile conmon.pid ctl winsz attach oom   (conmon's, see runtime/monitor.ts)
import * as fs from 'node:fs';
import * as path from 'node:path';
import { conflict, internal, invalidArgument, messageOf, notFound } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { ImageService } from '../../image/index.js';
import { mountAll, unmount, type Snapshotter } from '../../snapshot/index.js';
import type { NetworkAttachment, NetworkManager } from '../../network/index.js';
import { generateSpec, LogRotator, rotatedFiles, Monitor, RuntimeCreateError, startFailureCode, readLog, type LogRecord, type ReadLogOptions } from '../../runtime/index.js';
import { parseSignal } from '../../common/signals.js';
import { ContainerStore } from './store.js';
import { logMaxFile, logSizeMax, makeWorkingDir, networkMode, portMappings, readUserDb, specOptions, writeEtcFiles } from './setup.js';
import { AttachSession, type AttachSink } from './attach.js';
import { RestartManager } from './restart.js';
import { recoverContainers } from './recovery.js';
import { checkCreateBody, createContainer } from './create.js';
import { pruneContainers, type ContainersPruneReport } from './prune.js';
import { pause, rename, thawAfterSignal, top, unpause, type OpsDeps, type TopResult } from './ops.js';
import { ZERO_TIME, type ContainerRecord, type CreateRequest } from './types.js';

export interface ContainerServiceDeps {
  store: ContainerStore;
  images: ImageService;
  snapshotter: Snapshotter;
  network: NetworkManager;
  monitor: Monitor;
  dir: string;
  log: Logger;
}

export interface ExitResult {
  StatusCode: number;
  Error: { Message: string } | null;
}

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

type Waiter = (r: ExitResult) => void;

/** the longest delay setTimeout keeps */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class ContainerService {
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly exitWaiters = new Map<string, Waiter[]>();
  private readonly removeWaiters = new Map<string, Waiter[]>();
  private readonly pendingAttach = new Map<string, AttachSession[]>();
  private readonly restarts: RestartManager;
  private readonly rotators = new Map<string, LogRotator>();
  private stopWatching: (() => void) | undefined;

  constructor(private readonly d: ContainerServiceDeps) {
    this.restarts = new RestartManager((id) => this.start(id, { restart: true }), d.log);
  }

  get monitor(): Monitor {
    return this.d.monitor;
  }

  dirOf(id: string): string {
    return path.join(this.d.dir, id);
  }

  logPath(id: string): string {
    return path.join(this.dirOf(id), 'ctr.log');
  }

  /** Serialise start, exit handling and recovery per container (internal). */
  lock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(id) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => {});
    this.locks.set(id, tail);
    void tail.then(() => {
      if (this.locks.get(id) === tail) this.locks.delete(id);
    });
    return next;
  }

  list(): ContainerRecord[] {
    return this.d.store.all().sort((a, b) => (a.Created < b.Created ? 1 : -1));
  }

  /** By full id, name, or unique id prefix, as docker resolves them. */
  get(ref: string): ContainerRecord {
    const all = this.d.store.all();
    const name = ref.startsWith('/') ? ref.slice(1) : ref;
    const exact = all.find((c) => c.Id === ref) ?? all.find((c) => c.Name === name);
    if (exact) return exact;
    const byPrefix = /^[a-f0-9]+$/.test(ref) ? all.filter((c) => c.Id.startsWith(ref)) : [];
    if (byPrefix.length > 1) throw invalidArgument(`multiple IDs found with provided prefix: ${ref}`);
    if (!byPrefix[0]) throw notFound(`No such container: ${ref}`);
    return byPrefix[0];
  }

  network(id: string): NetworkAttachment | undefined {
    return this.d.network.get(id);
  }

  /** The create body checked field by field before it is parsed: docker's 400s, and its warnings. */
  checkCreateBody(body: Record<string, unknown>): string[] {
    return checkCreateBody(body, this.d.monitor.runc);
  }

  create(req: CreateRequest): Promise<{ Id: string; Warnings: string[] }> {
    return createContainer(this.d, req, (id) => this.dirOf(id));
  }

  private rootfs(id: string): string {
    return path.join(this.dirOf(id), 'rootfs');
  }

  private isMounted(target: string): boolean {
    const mounts = fs.readFileSync('/proc/self/mounts', 'utf8');
    return mounts.split('\n').some((l) => l.split(' ')[1] === target);
  }

  /** docker's SizeRw and SizeRootFs: what the container changed, and that plus its image's layers. */
  async sizes(ref: string): Promise<{ SizeRw: number; SizeRootFs: number }> {
    const c = this.get(ref);
    const rw = await this.d.snapshotter.changesSize(c.Id).catch(() => 0);
    let image = 0;
    try {
      image = (await this.d.images.get(c.Image)).record.size;
    } catch {
      /* the image is gone (rmi -f): only the changes count */
    }
    return { SizeRw: rw, SizeRootFs: rw + image };
  }

  /** Start; false when it was already running (docker's 304). */
  start(ref: string, opts: { restart?: boolean } = {}): Promise<boolean> {
    const id = this.get(ref).Id;
    return this.lock(id, async () => {
      const c = this.get(id);
      if (c.State.Running) {
        if (c.State.Paused) throw conflict('cannot start a paused container, try unpause instead');
        return false;
      }
      if (!opts.restart) this.restarts.cancel(id);
      const dir = this.dirOf(id);
      const rootfs = this.rootfs(id);
      const undo: (() => Promise<void> | void)[] = [];
      // where a start's time goes, for `--log-level debug`
      const t0 = performance.now();
      const ms: Record<string, number> = {};
      const lap = (name: string) => (ms[name] = Math.round(performance.now() - t0));
      try {
        if (!this.isMounted(rootfs)) {
          mountAll(await this.d.snapshotter.mounts(id), rootfs);
          undo.push(() => unmount(rootfs, { detach: true }));
        }
        lap('mount');
        // The network is connected (CNI ADD) while the runtime creates the container: only the
        // namespace's path is needed for the spec, and the process runs only at `start`, after
        // the ADD. The /etc files are written again with the address (in place: they are bind
        // mounts) once it is known.
        const mode = networkMode(c.HostConfig);
        let netnsReady!: (p: string | undefined) => void;
        let netnsFailed!: (err: unknown) => void;
        const netns = new Promise<string | undefined>((res, rej) => ((netnsReady = res), (netnsFailed = rej)));
        const attached = this.d.network.attach(id, { mode, ports: portMappings(c.HostConfig) }, { netnsReady });
        attached.catch(netnsFailed); // a failure before the namespace exists ends the wait for it
        undo.push(() => attached.then(() => this.d.network.detach(id), () => this.d.network.detach(id)));
        const early: NetworkAttachment = { mode, netnsPath: await netns, ports: [] };
        lap('netns');
        // docker makes the working directory before the runtime runs: inside the rootfs (a link in
        // the path stays in it), where runc, resolving inside the container, then finds it
        if (c.Config.WorkingDir) makeWorkingDir(rootfs, c.Config.WorkingDir);
        const etc = writeEtcFiles(dir, c, early);
        const spec = generateSpec(specOptions(c, rootfs, await readUserDb(rootfs), early, etc));
        fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(spec, null, 2));
        await this.d.monitor.delete(id, true);
        const pid = await this.d.monitor.create(id, dir, {
          name: c.Name,
          terminal: c.Config.Tty,
          stdin: c.Config.OpenStdin,
          stdinOnce: c.Config.StdinOnce,
          logPath: this.logPath(id),
        });
        undo.push(() => this.d.monitor.delete(id, true));
        lap('create');
        const net = await attached;
        lap('network');
        writeEtcFiles(dir, c, net);
        const [h, w] = c.HostConfig.ConsoleSize;
        if (c.Config.Tty && h > 0 && w > 0) this.d.monitor.resize(dir, h, w);
        for (const s of this.pendingAttach.get(id) ?? []) {
          try {
            s.connect(this.d.monitor.attachPath(id));
          } catch (err) {
            this.d.log.warn('attach failed', { id: id.slice(0, 12), err: messageOf(err) });
            s.close();
          }
        }
        this.pendingAttach.delete(id);
        await this.d.monitor.start(id);
        lap('start');
        c.State = { ...c.State, Status: 'running', Running: true, Restarting: false, OOMKilled: false, Dead: false, Pid: pid, ExitCode: 0, Error: '', StartedAt: new Date().toISOString(), FinishedAt: c.HasBeenStartedBefore ? c.State.FinishedAt : ZERO_TIME };
        if (opts.restart) c.RestartCount++;
        else c.RestartCount = 0;
        c.HasBeenStartedBefore = true;
        c.HasBeenManuallyStopped = false;
        this.d.store.save(c);
        this.watchLog(c);
        this.d.log.info('container started', { id: id.slice(0, 12), pid });
        this.d.log.debug('container start timing (ms since the start request, cumulative)', { id: id.slice(0, 12), ...ms });
        return true;
      } catch (err) {
        for (const u of undo.reverse()) await Promise.resolve().then(u).catch(() => {});
        this.d.monitor.cleanupFiles(id, dir);
        const msg = messageOf(err);
        const code = err instanceof RuntimeCreateError ? startFailureCode(msg) : 125;
        const cur = this.get(id);
        cur.State = { ...cur.State, Status: cur.HasBeenStartedBefore ? 'exited' : 'created', Running: false, Restarting: false, Pid: 0, ExitCode: code, Error: msg };
        this.d.store.save(cur);
        for (const s of this.pendingAttach.get(id) ?? []) s.close();
        this.pendingAttach.delete(id);
        this.resolveWaiters(this.exitWaiters, id, { StatusCode: code, Error: { Message: msg } });
        // docker removes an --rm container whose start failed
        if (cur.HostConfig.AutoRemove) await this.removeNow(id).catch(() => {});
        if (err instanceof RuntimeCreateError) throw code === 125 ? internal(msg) : invalidArgument(msg);
        throw err;
      }
    });
  }

  private resolveWaiters(map: Map<string, Waiter[]>, id: string, r: ExitResult): void {
    const ws = map.get(id);
    map.delete(id);
    for (const w of ws ?? []) w(r);
  }

  /** conmon wrote `<exit-dir>/<id>`: record the exit, release resources, apply the restart policy. */
  handleExit(id: string): Promise<void> {
    return this.lock(id, async () => {
      let c: ContainerRecord;
      try {
        c = this.get(id);
      } catch {
        return;
      }
      if (c.Id !== id || !c.State.Running) return;
      const dir = this.dirOf(id);
      const exit = this.d.monitor.exitOf(id, dir);
      if (!exit) return;
      await this.finishExit(c, exit.code, exit.at, exit.oomKilled, '');
    });
  }

  /** Record an exit and release the container's resources (internal; under lock). */
  async finishExit(c: ContainerRecord, code: number, at: Date, oomKilled: boolean, error: string): Promise<void> {
    const id = c.Id;
    const dir = this.dirOf(id);
    const t0 = performance.now();
    this.rotators.get(id)?.stop();
    this.rotators.delete(id);
    // the process is gone: runc's state and cgroups go in the background (a start or create waits for it)
    this.d.monitor.deleteLater(id, this.runcDeleteFailed(id));
    this.d.monitor.cleanupFiles(id, dir);
    try {
      unmount(this.rootfs(id), { detach: true });
    } catch (err) {
      this.d.log.warn('unmount failed', { id: id.slice(0, 12), err: messageOf(err) });
    }
    const restart = this.restarts.shouldRestart(c, code);
    c.State = { ...c.State, Status: restart ? 'restarting' : 'exited', Running: false, Paused: false, Restarting: restart, Pid: 0, ExitCode: code, OOMKilled: oomKilled, Error: error, FinishedAt: at.toISOString() };
    this.d.store.save(c);
    this.d.log.info('container exited', { id: id.slice(0, 12), code, oomKilled });
    this.d.log.debug('container exit timing (ms)', { id: id.slice(0, 12), total: Math.round(performance.now() - t0) });
    this.resolveWaiters(this.exitWaiters, id, { StatusCode: code, Error: null });
    // Off the critical path: the exit is recorded (and wait answers) without
    // waiting for CNI DEL (~60-300 ms of plugin execs), and only after the rest,
    // since even spawning the first plugin holds this thread for ~10 ms. The
    // manager queues a restart's attach behind it and a new claim on the same
    // host port waits for it; shutdown drains it.
    if (c.HostConfig.AutoRemove && !restart) return this.removeNow(c.Id);
    this.detachLater(id);
    if (restart) this.restarts.schedule(c);
  }

  /** Resolve when the condition holds, with the exit code. */
  wait(ref: string, condition: WaitCondition = 'not-running'): Promise<ExitResult> {
    const c = this.get(ref);
    if (condition === 'not-running' && !c.State.Running && !c.State.Restarting) return Promise.resolve({ StatusCode: c.State.ExitCode, Error: null });
    const map = condition === 'removed' ? this.removeWaiters : this.exitWaiters;
    return new Promise((resolve) => map.set(c.Id, [...(map.get(c.Id) ?? []), resolve]));
  }

  /** The container's stop signal; one an image names that is no signal is SIGTERM, as in moby's stopSignal(). */
  private stopSignal(c: ContainerRecord): string {
    try {
      return parseSignal(c.Config.StopSignal || 'SIGTERM');
    } catch {
      return parseSignal('SIGTERM');
    }
  }

  /** Stop: the stop signal, then SIGKILL after `timeout` seconds; false when not running (docker's 304). */
  async stop(ref: string, timeout?: number, signal?: string): Promise<boolean> {
    if (signal) parseSignal(signal);
    const c = this.get(ref);
    this.restarts.cancel(c.Id);
    if (!c.State.Running) {
      if (c.State.Restarting) {
        c.HasBeenManuallyStopped = true;
        c.State = { ...c.State, Status: 'exited', Restarting: false };
        this.d.store.save(c);
        return true;
      }
      return false;
    }
    c.HasBeenManuallyStopped = true;
    this.d.store.save(c);
    const exited = this.wait(c.Id, 'next-exit');
    const t = timeout ?? c.Config.StopTimeout ?? 10;
    await this.d.monitor.kill(c.Id, signal ? parseSignal(signal) : this.stopSignal(c)).catch(() => {});
    await this.thaw(c);
    // A negative timeout waits for the exit, as docker's -1; so does one past what a timer can hold
    // (2^31-1 ms, ~24.8 days): node would fire it at once and kill straight away.
    if (t >= 0 && t * 1000 <= MAX_TIMER_MS) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), t * 1000)))]);
      clearTimeout(timer);
      if (!timedOut) return true;
      await this.d.monitor.kill(c.Id, 'SIGKILL', true).catch(() => {});
    }
    await exited;
    return true;
  }

  async kill(ref: string, signal = 'SIGKILL'): Promise<void> {
    parseSignal(signal);
    const c = this.get(ref);
    if (!c.State.Running) throw conflict(`Cannot kill container: ${ref}: Container ${c.Id} is not running`);
    c.HasBeenManuallyStopped = true;
    this.d.store.save(c);
    await this.d.monitor.kill(c.Id, parseSignal(signal));
    await this.thaw(c);
  }

  /** A paused container thawed after a signal, as dockerd's kill does (see ops.ts). */
  private async thaw(c: ContainerRecord): Promise<void> {
    await thawAfterSignal(this.ops, c).catch((err: unknown) => this.d.log.warn('cannot unpause container', { id: c.Id.slice(0, 12), err: messageOf(err) }));
  }

  private get ops(): OpsDeps {
    return { store: this.d.store, monitor: this.d.monitor, get: (r) => this.get(r) };
  }

  pause(ref: string): Promise<void> {
    return pause(this.ops, this.get(ref));
  }

  unpause(ref: string): Promise<void> {
    return unpause(this.ops, this.get(ref));
  }

  rename(ref: string, name: string): void {
    rename(this.ops, ref, name);
  }

  top(ref: string, psArgs: string): Promise<TopResult> {
    return top(this.ops, this.get(ref), psArgs);
  }

  /** POST /containers/prune (see prune.ts). */
  prune(filters: Map<string, string[]>): Promise<ContainersPruneReport> {
    return pruneContainers(this, filters, this.d.log);
  }

  async restart(ref: string, timeout?: number): Promise<void> {
    const c = this.get(ref);
    await this.stop(c.Id, timeout);
    await this.start(c.Id);
  }

  async remove(ref: string, opts: { force?: boolean } = {}): Promise<void> {
    const c = this.get(ref);
    if (c.State.Paused && !opts.force) throw conflict(`You cannot remove a paused container ${c.Id}. Unpause and then stop the container before attempting removal or force remove`);
    if (c.State.Running) {
      if (!opts.force) throw conflict(`You cannot remove a running container ${c.Id}. Stop the container before attempting removal or force remove`);
      c.HasBeenManuallyStopped = true;
      c.HostConfig.AutoRemove = false;
      this.d.store.save(c);
      const exited = this.wait(c.Id, 'next-exit');
      await this.d.monitor.kill(c.Id, 'SIGKILL', true).catch(() => {});
      await this.thaw(c);
      await exited;
    }
    this.restarts.cancel(c.Id);
    // Under the container's lock, so that a start cannot come in between.
    await this.lock(c.Id, async () => {
      const cur = this.get(c.Id);
      if (cur.State.Running) throw conflict(`You cannot remove a running container ${c.Id}. Stop the container before attempting removal or force remove`);
      // As docker's rm: when it returns, the cgroups and runc state are gone too (the exit's
      // background delete is awaited; only `run --rm`'s own removal leaves it running).
      await this.d.monitor.delete(c.Id, true);
      await this.removeNow(c.Id);
    });
  }

  private runcDeleteFailed(id: string): (err: unknown) => void {
    return (err) => this.d.log.warn('runc delete failed', { id: id.slice(0, 12), err: messageOf(err) });
  }

  private detachLater(id: string): void {
    void this.d.network.detach(id).catch((err: unknown) => this.d.log.warn('network detach failed', { id: id.slice(0, 12), err: messageOf(err) }));
  }

  private async removeNow(id: string): Promise<void> {
    const c = this.get(id);
    const dir = this.dirOf(id);
    const t0 = performance.now();
    const ms: Record<string, number> = {};
    const lap = (name: string) => (ms[name] = Math.round(performance.now() - t0));
    try {
      this.d.monitor.deleteLater(id, this.runcDeleteFailed(id));
      this.d.monitor.cleanupFiles(id, dir);
      lap('runc');
      unmount(this.rootfs(id), { detach: true });
      lap('unmount');
      // its files go in the background: off `rm` and `run --rm`'s path
      await this.d.snapshotter.remove(id, { wait: false }).catch((err: unknown) => {
        if (!/not found/.test(messageOf(err))) throw err;
      });
      lap('snapshot');
      fs.rmSync(dir, { recursive: true, force: true });
      this.d.store.delete(id);
      lap('store');
      this.d.log.debug('container remove timing (ms, cumulative)', { id: id.slice(0, 12), ...ms });
      for (const s of this.pendingAttach.get(id) ?? []) s.close();
      this.pendingAttach.delete(id);
      this.resolveWaiters(this.exitWaiters, id, { StatusCode: c.State.ExitCode, Error: null });
      this.resolveWaiters(this.removeWaiters, id, { StatusCode: c.State.ExitCode, Error: null });
      this.d.log.info('container removed', { id: id.slice(0, 12) });
    } finally {
      this.detachLater(id); // last, as in finishExit; also when the removal failed half-way
    }
  }

  /** Attach to stdio now (running) or from the next start (created/exited). */
  attach(ref: string, stdin: boolean, sink: AttachSink): AttachSession {
    const c = this.get(ref);
    const s = new AttachSession(stdin && c.Config.OpenStdin, sink);
    if (c.State.Running) s.connect(this.d.monitor.attachPath(c.Id));
    else this.pendingAttach.set(c.Id, [...(this.pendingAttach.get(c.Id) ?? []), s]);
    return s;
  }

  resize(ref: string, rows: number, cols: number): void {
    const c = this.get(ref);
    if (!c.State.Running) throw conflict(`Container ${c.Id} is not running`);
    if (c.Config.Tty) this.d.monitor.resize(this.dirOf(c.Id), rows, cols);
  }

  logs(ref: string, o: Omit<ReadLogOptions, 'running'>): AsyncGenerator<LogRecord> {
    const c = this.get(ref);
    return readLog(this.logPath(c.Id), { ...o, running: () => this.isRunning(c.Id), rotated: rotatedFiles(this.logPath(c.Id), logMaxFile(c)) });
  }

  /** --log-opt max-size: rotate the running container's log (internal; also after recovery). */
  watchLog(c: ContainerRecord): void {
    const max = logSizeMax(c);
    if (!max || this.rotators.has(c.Id)) return;
    this.rotators.set(c.Id, new LogRotator(this.d.monitor, this.dirOf(c.Id), this.logPath(c.Id), max, logMaxFile(c)).start());
  }

  private isRunning(id: string): boolean {
    try {
      const c = this.get(id);
      return c.State.Running || c.State.Restarting;
    } catch {
      return false;
    }
  }

  /** After a daemon start: see recovery.ts. */
  async recover(): Promise<void> {
    this.stopWatching = await recoverContainers(this, this.d.store, this.d.monitor, this.d.log);
  }

  /** Wait for the background runc deletes (shutdown). */
  drain(): Promise<void> {
    return this.d.monitor.drain();
  }

  close(): void {
    this.stopWatching?.();
    for (const r of this.rotators.values()) r.stop();
    this.restarts.cancelAll();
  }
}
