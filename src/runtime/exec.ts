// Exec sessions: a second, short-lived conmon per `exec` (notes §5). With
// attach, conmon reports its socket on the attach pipe, berth connects, and
// only then lets `runc exec` run, so no output is missed. The sync pipe then
// carries the pid and, at the end, the exit code.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { internal } from '../common/errors.js';
import { Monitor, RuntimeCreateError, parseSync } from './monitor.js';

export interface ExecOptions {
  containerId: string;
  execId: string;
  /** the session's own directory (attach, ctl, exits, process.json) */
  dir: string;
  process: object;
  terminal: boolean;
  stdin: boolean;
  attach: boolean;
  /** called when the attach socket exists, before the process runs */
  onAttachReady?: (socketPath: string) => void;
}

export interface ExecHandle {
  pid: number;
  /** resolves with the exit code */
  exit: Promise<number>;
}

function lines(stream: NodeJS.ReadableStream): () => Promise<string | null> {
  const rl = createInterface({ input: stream });
  const queue: string[] = [];
  const waiting: ((l: string | null) => void)[] = [];
  let closed = false;
  rl.on('line', (l) => (waiting.length ? waiting.shift()!(l) : queue.push(l)));
  rl.on('close', () => {
    closed = true;
    for (const w of waiting.splice(0)) w(null);
  });
  return () => (queue.length ? Promise.resolve(queue.shift()!) : closed ? Promise.resolve(null) : new Promise((r) => waiting.push(r)));
}

export async function runExec(m: Monitor, o: ExecOptions): Promise<ExecHandle> {
  fs.mkdirSync(path.join(o.dir, 'exits'), { recursive: true });
  const spec = path.join(o.dir, 'process.json');
  fs.writeFileSync(spec, JSON.stringify(o.process));
  const args = [
    '--api-version', '-c', o.containerId, '-u', Monitor.uuid(o.execId), '-n', o.execId,
    '-r', m.runc, '--runtime-arg', '--root', '--runtime-arg', m.runcRoot,
    '-b', o.dir, '-p', path.join(o.dir, 'exec.pid'), '-l', o.attach ? 'none' : `k8s-file:${path.join(o.dir, 'exec.log')}`,
    '--exit-dir', path.join(o.dir, 'exits'), '--socket-dir-path', m.socketDir,
    '-e', '--exec-process-spec', spec,
  ];
  if (o.attach) args.push('--exec-attach');
  if (o.terminal) args.push('-t');
  else if (o.stdin) args.push('-i');
  const child = spawn(m.conmon, args, {
    cwd: o.dir,
    env: { PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin', _OCI_SYNCPIPE: '3', _OCI_STARTPIPE: '4', ...(o.attach ? { _OCI_ATTACHPIPE: '5' } : {}), TZ: 'UTC' },
    stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe', ...(o.attach ? (['pipe'] as const) : [])],
    detached: true,
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  child.on('error', () => {});
  const start = child.stdio[4] as NodeJS.WritableStream & { destroy(): void };
  const sync = lines(child.stdio[3] as NodeJS.ReadableStream);
  const release = () => {
    for (const s of child.stdio) (s as { destroy?: () => void } | null)?.destroy?.();
    child.unref();
  };
  try {
    start.write(Buffer.from([0]));
    if (o.attach) {
      const attachLine = await lines((child.stdio as unknown as NodeJS.ReadableStream[])[5]!)();
      if (attachLine === null) throw internal(`conmon exec failed: ${out.trim() || 'no attach socket'}`);
      o.onAttachReady?.(path.join(m.socketDir, Monitor.uuid(o.execId), 'attach'));
      start.write(Buffer.from([0]));
    }
    const first = await sync();
    if (first === null) throw internal(`conmon exec failed: ${out.trim() || 'no report'}`);
    const msg = parseSync(first);
    if (msg.data < 0) throw new RuntimeCreateError(execMessage(msg.message ?? 'exec failed'));
    const exit = sync().then((l) => {
      release();
      if (l === null) {
        const f = path.join(o.dir, 'exits', o.containerId);
        const t = fs.existsSync(f) ? fs.readFileSync(f, 'utf8').trim() : '';
        return t ? Number(t) : 255;
      }
      return parseSync(l).data;
    });
    return { pid: msg.data, exit };
  } catch (err) {
    release();
    throw err;
  }
}

function execMessage(text: string): string {
  const m = /msg="((?:[^"\\]|\\.)*)"/.exec(text);
  const msg = m ? m[1]!.replace(/\\"/g, '"').replace(/\\\\/g, '\\') : text.trim();
  return `OCI runtime exec failed: ${msg.replace(/^runc exec failed: /, '')}: unknown`;
}
