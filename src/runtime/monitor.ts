// The per-container monitor: conmon 2.1.6 driving runc, exactly as
// ../shared/notes/conmon.md records it (sync and start pipes, exit files,
// persist dir, k8s-file log, attach socket, ctl FIFO). conmon outlives berthd,
// so everything here is recoverable from files after a daemon restart.
//
//   <execRoot>/runtime/
//     runc/                    runc --root (state of every container)
//     exits/<id>               exit code written by conmon; mtime = exit time
//     s/<uuid> -> bundle       conmon's socket-dir symlinks (short attach paths)
//   <bundle> (containers/<id>/)
//     config.json pidfile conmon.pid ctl winsz attach persist/{exit,oom} oom ctr.log
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run } from '../common/exec.js';
import { internal, messageOf } from '../common/errors.js';

export interface MonitorOptions {
  root: string;
  conmon?: string;
  runc?: string;
}

export interface CreateOptions {
  name: string;
  terminal: boolean;
  stdin: boolean;
  stdinOnce: boolean;
  logPath: string;
  logSizeMax?: number;
}

/** runc refused to create the container (bad command, missing binary...): the message is runc's. */
export class RuntimeCreateError extends Error {}

export interface RuncState {
  status: 'created' | 'running' | 'stopped' | 'paused' | string;
  pid: number;
}

export interface ExitInfo {
  code: number;
  at: Date;
  oomKilled: boolean;
}

export class Monitor {
  readonly runcRoot: string;
  /** `runc delete`s in flight, by container */
  private readonly deleting = new Map<string, Promise<void>>();
  readonly exitDir: string;
  readonly socketDir: string;
  readonly conmon: string;
  readonly runc: string;

  constructor(opts: MonitorOptions) {
    this.runcRoot = path.join(opts.root, 'runc');
    this.exitDir = path.join(opts.root, 'exits');
    this.socketDir = path.join(opts.root, 's');
    this.conmon = opts.conmon ?? '/usr/bin/conmon';
    this.runc = opts.runc ?? '/usr/sbin/runc';
    for (const d of [this.runcRoot, this.exitDir, this.socketDir]) fs.mkdirSync(d, { recursive: true, mode: 0o700 });
  }

  /** Short name of the attach socket's symlink (sockaddr_un holds 107 bytes). */
  static uuid(id: string): string {
    return id.slice(0, 32);
  }

  attachPath(id: string): string {
    return path.join(this.socketDir, Monitor.uuid(id), 'attach');
  }

  /** conmon + `runc create`; resolves with the container's pid once it exists (state "created"). */
  async create(id: string, bundle: string, o: CreateOptions): Promise<number> {
    await this.deleting.get(id)?.catch(() => {}); // the last run's state goes first
    fs.mkdirSync(path.join(bundle, 'persist'), { recursive: true });
    for (const f of ['attach', 'ctl', 'winsz', 'oom', 'persist/oom', 'persist/exit', 'pidfile', 'conmon.pid']) fs.rmSync(path.join(bundle, f), { force: true });
    fs.rmSync(path.join(this.exitDir, id), { force: true });
    fs.rmSync(path.join(this.socketDir, Monitor.uuid(id)), { force: true });
    const args = [
      '--api-version', '-c', id, '-u', Monitor.uuid(id), '-n', o.name,
      '-r', this.runc, '--runtime-arg', '--root', '--runtime-arg', this.runcRoot,
      '-b', bundle, '-p', path.join(bundle, 'pidfile'), '-P', path.join(bundle, 'conmon.pid'),
      '-l', `k8s-file:${o.logPath}`, '--exit-dir', this.exitDir, '--persist-dir', path.join(bundle, 'persist'),
      '--socket-dir-path', this.socketDir,
    ];
    if (o.logSizeMax) args.push('--log-size-max', String(o.logSizeMax));
    if (o.terminal) args.push('-t');
    if (o.stdin) args.push('-i');
    if (o.stdin && !o.stdinOnce) args.push('--leave-stdin-open');
    const line = await this.spawnConmon(args, bundle);
    const msg = parseSync(line);
    if (msg.data < 0) throw new RuntimeCreateError(runcMessage(msg.message ?? 'runc create failed'));
    return msg.data;
  }

