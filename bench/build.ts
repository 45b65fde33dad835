// Benchmark: a 20-step Dockerfile (FROM + 10 RUN + 9 ENV/COPY steps) built
// cold (--no-cache) and warm (all cached) by berth, and by the real docker
// engine's legacy builder and BuildKit when one answers on
// /var/run/docker.sock; medians of N runs, and docker/berth ratios (>1 =
// berth faster). The same busybox base is imported into both engines under a
// unique tag and removed from docker afterwards.
// Run: node dist/bench/build.js [runs]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { TestDaemon, REPO } from '../test/helpers/daemon.js';

const RUNS = Number(process.argv[2] ?? 3);

function dockerfile(base: string): string {
  const lines = [`FROM ${base}`];
  for (let i = 1; i <= 10; i++) {
    lines.push(`RUN echo step ${i} > /f${i} && ls / > /dev/null`);
    lines.push(i % 3 === 0 ? `COPY file${i}.txt /copied/` : `ENV V${i}=${i}`);
  }
  return lines.slice(0, 20).join('\n') + '\n';
}

/** image IDs the builds printed (-q), removed from docker at the end */
const built = new Set<string>();

function time(cmd: string, args: string[], env: NodeJS.ProcessEnv): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env: { ...process.env, ...env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  const id = /sha256:[a-f0-9]{64}/.exec(r.stdout)?.[0];
  if (id) built.add(id);
  return Number(process.hrtime.bigint() - t) / 1e9;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-bench-build-'));
  const d = await new TestDaemon().start();
  const tag = `berth-bench-base:${process.pid}`;
  const dockerUp = existsSync('/var/run/docker.sock') && spawnSync('docker', ['-H', 'unix:///var/run/docker.sock', 'version'], { stdio: 'ignore' }).status === 0;
  try {
    const bbtar = path.join(dir, 'bb.tar');
    spawnSync('bash', [path.join(REPO, 'scripts/busybox-rootfs.sh'), path.join(dir, 'bb'), bbtar], { stdio: 'ignore' });
    const ctx = path.join(dir, 'ctx');
    spawnSync('mkdir', ['-p', ctx]);
    writeFileSync(path.join(ctx, 'Dockerfile'), dockerfile(tag));
    for (let i = 1; i <= 10; i++) writeFileSync(path.join(ctx, `file${i}.txt`), `file ${i}\n`);
    if (d.berth(['import', bbtar, tag]).code !== 0) throw new Error('berth import failed');
    const rows: [string, number, number][] = [];
    const measure = (name: string, cmd: string, pre: string[], env: NodeJS.ProcessEnv) => {
      time(cmd, [...pre, 'build', '-q', '-t', 'bench:1', ctx], env); // prime the base and the page cache
      const cold = median(Array.from({ length: RUNS }, () => time(cmd, [...pre, 'build', '--no-cache', '-q', '-t', 'bench:1', ctx], env)));
      const warm = median(Array.from({ length: RUNS }, () => time(cmd, [...pre, 'build', '-q', '-t', 'bench:1', ctx], env)));
      rows.push([name, cold, warm]);
    };
    measure('berth', process.execPath, [path.join(REPO, 'bin/berth'), '-H', d.host], {});
    if (dockerUp) {
      spawnSync('docker', ['-H', 'unix:///var/run/docker.sock', 'import', bbtar, tag], { stdio: 'ignore' });
      measure('docker legacy', 'docker', ['-H', 'unix:///var/run/docker.sock'], { DOCKER_BUILDKIT: '0' });
      // BuildKit needs a CLI that still has the classic BuildKit client (docker.io's 20.10)
      if (existsSync('/usr/bin/docker')) measure('docker buildkit', '/usr/bin/docker', ['-H', 'unix:///var/run/docker.sock'], { DOCKER_BUILDKIT: '1' });
    }
    const b = rows[0]!;
    console.log(`20-step Dockerfile, median of ${RUNS} runs`);
    console.log('builder            cold (s)  warm (s)  cold ratio  warm ratio');
    for (const [name, cold, warm] of rows) {
      console.log(`${name.padEnd(18)} ${cold.toFixed(2).padStart(8)}  ${warm.toFixed(2).padStart(8)}  ${(cold / b[1]).toFixed(2).padStart(10)}  ${(warm / b[2]).toFixed(2).padStart(10)}`);
    }
  } finally {
    if (dockerUp) {
      // only what this benchmark made: its images (by ID) and its base tag
      spawnSync('docker', ['-H', 'unix:///var/run/docker.sock', 'rmi', '-f', 'bench:1', ...built, tag], { stdio: 'ignore' });
    }
    await d.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
