// RUN: the command line (shell or exec form, heredocs), its environment and
// user, its --mount list turned into executor mounts (secrets bound read-only
// from outside the rootfs for this step only), and the run itself. Whatever
// this step creates only to mount over (mountpoints, secret files) is removed
// again before the layer is taken, so none of it reaches the image.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { ExecMount, Executor } from '../runtime/index.js';
import type { RunMount } from './instructions/index.js';
import type { Heredoc } from './parser/index.js';
import { mkdirInRoot, resolveInRoot } from './rootfs.js';

export class RunError extends Error {}

/** The argv of a RUN, with heredocs handed to the shell as it would read them. */
export function runArgv(args: string[], shellForm: boolean, shell: string[], heredocs: Heredoc[]): string[] {
  if (!shellForm) return args;
  const cmd = args[0] ?? '';
  if (heredocs.length === 1 && /^\s*\d*<<-?\S+\s*$/.test(cmd)) return [...shell, heredocs[0]!.content];
  if (heredocs.length === 0) return [...shell, cmd];
  let script = cmd;
  for (const h of heredocs) script += '\n' + h.content + h.name;
  return [...shell, script];
}

/** Where a `#!` heredoc is mounted (inside the container's /dev tmpfs, so never part of a layer), as BuildKit does. */
export const HEREDOC_DIR = '/dev/pipes';

export interface RunCommand {
  argv: string[];
  /** a single heredoc starting with `#!`: written to HEREDOC_DIR/<name> (mode 0755) and run by the shell as a program */
  script?: { name: string; content: string };
}

/**
 * BuildKit's rule for `RUN <<EOF` whose body starts with `#!`: the body
 * becomes an executable file and the shell runs that file (`/bin/sh -c
 * /dev/pipes/EOF`), so the kernel starts the `#!` interpreter on it. Any other
 * heredoc goes to the shell as text (runArgv).
 */
export function runCommand(args: string[], shellForm: boolean, shell: string[], heredocs: Heredoc[]): RunCommand {
  const h = heredocs[0];
  if (shellForm && heredocs.length === 1 && h && /^\s*\d*<<-?\S+\s*$/.test(args[0] ?? '') && h.content.startsWith('#!')) {
    if (h.name.includes('/') || h.name === '.' || h.name === '..') throw new RunError(`heredoc name "${h.name}" cannot be a file name in ${HEREDOC_DIR}`);
    return { argv: [...shell, `${HEREDOC_DIR}/${h.name}`], script: { name: h.name, content: h.content } };
  }
  return { argv: runArgv(args, shellForm, shell, heredocs) };
}

export interface MountSources {
  /** host dir for a bind mount's `from` (context when undefined), or undefined when it is unknown */
  bindRoot(from: string | undefined): Promise<string>;
  /** the directory of a cache mount, held for this run (see CacheMounts) */
  cacheDir(m: RunMount): Promise<string>;
  secret(id: string): string | undefined;
}

export interface PreparedRun {
  mounts: ExecMount[];
  /** paths (in the rootfs) created as mountpoints, removed after the run */
  created: string[];
}

/** Make mountpoints in the rootfs and translate --mount entries. */
export async function prepareMounts(rootfs: string, runMounts: RunMount[], executor: Executor, src: MountSources): Promise<PreparedRun> {
  const created: string[] = [];
  for (const mp of executor.mountpoints) mkdirInRoot(rootfs, mp, { uid: 0, gid: 0 }, created);
  for (const f of executor.fileMountpoints) ensureFile(rootfs, f, created);
  const mounts: ExecMount[] = [];
  for (const m of runMounts) {
    const target = path.posix.resolve('/', m.target);
    let source: string | undefined;
    let isFile = false;
    if (m.type === 'secret') {
      source = src.secret(m.id!);
      if (!source) {
        if (m.required) throw new RunError(`secret ${m.id}: not provided`);
        continue;
      }
      isFile = true;
    } else if (m.type === 'cache') source = await src.cacheDir(m);
    else if (m.type === 'bind') {
      const root = await src.bindRoot(m.from);
      source = resolveInRoot(root, m.source ?? '/');
      if (!fs.existsSync(source)) throw new RunError(`failed to mount ${m.source ?? '/'}: not found`);
      isFile = !fs.statSync(source).isDirectory();
    } else if (m.type === 'ssh') {
      if (m.required) throw new RunError('ssh mounts are not supported by this builder');
      continue;
    }
    if (isFile) ensureFile(rootfs, target, created);
    else mkdirInRoot(rootfs, target, { uid: 0, gid: 0 }, created);
    mounts.push({ type: m.type === 'tmpfs' ? 'tmpfs' : 'bind', ...(source ? { source } : {}), target, readOnly: m.type === 'secret' || (m.type === 'bind' && m.readOnly) });
  }
  return { mounts, created };
}

