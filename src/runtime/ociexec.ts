// OciExecutor: every RUN step of a build is a real OCI container. For each
// run it writes a bundle (config.json from generateSpec, so a build step
// gets what `berth run` gives a container: docker's capabilities, masked and
// read-only paths, the seccomp filter, its own cgroup (no no-new-privileges,
// as neither docker builder sets it: a USER's sudo in a RUN works);
// plus the step's hosts/hostname/resolv.conf), runs `<runtime> run` in the
// foreground with the step's stdout/stderr as its stdio (no conmon: nothing
// outlives the step), and always removes the bundle and any runtime state.
//
//   <root>/                    --root of the runtime for build steps only
//                              (the monitor's containers live elsewhere)
//   <bundles>/<id>/            config.json hosts hostname resolv.conf
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { run as runCommand } from '../common/exec.js';
import { generateSpec, type OciMount } from './spec.js';
import type { ExecRequest, ExecResult, Executor } from './executor.js';

export interface OciExecutorOptions {
  /** the OCI runtime binary (runc or crun) */
  runtime: string;
  /** the runtime's state directory (--root) for build containers */
  root: string;
  /** where bundles are written */
  bundles: string;
}

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export class OciExecutor implements Executor {
  readonly mountpoints = ['/proc', '/dev', '/sys'];
  readonly fileMountpoints = ['/etc/hosts', '/etc/hostname', '/etc/resolv.conf'];

  constructor(private readonly o: OciExecutorOptions) {
    for (const d of [o.root, o.bundles]) fs.mkdirSync(d, { recursive: true, mode: 0o700 });
  }

  get runtime(): string {
    return this.o.runtime;
  }

  /** Remove what a crash left: build containers still known to the runtime, and their bundles. */
  async recover(): Promise<string[]> {
    const left = fs.readdirSync(this.o.root).filter((n) => ID_RE.test(n));
    for (const id of left) await this.deleteState(id);
    // `runc run` of a step whose daemon died: orphaned, it exits once its container is gone; one that does not is ended
    await endRuntimeProcesses(this.o.root);
    for (const n of fs.readdirSync(this.o.bundles)) fs.rmSync(path.join(this.o.bundles, n), { recursive: true, force: true });
    return left;
  }

  async run(req: ExecRequest): Promise<ExecResult> {
    if (!ID_RE.test(req.id)) throw new Error(`build container id ${JSON.stringify(req.id)} is not valid`);
    req.signal?.throwIfAborted();
    const bundle = path.join(this.o.bundles, req.id);
    await fsp.mkdir(bundle, { mode: 0o700 });
    try {
      const etc = { hosts: path.join(bundle, 'hosts'), hostname: path.join(bundle, 'hostname'), resolvConf: path.join(bundle, 'resolv.conf') };
      const spec = generateSpec({
        id: req.id,
        rootfs: req.rootfs,
        args: req.args,
        env: req.env,
        cwd: req.cwd,
        user: { uid: req.uid, gid: req.gid, additionalGids: req.groups },
        hostname: req.hostname,
        terminal: false,
        network: req.network,
        etcFiles: etc,
      });
      // The step's own mounts, in the order given (a later one may sit inside an earlier one).
      for (const m of req.mounts) spec.mounts.push(execMount(m));
      await Promise.all([
        fsp.writeFile(path.join(bundle, 'config.json'), JSON.stringify(spec)),
        fsp.writeFile(etc.hosts, req.etc.hosts),
        fsp.writeFile(etc.hostname, req.hostname + '\n'),
        fsp.writeFile(etc.resolvConf, req.etc.resolvConf),
      ]);
      return await this.runBundle(req, bundle);
    } finally {
      // `run` in the foreground deletes the container when it exits; state is left only when the runtime itself died.
      if (fs.existsSync(path.join(this.o.root, req.id))) await this.deleteState(req.id);
      await fsp.rm(bundle, { recursive: true, force: true });
    }
  }

  private runBundle(req: ExecRequest, bundle: string): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      const p = spawn(this.o.runtime, ['--root', this.o.root, 'run', '--bundle', bundle, req.id], { stdio: ['ignore', 'pipe', 'pipe'] });
      p.stdout.pipe(req.stdout, { end: false });
      p.stderr.pipe(req.stderr, { end: false });
      const onAbort = () => {
        // The container's processes first (the runtime then exits with 137); the runtime itself if it had not started one yet.
        runCommand(this.o.runtime, ['--root', this.o.root, 'kill', req.id, 'KILL']).catch(() => p.kill('SIGKILL'));
      };
      req.signal?.addEventListener('abort', onAbort, { once: true });
      if (req.signal?.aborted) onAbort();
      p.on('error', (err) => {
        req.signal?.removeEventListener('abort', onAbort);
        reject(new Error(`${this.o.runtime}: ${err.message}`));
      });
      p.on('close', (code, sig) => {
        req.signal?.removeEventListener('abort', onAbort);
        resolve({ exitCode: code ?? 128 + (sig ? os.constants.signals[sig] : 0) });
      });
    });
  }

  private async deleteState(id: string): Promise<void> {
    try {
      await runCommand(this.o.runtime, ['--root', this.o.root, 'delete', '-f', id]);
    } catch {
      /* already gone */
    }
  }
}

/** Processes whose command line is `<runtime> --root <root> ...`: the foreground runtimes of a dead daemon's steps. */
function runtimeProcesses(root: string): number[] {
  const out: number[] = [];
  for (const n of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(n) || Number(n) === process.pid) continue;
    let args: string[];
    try {
      args = fs.readFileSync(`/proc/${n}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // gone meanwhile
    }
    const i = args.indexOf('--root');
    if (i > 0 && args[i + 1] === root) out.push(Number(n));
  }
  return out;
}

async function endRuntimeProcesses(root: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const pids = runtimeProcesses(root);
    if (!pids.length) return;
    // a grace of a second (20 rounds) to exit on their own, then SIGKILL
    if (i >= 20) for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

function execMount(m: ExecRequest['mounts'][number]): OciMount {
  if (m.type === 'tmpfs') return { destination: m.target, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', ...(m.readOnly ? ['ro'] : [])] };
  if (!m.source) throw new Error(`bind mount on ${m.target} has no source`);
  return { destination: m.target, type: 'bind', source: m.source, options: ['rbind', 'rprivate', m.readOnly ? 'ro' : 'rw'] };
}