  private spawnConmon(args: string[], cwd: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.conmon, args, {
        cwd,
        env: { PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin', _OCI_SYNCPIPE: '3', _OCI_STARTPIPE: '4', TZ: 'UTC' },
        stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
        detached: true,
      });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      const sync = child.stdio[3] as NodeJS.ReadableStream & { destroy(): void };
      const start = child.stdio[4] as NodeJS.WritableStream & { destroy(): void };
      let done = false;
      const finish = (err: Error | null, line?: string) => {
        if (done) return;
        done = true;
        rl.close();
        sync.destroy();
        start.destroy();
        child.unref();
        if (err) reject(err);
        else resolve(line!);
      };
      const rl = createInterface({ input: sync });
      rl.once('line', (l) => finish(null, l));
      rl.once('close', () => finish(internal(`conmon exited without reporting the container${out.trim() ? `: ${out.trim()}` : ''}`)));
      child.on('error', (err) => finish(internal(`conmon: ${err.message}`)));
      child.on('exit', (code) => {
        if (code !== 0) finish(internal(`conmon failed (exit ${code}): ${out.trim()}`));
      });
      start.write(Buffer.from([0]));
    });
  }

  private runcArgs(...args: string[]): string[] {
    return ['--root', this.runcRoot, ...args];
  }

  async start(id: string): Promise<void> {
    await run(this.runc, this.runcArgs('start', id));
  }

  async kill(id: string, signal: string, all = false): Promise<void> {
    await run(this.runc, this.runcArgs('kill', ...(all ? ['--all'] : []), id, signal));
  }

  /** `runc pause`: the cgroup freezer (v1 freezer.state or v2 cgroup.freeze, whichever the host has). */
  async pause(id: string): Promise<void> {
    await run(this.runc, this.runcArgs('pause', id));
  }

  /** `runc resume`: thaws what pause() froze. */
  async resume(id: string): Promise<void> {
    await run(this.runc, this.runcArgs('resume', id));
  }

  /** The pids in the container's cgroup (`runc ps`), as docker's top takes them from containerd. */
  async pids(id: string): Promise<number[]> {
    const r = await run(this.runc, this.runcArgs('ps', '--format', 'json', id));
    const v: unknown = JSON.parse(r.stdout || '[]');
    return Array.isArray(v) ? v.map(Number).filter((n) => Number.isInteger(n)) : [];
  }

  /**
   * `runc delete`. One at a time per container: a call while one runs gets
   * that one (so a start after an exit waits for the exit's delete).
   */
  delete(id: string, force = false, after?: Promise<void>): Promise<void> {
    const running = this.deleting.get(id);
    if (running) return running;
    // runc keeps a container's state in <root>/<id>/ from `create` until `delete`: without it there
    // is nothing to delete, and not running runc saves ~40 ms before every start and after every exit
    if (!fs.existsSync(path.join(this.runcRoot, id))) return Promise.resolve();
    const p = (async () => {
      await after;
      const r = await run(this.runc, this.runcArgs('delete', ...(force ? ['--force'] : []), id), { allowFailure: true });
      if (r.code !== 0 && !/does not exist|not exist/.test(r.stderr)) throw internal(`runc delete ${id}: ${r.stderr.trim()}`);
    })().finally(() => this.deleting.delete(id));
    this.deleting.set(id, p);
    return p;
  }

  /**
   * `runc delete --force` of a container whose process has exited, without
   * waiting: its cgroups and runc state go after the answer (~40 ms of exec off
   * `run --rm`). A later delete() or create of the same container waits for it,
   * drain() at shutdown waits for all, and a crash's leftovers are found by
   * stateIds() at the next start.
   */
  deleteLater(id: string, onError: (err: unknown) => void): void {
    if (this.deleting.has(id)) return; // under way: whoever started it reports its failure
    // spawned on the next turn of the loop, after the answers this turn resolved are written (a spawn
    // holds the thread for a few ms); registered now, so that a start meanwhile waits for it
    this.delete(id, true, new Promise((resolve) => setImmediate(resolve))).catch(onError);
  }

  /** Wait for the deletes in flight (shutdown). */
  async drain(): Promise<void> {
    // (an exit handled meanwhile may add one)
    while (this.deleting.size) await Promise.allSettled([...this.deleting.values()]);
  }

  /** The containers runc holds state for. */
  stateIds(): string[] {
    try {
      return fs.readdirSync(this.runcRoot);
    } catch {
      return [];
    }
  }

  async state(id: string): Promise<RuncState | undefined> {
    const r = await run(this.runc, this.runcArgs('state', id), { allowFailure: true });
    if (r.code !== 0) return undefined;
    const s = JSON.parse(r.stdout) as { status: string; pid: number };
    return { status: s.status, pid: s.pid };
  }

  /** The exit recorded by conmon, if the container has exited. */
  exitOf(id: string, bundle: string): ExitInfo | undefined {
    const file = path.join(this.exitDir, id);
    let text: string;
    let st: fs.Stats;
    try {
      text = fs.readFileSync(file, 'utf8');
      st = fs.statSync(file);
    } catch {
      return undefined;
    }
    const code = Number(text.trim());
    if (text.trim() === '' || !Number.isInteger(code)) return undefined;
    const oomKilled = fs.existsSync(path.join(bundle, 'persist', 'oom')) || fs.existsSync(path.join(bundle, 'oom'));
    return { code, at: st.mtime, oomKilled };
  }

  /** Whether the container's conmon is still alive (it holds the stdio and writes the exit file). */
  conmonAlive(bundle: string): boolean {
    const pid = readPid(path.join(bundle, 'conmon.pid'));
    if (!pid) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  /** Remove what conmon leaves behind after an exit (notes §7.10); runc state is removed by delete(). */
  cleanupFiles(id: string, bundle: string): void {
    fs.rmSync(path.join(this.exitDir, id), { force: true });
    fs.rmSync(path.join(this.socketDir, Monitor.uuid(id)), { force: true });
    for (const f of ['attach', 'ctl', 'winsz']) fs.rmSync(path.join(bundle, f), { force: true });
  }

  /** Resize the pty (one message per write: conmon 2.1.6 mishandles two in one read). */
  resize(bundle: string, rows: number, cols: number): void {
    writeCtl(path.join(bundle, 'ctl'), `1 ${Math.trunc(rows)} ${Math.trunc(cols)}\n`);
  }

  /** Ask conmon to reopen its log file (after berth renamed it for rotation). */
  reopenLog(bundle: string): void {
    writeCtl(path.join(bundle, 'ctl'), '2 0 0\n');
  }

  /** Call `onExit(id)` for every exit file, now and whenever one appears. */
  watchExits(onExit: (id: string) => void): () => void {
    const scan = () => {
      for (const f of fs.readdirSync(this.exitDir)) onExit(f);
    };
    const w = fs.watch(this.exitDir, (_ev, name) => {
      if (name) onExit(name.toString());
    });
    // inotify can overflow; a slow rescan catches anything it dropped.
    const t = setInterval(scan, 5000);
    t.unref();
    scan();
    return () => {
      w.close();
      clearInterval(t);
    };
  }
}

