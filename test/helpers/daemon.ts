// Starts a berthd of its own (temporary data root, exec root and socket) for a
// test, runs the berth CLI or the docker CLI against it, and cleans everything
// up by the daemon's PID, even when the test failed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as http from 'node:http';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { CniNetworkManager } from '../../src/network/index.js';
import { BERTHD_NODE_FLAGS } from '../../src/client/index.js';
import { before, after } from 'node:test';
import assert from 'node:assert/strict';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const BERTH = path.join(REPO, 'bin/berth');
export const BERTHD = path.join(REPO, 'bin/berthd');

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

export function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export function ping(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath: socket, path: '/_ping' }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
  });
}

export class TestDaemon {
  readonly root: string;
  readonly socket: string;
  readonly host: string;
  readonly dataRoot: string;
  readonly execRoot: string;
  readonly pidfile: string;
  /** its own bridge, so that daemons side by side never share one (≤15 characters) */
  readonly bridge = `bt${randomBytes(4).toString('hex')}`;
  proc: ChildProcess | undefined;
  log = '';
  private stopping = false;

  constructor(readonly extraArgs: string[] = []) {
    this.root = mkdtempSync(path.join(tmpdir(), 'berth-test-'));
    this.dataRoot = path.join(this.root, 'data');
    this.execRoot = path.join(this.root, 'run');
    this.socket = path.join(this.execRoot, 'berth.sock');
    this.pidfile = path.join(this.execRoot, 'berthd.pid');
    this.host = `unix://${this.socket}`;
  }

  args(): string[] {
    return ['--data-root', this.dataRoot, '--exec-root', this.execRoot, '-H', this.host, '--config-file', '/dev/null/none', '--bridge', this.bridge, ...this.extraArgs];
  }

  async start(): Promise<this> {
    // --config-file must exist when given; use an empty one
    const cfg = path.join(this.root, 'daemon.json');
    spawnSync('sh', ['-c', `echo '{}' > ${cfg}`]);
    const args = this.args().map((a) => (a === '/dev/null/none' ? cfg : a));
    this.stopping = false;
    // the node flags berthd's launchers use (bin/berthd's shebang, the CLI's autostart)
    this.proc = spawn(process.execPath, [...BERTHD_NODE_FLAGS, BERTHD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout!.on('data', (d: Buffer) => (this.log += d.toString()));
    this.proc.stderr!.on('data', (d: Buffer) => (this.log += d.toString()));
    // a daemon that dies on its own says why in the test output (its log is otherwise lost with its root)
    const proc = this.proc;
    proc.once('exit', (code, signal) => {
      if (this.stopping) return;
      process.stderr.write(`\n[TestDaemon ${this.host}] berthd exited unexpectedly (code ${code}, signal ${signal}); its log ends:\n${this.log.slice(-6000)}\n`);
    });
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (await ping(this.socket)) return this;
      if (this.proc.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await this.stop();
    throw new Error(`berthd did not start:\n${this.log}`);
  }

  /** Run the berth CLI against this daemon. */
  berth(args: string[], opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv } = {}): RunResult {
    const r = spawnSync(process.execPath, [BERTH, '-H', this.host, ...args], { input: typeof opts.input === 'string' ? Buffer.from(opts.input) : opts.input, encoding: 'buffer', env: { ...process.env, ...opts.env }, maxBuffer: 1 << 30 });
    return { stdout: r.stdout.toString(), stderr: r.stderr.toString(), code: r.status ?? 128 };
  }

  /** Run the official docker CLI against this daemon. */
  docker(args: string[], opts: { input?: string | Buffer } = {}): RunResult {
    const r = spawnSync('docker', args, { input: opts.input, encoding: 'buffer', env: { ...process.env, DOCKER_HOST: this.host }, maxBuffer: 1 << 30 });
    // a machine without the docker CLI (scripts/setup.sh does not install it): the test should have skipped
    if (r.error) throw new Error(`docker ${args.join(' ')}: ${r.error.message} (a test that needs the docker CLI skips when which('docker') finds none)`);
    return { stdout: r.stdout.toString(), stderr: r.stderr.toString(), code: r.status ?? 128 };
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return p?.exitCode ?? null;
    const exited = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
    this.stopping = true;
    p.kill(signal);
    const t = setTimeout(() => p.kill('SIGKILL'), 15_000);
    const code = await exited;
    clearTimeout(t);
    return code;
  }

  async cleanup(): Promise<void> {
    await this.stop();
    // The daemon's network state: leftover attachments, its bridge and per-network rules.
    if (existsSync(path.join(this.dataRoot, 'network'))) {
      const net = new CniNetworkManager({ stateDir: path.join(this.dataRoot, 'network'), runDir: path.join(this.execRoot, 'cni'), bridge: this.bridge });
      await net.init(new Set()).catch(() => {});
      await net.removeNetwork().catch(() => {});
    }
    spawnSync('ip', ['link', 'del', this.bridge], { stdio: 'ignore' });
    // Layers are never mounted by the image tests, but be sure nothing under the root is.
    const mounts = existsSync('/proc/self/mounts') ? readFileSync('/proc/self/mounts', 'utf8') : '';
    for (const line of mounts.split('\n')) {
      const target = line.split(' ')[1];
      if (target && target.startsWith(this.root)) spawnSync('umount', ['-l', target]);
    }
    rmSync(this.root, { recursive: true, force: true });
  }
}

/**
 * One berthd for a whole test file: started before its first test (unless the
 * file is skipped) and removed after its last, even when tests failed.
 */
export function useDaemon(skip: string | false, set: (d: TestDaemon) => void): void {
  let d: TestDaemon | undefined;
  before(async () => {
    if (skip) return;
    d = await new TestDaemon().start();
    set(d);
  });
  after(async () => {
    await d?.cleanup();
  });
}

/** Assert a CLI run succeeded and return its stdout. */
export function ok(r: RunResult, what: string): string {
  assert.equal(r.code, 0, `${what} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** What `dir` holds once berthd's background removals (a build's scratch space goes after the answer) are done: its entries, polled for up to 5 s. */
export async function settledEntries(dir: string): Promise<string[]> {
  const list = () => (existsSync(dir) ? readdirSync(dir) : []);
  for (let i = 0; i < 100 && list().length; i++) await new Promise((r) => setTimeout(r, 50));
  return list();
}
