// Benchmark: a long Dockerfile, FROM busybox + N ENV lines (issues 11 and 15),
// at N = 500, 2,000 and 8,000: berth's build time beside docker's legacy
// builder (DOCKER_BUILDKIT=0, the real engine on /var/run/docker.sock, which
// has busybox:latest), the time per line (after the fixed cost of a 1-line
// build) to show whether it grows linearly, and the daemon's _ping latency
// (p50/p99/max, a ping every 20 ms from a process of its own) during each
// build: berthd's (target p99 < 50 ms) and dockerd's beside it.
// cold = --no-cache (every step made and recorded), warm = every step cached.
// berth: the median of `runs`, interleaved with docker's runs. docker's legacy
// builder commits an image per step (about half a second per line on a 2-core
// machine): each N is built once (cold, then warm), and only while the
// estimate from the smaller N (linear, a lower bound) fits --docker-budget
// seconds per build (0: docker not built at all); a skipped N says so. The
// images docker built are removed.
// Run as root: node dist/bench/dockerfile-lines.js [runs] [--ns 500,2000,8000] [--docker-budget 900]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { TestDaemon, BERTH } from '../test/helpers/daemon.js';
import { importBusybox } from '../test/helpers/containers.js';
import { PingWatch, type PingStats } from '../test/helpers/pingwatch.js';

function option(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
}
const RUNS = /^\d+$/.test(process.argv[2] ?? '') ? Number(process.argv[2]) : 3;
const NS = option('--ns', '500,2000,8000').split(',').map(Number);
const DOCKER_BUDGET_S = Number(option('--docker-budget', '900'));
const DOCKER_SOCK = '/var/run/docker.sock';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Sample {
  seconds: number;
  ping: PingStats;
}

function dockerfile(n: number): string {
  return ['FROM busybox:latest', ...Array.from({ length: n }, (_, i) => `ENV V${i}=value-${i}`)].join('\n') + '\n';
}

/** image IDs docker built (-q), removed at the end */
const dockerBuilt = new Set<string>();