export function readPid(file: string): number | undefined {
  try {
    const n = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

function writeCtl(file: string, msg: string): void {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
  } catch (err) {
    throw internal(`container monitor is not running: ${messageOf(err)}`);
  }
  try {
    fs.writeSync(fd, msg);
  } finally {
    fs.closeSync(fd);
  }
}

export function parseSync(line: string): { data: number; message?: string } {
  const v = JSON.parse(line) as { data?: unknown; message?: unknown };
  if (typeof v.data !== 'number') throw internal(`conmon: unexpected sync message ${line}`);
  return { data: v.data, ...(typeof v.message === 'string' ? { message: v.message } : {}) };
}

/** runc's logfmt stderr (`time=... level=error msg="..."`) → the message docker shows. */
export function runcMessage(text: string): string {
  const m = /msg="((?:[^"\\]|\\.)*)"/.exec(text);
  const msg = m ? m[1]!.replace(/\\"/g, '"').replace(/\\\\/g, '\\') : text.trim();
  return msg.startsWith('runc ') ? `OCI runtime create failed: ${msg}: unknown` : `OCI runtime create failed: runc create failed: ${msg}: unknown`;
}

/** docker's exit code for a failed start: 127 command not found, 126 not executable, else 125. */
export function startFailureCode(message: string): number {
  if (/executable file not found|no such file or directory/i.test(message)) return 127;
  if (/permission denied|cannot execute|not a directory|exec format error/i.test(message)) return 126;
  return 125;
}
