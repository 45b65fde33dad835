// Watches a daemon's responsiveness while a test attacks it: a child process
// (so that the test's own spawnSync calls cannot pause the watch) sends
// GET /_ping every 20 ms over the daemon's socket and records how long each
// answer took. stop() returns the figures; assertResponsive() fails a test
// whose daemon stalled.
import { spawn, type ChildProcess } from 'node:child_process';
import assert from 'node:assert/strict';

export interface PingStats {
  /** pings answered */
  count: number;
  /** pings that got no answer (error, or still pending when the watch stopped) */
  failed: number;
  maxMs: number;
  p99Ms: number;
  p50Ms: number;
}

/**
 * A stall of the daemon's event loop (a FIFO read, a synchronous walk of a
 * large tree) shows as a ping pending for seconds or for ever. The issue asks
 * for ~100 ms; the assertion uses a bound far above a loaded CI machine's
 * noise (GC, a busy second core) so that it fails on a stall, not on timing.
 * The measured p99/max are printed so that the real figure is visible.
 */
export const PING_STALL_MS = 1000;

const WATCHER = `
const http = require('node:http');
const [socketPath, stallMs] = [process.argv[1], Number(process.argv[2])];
const lat = [];
let failed = 0, pending = null, stopped = false;
function report() {
  const s = [...lat].sort((a, b) => a - b);
  const q = (f) => (s.length ? s[Math.min(s.length - 1, Math.floor(s.length * f))] : 0);
  process.stdout.write(JSON.stringify({ count: lat.length, failed, maxMs: s.length ? s[s.length - 1] : 0, p99Ms: q(0.99), p50Ms: q(0.5) }));
  process.exit(0);
}
function once() {
  if (stopped) return report();
  const t0 = process.hrtime.bigint();
  pending = t0;
  const req = http.get({ socketPath, path: '/_ping', agent: false }, (res) => {
    res.resume();
    res.on('end', () => { pending = null; lat.push(Number(process.hrtime.bigint() - t0) / 1e6); setTimeout(once, 20); });
  });
  req.on('error', () => { pending = null; failed++; setTimeout(once, 20); });
}
once();
process.stdin.on('data', () => {});
process.stdin.on('end', () => {
  stopped = true;
  if (pending === null) return report();
  // the ping in flight may still answer; one that does not within the stall bound counts as unanswered
  setTimeout(() => { failed++; lat.push(Number(process.hrtime.bigint() - pending) / 1e6); report(); }, stallMs);
});
`;

export class PingWatch {
  private readonly proc: ChildProcess;
  private out = '';

  constructor(socket: string) {
    this.proc = spawn(process.execPath, ['-e', WATCHER, socket, String(PING_STALL_MS)], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.proc.stdout!.on('data', (d: Buffer) => (this.out += d.toString()));
  }

  async stop(): Promise<PingStats> {
    const done = new Promise<void>((r) => this.proc.once('exit', () => r()));
    this.proc.stdin!.end();
    const t = setTimeout(() => this.proc.kill('SIGKILL'), PING_STALL_MS + 5000);
    await done;
    clearTimeout(t);
    return JSON.parse(this.out || '{"count":0,"failed":1,"maxMs":0,"p99Ms":0,"p50Ms":0}') as PingStats;
  }
}

/** Run fn while watching the daemon on socket; fail if a ping went unanswered or took longer than PING_STALL_MS. */
export async function whileResponsive<T>(socket: string, what: string, fn: () => T | Promise<T>): Promise<T> {
  const w = new PingWatch(socket);
  await new Promise((r) => setTimeout(r, 50));
  let result: T;
  try {
    result = await fn();
  } finally {
    const s = await w.stop();
    process.stdout.write(`# _ping during ${what}: ${s.count} answered, p99 ${s.p99Ms.toFixed(1)} ms, max ${s.maxMs.toFixed(1)} ms, ${s.failed} unanswered\n`);
    assertResponsive(s, what);
  }
  return result;
}

export function assertResponsive(s: PingStats, what: string): void {
  assert.equal(s.failed, 0, `berthd left ${s.failed} _ping(s) unanswered during ${what}`);
  assert.ok(s.count > 0, `no _ping answered during ${what}`);
  assert.ok(s.maxMs < PING_STALL_MS, `berthd stalled during ${what}: a _ping took ${s.maxMs.toFixed(0)} ms (p99 ${s.p99Ms.toFixed(0)} ms)`);
}
