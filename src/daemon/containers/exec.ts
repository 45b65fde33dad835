// exec sessions of running containers: created, then started attached
// (hijacked stream) or detached; the exit code is kept for /exec/{id}/json.
// Sessions live in memory and in <exec-root>/runtime/exec/<id>/; an exec that
// ends while berthd is away still writes its exit file there.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { conflict, invalidArgument, messageOf, notFound } from '../../common/errors.js';
import { resolveUser, runExec, RuntimeCreateError, type Monitor, type OciProcess } from '../../runtime/index.js';
import { AttachSession, type AttachSink } from './attach.js';
import { readUserDb } from './setup.js';
import type { ContainerService } from './service.js';

export interface ExecConfig {
  Cmd: string[];
  Env: string[];
  User: string;
  WorkingDir: string;
  Tty: boolean;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  Privileged: boolean;
  ConsoleSize?: [number, number];
}

export interface ExecSession {
  ID: string;
  ContainerID: string;
  Config: ExecConfig;
  Running: boolean;
  ExitCode: number | null;
  Pid: number;
  dir: string;
}

export class ExecService {
  private readonly sessions = new Map<string, ExecSession>();

  constructor(private readonly containers: ContainerService, private readonly monitor: Monitor, private readonly root: string) {
    fs.rmSync(root, { recursive: true, force: true });
    fs.mkdirSync(root, { recursive: true, mode: 0o700 });
  }

  create(ref: string, cfg: ExecConfig): string {
    const c = this.containers.get(ref);
    if (!c.State.Running) throw conflict(`Container ${c.Id} is not running`);
    if (c.State.Paused) throw conflict(`Container ${ref} is paused, unpause the container before exec`);
    if (!cfg.Cmd.length) throw invalidArgument('No exec command specified');
    // Sessions of containers removed since are dropped here.
    const live = new Set(this.containers.list().map((x) => x.Id));
    for (const [k, x] of this.sessions) if (!live.has(x.ContainerID)) this.sessions.delete(k);
    const id = randomBytes(32).toString('hex');
    this.sessions.set(id, { ID: id, ContainerID: c.Id, Config: cfg, Running: false, ExitCode: null, Pid: 0, dir: path.join(this.root, id.slice(0, 32)) });
    return id;
  }

  get(id: string): ExecSession {
    const s = this.sessions.get(id) ?? [...this.sessions.values()].find((x) => x.ID.startsWith(id));
    if (!s) throw notFound(`No such exec instance: ${id}`);
    return s;
  }

  idsOf(containerId: string): string[] | null {
    const ids = [...this.sessions.values()].filter((s) => s.ContainerID === containerId).map((s) => s.ID);
    return ids.length ? ids : null;
  }

  private async processSpec(s: ExecSession): Promise<OciProcess> {
    const bundle = this.containers.dirOf(s.ContainerID);
    const base = (JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8')) as { process: OciProcess }).process;
    const env = new Map<string, string>();
    for (const e of [...base.env, ...s.Config.Env]) env.set(e.split('=', 1)[0]!, e);
    let user = base.user;
    if (s.Config.User) {
      // read inside the running container's root filesystem, which its processes may be changing
      const db = await readUserDb(path.join(bundle, 'rootfs'));
      const u = resolveUser(s.Config.User, db.passwd, db.group);
      user = { uid: u.uid, gid: u.gid, ...(u.additionalGids.length ? { additionalGids: u.additionalGids } : {}) };
      env.set('HOME', `HOME=${u.home}`);
    }
    if (s.Config.Tty && !env.has('TERM')) env.set('TERM', 'TERM=xterm');
    const { consoleSize: _drop, ...rest } = base;
    void _drop;
    return { ...rest, args: s.Config.Cmd, env: [...env.values()], cwd: s.Config.WorkingDir || base.cwd, user, terminal: s.Config.Tty };
  }

  /**
   * Start the session. With a sink the process's output goes there (attached);
   * resolves when the process is running, with the exit code's promise.
   */
  async start(id: string, sink: AttachSink | undefined, stdin: boolean): Promise<{ session?: AttachSession; exit: Promise<number> }> {
    const s = this.get(id);
    if (s.Running || s.ExitCode !== null) throw conflict(`Error: Exec command ${id} has already run`);
    const c = this.containers.get(s.ContainerID);
    if (!c.State.Running) throw conflict(`Container ${c.Id} is not running`);
    if (c.State.Paused) throw conflict(`Container ${c.Id} is paused, unpause the container before exec`);
    s.Running = true;
    fs.mkdirSync(s.dir, { recursive: true });
    const session = sink ? new AttachSession(stdin && s.Config.AttachStdin, sink) : undefined;
    // a process that cannot be described (user not found, unreadable /etc/passwd) is docker's 126, as a runtime refusal
    let described = false;
    try {
      const proc = await this.processSpec(s);
      described = true;
      const h = await runExec(this.monitor, {
        containerId: s.ContainerID,
        execId: s.ID,
        dir: s.dir,
        process: proc,
        terminal: s.Config.Tty,
        stdin: s.Config.AttachStdin,
        attach: !!session,
        onAttachReady: (p) => {
          session?.connect(p);
          const cs = s.Config.ConsoleSize;
          if (s.Config.Tty && cs && cs[0] > 0) this.resize(id, cs[0], cs[1]);
        },
      });
      s.Pid = h.pid;
      const exit = h.exit.then((code) => {
        s.Running = false;
        s.ExitCode = code;
        setTimeout(() => fs.rmSync(s.dir, { recursive: true, force: true }), 1000).unref();
        return code;
      });
      return { ...(session ? { session } : {}), exit };
    } catch (err) {
      s.Running = false;
      s.ExitCode = err instanceof RuntimeCreateError || !described ? 126 : 125;
      session?.close();
      fs.rmSync(s.dir, { recursive: true, force: true });
      throw err instanceof RuntimeCreateError ? err : new Error(messageOf(err));
    }
  }

  resize(id: string, rows: number, cols: number): void {
    const s = this.get(id);
    if (s.Config.Tty && s.Running) this.monitor.resize(s.dir, rows, cols);
  }

}