/** One build, timed, with the daemon on `socket` pinged throughout. */
async function build(cmd: string, args: string[], env: NodeJS.ProcessEnv, socket: string): Promise<Sample> {
  const watch = new PingWatch(socket);
  await new Promise((r) => setTimeout(r, 50));
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 30 });
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  const ping = await watch.stop();
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr.slice(-2000)}`);
  const id = /sha256:[a-f0-9]{64}/.exec(r.stdout)?.[0];
  if (id && cmd === 'docker') dockerBuilt.add(id);
  return { seconds, ping };
}

const fmtS = (s: number | undefined) => (s === undefined ? '-' : `${s.toFixed(2)} s`);
const fmtMs = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '-' : `${x.toFixed(2)} ms`);
const ping = (p: PingStats | undefined) => (p ? `${p.p50Ms.toFixed(1)}/${p.p99Ms.toFixed(1)}/${p.maxMs.toFixed(0)}${p.failed ? ` (${p.failed} unanswered)` : ''}` : '-');

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-bench-lines-'));
  const d = await new TestDaemon().start();
  const dockerUp = DOCKER_BUDGET_S > 0 && existsSync(DOCKER_SOCK) && spawnSync('docker', ['-H', `unix://${DOCKER_SOCK}`, 'image', 'inspect', 'busybox:latest'], { stdio: 'ignore' }).status === 0;
  const berth = (ctx: string, cold: boolean) => build(process.execPath, [BERTH, '-H', d.host, 'build', '-q', ...(cold ? ['--no-cache'] : []), ctx], {}, d.socket);
  const docker = (ctx: string, cold: boolean) => build('docker', ['-H', `unix://${DOCKER_SOCK}`, 'build', '-q', ...(cold ? ['--no-cache'] : []), ctx], { DOCKER_BUILDKIT: '0' }, DOCKER_SOCK);
  try {
    importBusybox(d);
    const ctxOf = new Map<number, string>();
    for (const n of [1, ...NS]) {
      const ctx = path.join(dir, `n${n}`);
      mkdirSync(ctx);
      writeFileSync(path.join(ctx, 'Dockerfile'), dockerfile(n));
      ctxOf.set(n, ctx);
    }
    const b = new Map<number, { cold: Sample[]; warm: Sample[] }>();
    const dk = new Map<number, { cold?: Sample; warm?: Sample; skipped?: string }>();
    // the fixed cost (CLI, context, FROM) and a primed cache for the warm builds
    for (const n of [1, ...NS]) {
      await berth(ctxOf.get(n)!, false);
      b.set(n, { cold: [], warm: [] });
    }
    let dockerPerLine: number | undefined;
    for (let run = 0; run < RUNS; run++) {
      for (const n of [1, ...NS]) {
        const ctx = ctxOf.get(n)!;
        b.get(n)!.cold.push(await berth(ctx, true));
        if (dockerUp && run === 0) {
          const est = dockerPerLine === undefined ? 0 : dockerPerLine * n;
          if (est > DOCKER_BUDGET_S) dk.set(n, { skipped: `not run: ≥ ${est.toFixed(0)} s estimated (${(dockerPerLine! * 1000).toFixed(0)} ms per line at the smaller N), over the ${DOCKER_BUDGET_S} s budget` });
          else {
            const cold = await docker(ctx, true);
            const warm = await docker(ctx, false);
            dk.set(n, { cold, warm });
            if (n > 1) dockerPerLine = (cold.seconds - (dk.get(1)?.cold?.seconds ?? 0)) / n;
          }
        }
        b.get(n)!.warm.push(await berth(ctx, false));
      }
    }

    const base = { cold: median(b.get(1)!.cold.map((s) => s.seconds)), warm: median(b.get(1)!.warm.map((s) => s.seconds)) };
    const dBase = { cold: dk.get(1)?.cold?.seconds, warm: dk.get(1)?.warm?.seconds };
    const perLine = (t: number | undefined, t1: number | undefined, n: number) => (t === undefined || t1 === undefined ? undefined : ((t - t1) / n) * 1000);
    console.log(`FROM busybox + N ENV lines; berth: median of ${RUNS} runs; docker ${dockerUp ? 'legacy builder (DOCKER_BUILDKIT=0): 1 run' : `not measured (${DOCKER_BUDGET_S > 0 ? 'no dockerd with busybox:latest' : '--docker-budget 0'})`}`);
    console.log(`fixed cost (a 1-line build): berth cold ${fmtS(base.cold)} warm ${fmtS(base.warm)}; docker cold ${fmtS(dBase.cold)} warm ${fmtS(dBase.warm)}`);
    console.log('');
    console.log('N       berth cold   per line    berth warm   per line    docker cold  per line    docker warm  per line    cold docker/berth');
    const berthPerLine = new Map<number, number>();
    for (const n of NS) {
      const bc = median(b.get(n)!.cold.map((s) => s.seconds));
      const bw = median(b.get(n)!.warm.map((s) => s.seconds));
      const x = dk.get(n);
      const pl = perLine(bc, base.cold, n)!;
      berthPerLine.set(n, pl);
      const cells = [
        String(n).padEnd(7),
        fmtS(bc).padEnd(12), fmtMs(pl).padEnd(11),
        fmtS(bw).padEnd(12), fmtMs(perLine(bw, base.warm, n)).padEnd(11),
        fmtS(x?.cold?.seconds).padEnd(12), fmtMs(perLine(x?.cold?.seconds, dBase.cold, n)).padEnd(11),
        fmtS(x?.warm?.seconds).padEnd(12), fmtMs(perLine(x?.warm?.seconds, dBase.warm, n)).padEnd(11),
        x?.cold ? (x.cold.seconds / bc).toFixed(1) : '-',
      ];
      console.log(cells.join(' '));
      if (x?.skipped) console.log(`        docker: ${x.skipped}`);
    }
    // the two largest N: at a small N the fixed cost and the machine's noise outweigh the lines
    const last = NS.at(-1)!;
    const prev = NS.at(-2) ?? NS[0]!;
    const growth = berthPerLine.get(last)! / berthPerLine.get(prev)!;
    console.log(`\nlinear? berth's time per line (cold) at N=${last} / at N=${prev}: ${growth.toFixed(2)} (1 = linear; a quadratic build grows ${(last / prev).toFixed(0)}x)`);
    console.log('\n_ping latency during the builds, p50/p99/max ms (berth: the worst run of each)');
    console.log('N       berthd cold          berthd warm          dockerd cold         dockerd warm');
    const worst = (xs: Sample[]) => xs.reduce((a, s) => (s.ping.p99Ms > a.ping.p99Ms ? s : a)).ping;
    let p99 = 0;
    for (const n of NS) {
      const x = b.get(n)!;
      p99 = Math.max(p99, worst(x.cold).p99Ms, worst(x.warm).p99Ms);
      console.log([String(n).padEnd(7), ping(worst(x.cold)).padEnd(20), ping(worst(x.warm)).padEnd(20), ping(dk.get(n)?.cold?.ping).padEnd(20), ping(dk.get(n)?.warm?.ping)].join(' '));
    }
    console.log(`\nberthd _ping p99, worst build: ${p99.toFixed(1)} ms (target < 50 ms)`);
  } finally {
    if (dockerBuilt.size) spawnSync('docker', ['-H', `unix://${DOCKER_SOCK}`, 'rmi', ...dockerBuilt], { stdio: 'ignore' });
    await d.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