/** An empty file to mount over, unless something (a file, a symlink) is already there. */
function ensureFile(rootfs: string, target: string, created: string[]): void {
  mkdirInRoot(rootfs, path.posix.dirname(target), { uid: 0, gid: 0 }, created);
  const host = resolveInRoot(rootfs, target, false);
  try {
    fs.lstatSync(host);
  } catch {
    fs.writeFileSync(host, '', { mode: 0o400, flag: 'wx' });
    created.push(target);
  }
}

/** Remove what prepareMounts created, deepest first (only if still empty). */
export function removeCreated(rootfs: string, created: string[]): void {
  for (const p of [...created].reverse()) {
    const host = resolveInRoot(rootfs, p, false);
    try {
      const st = fs.lstatSync(host);
      if (st.isDirectory()) fs.rmdirSync(host);
      else if (st.size === 0) fs.unlinkSync(host);
    } catch {
      /* not empty or already gone: it stays, as the RUN left it */
    }
  }
}

export function cacheMountDir(base: string, id: string): string {
  const dir = path.join(base, createHash('sha256').update(id).digest('hex').slice(0, 32));
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  return dir;
}

/**
 * RUN --mount=type=cache directories of the whole daemon, by id, with
 * BuildKit's sharing modes: `shared` (the default) lets every concurrent run
 * use the directory, `locked` waits until the run holding it is done,
 * `private` gets a fresh empty directory (under the build's scratch space,
 * discarded afterwards) while another run holds the shared one.
 */
export class CacheMounts {
  private readonly users = new Map<string, number>();
  private readonly tails = new Map<string, Promise<void>>();

  constructor(readonly base: string) {}

  /** `signal`: a wait for a locked cache ends (AbortError) when the build is cancelled. */
  async acquire(id: string, sharing: RunMount['sharing'], scratch: string, signal?: AbortSignal): Promise<{ dir: string; release: () => void }> {
    const dir = cacheMountDir(this.base, id);
    if (sharing === 'private' && (this.users.get(dir) ?? 0) > 0) {
      const own = path.join(scratch, `cache-private-${randomBytes(6).toString('hex')}`);
      fs.mkdirSync(own, { mode: 0o755 });
      return { dir: own, release: () => fs.rmSync(own, { recursive: true, force: true }) };
    }
    let unlock = () => {};
    if (sharing === 'locked') {
      const before = this.tails.get(dir) ?? Promise.resolve();
      const mine = new Promise<void>((r) => (unlock = r));
      const tail = before.then(() => mine);
      this.tails.set(dir, tail);
      try {
        await abortable(before, signal);
      } catch (err) {
        unlock(); // the next waiter need not wait for us
        if (this.tails.get(dir) === tail) this.tails.delete(dir);
        throw err;
      }
      const release = unlock;
      unlock = () => {
        release();
        if (this.tails.get(dir) === tail) this.tails.delete(dir);
      };
    }
    this.users.set(dir, (this.users.get(dir) ?? 0) + 1);
    let released = false;
    return {
      dir,
      release: () => {
        if (released) return;
        released = true;
        const n = (this.users.get(dir) ?? 1) - 1;
        if (n > 0) this.users.set(dir, n);
        else this.users.delete(dir);
        unlock();
      },
    };
  }
}

export function containerId(): string {
  return randomBytes(32).toString('hex');
}

/** A writable that forwards text to the progress stream. */
export function progressWriter(emit: (text: string) => void): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      emit(chunk.toString('utf8'));
      cb();
    },
  });
}

/** `p`, or an AbortError as soon as `signal` aborts. */
function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new DOMException('aborted', 'AbortError'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => (signal.removeEventListener('abort', onAbort), resolve(v)),
      (e: unknown) => (signal.removeEventListener('abort', onAbort), reject(e)),
    );
  });
}
