// Benchmark: `run --rm busybox true`, start to exit, median of N, berth vs the
// real docker engine vs bare `runc run` of a bundle (the floor); berth also
// with --network none (how much the CNI bridge costs) and the CLI's own
// start-up (`berth --version`). Then the daemons' resident memory: berthd
// (idle, after the runs) vs dockerd + containerd.
// Run as root: node dist/bench/run.js [N]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { TestDaemon, REPO, BERTH } from '../test/helpers/daemon.js';
import { cleanupContainers, importBusybox } from '../test/helpers/containers.js';

const N = Number(process.argv[2] ?? 15);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function time(cmd: string, args: string[], env?: NodeJS.ProcessEnv): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: env ?? process.env });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return ms;
}

function series(cmd: string, args: string[], env?: NodeJS.ProcessEnv): number {
  time(cmd, args, env); // warm-up
  const xs: number[] = [];
  for (let i = 0; i < N; i++) xs.push(time(cmd, args, env));
  return median(xs);
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function pidsOf(name: string): number[] {
  const r = spawnSync('pgrep', ['-x', name], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean).map(Number);
}

async function main(): Promise<void> {
  const d = await new TestDaemon().start();
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-bench-run-'));
  const rows: [string, number][] = [];
  try {
    importBusybox(d);
    const idle = rssMiB(d.proc!.pid!);
    rows.push(['berth --version (CLI start-up)', series(process.execPath, [BERTH, '--version'])]);
    rows.push(['berth run --rm busybox true', series(process.execPath, [BERTH, '-H', d.host, 'run', '--rm', 'busybox', 'true'])]);
    rows.push(['berth run --rm --network none', series(process.execPath, [BERTH, '-H', d.host, 'run', '--rm', '--network', 'none', 'busybox', 'true'])]);
    const afterRuns = rssMiB(d.proc!.pid!);

    // bare runc: the same rootfs, runc's own default spec with args ["true"]
    const bundle = path.join(dir, 'bundle');
    const mk = spawnSync('bash', [path.join(REPO, 'scripts/busybox-rootfs.sh'), path.join(bundle, 'rootfs'), path.join(dir, 'bb.tar')], { encoding: 'utf8' });
    if (mk.status !== 0) throw new Error(mk.stderr);
    spawnSync('runc', ['spec'], { cwd: bundle });
    const spec = JSON.parse(readFileSync(path.join(bundle, 'config.json'), 'utf8')) as { process: { terminal: boolean; args: string[] } };
    spec.process.terminal = false;
    spec.process.args = ['true'];
    writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(spec));
    let n = 0;
    const runcRoot = path.join(dir, 'runc-root');
    rows.push(['runc run (the floor)', series('sh', ['-c', `runc --root ${runcRoot} run --bundle ${bundle} bench-$$-${n++} && true`])]);

    const dockerSock = 'unix:///var/run/docker.sock';
    const haveDocker = spawnSync('docker', ['-H', dockerSock, 'version', '--format', '{{.Server.Version}}']).status === 0;
    let dockerMs = NaN;
    if (haveDocker) {
      const tag = `berth-bench-busybox:${process.pid}`;
      spawnSync('docker', ['-H', dockerSock, 'import', '--change', 'CMD ["sh"]', path.join(dir, 'bb.tar'), tag]);
      try {
        dockerMs = series('docker', ['-H', dockerSock, 'run', '--rm', tag, 'true']);
        rows.push(['docker run --rm busybox true', dockerMs]);
      } finally {
        spawnSync('docker', ['-H', dockerSock, 'rmi', tag]);
      }
    }
    console.log(`runs: ${N} each after one warm-up; median wall-clock ms`);
    for (const [k, v] of rows) console.log(`${k.padEnd(34)}${v.toFixed(0).padStart(7)} ms`);
    const berthMs = rows[1]![1];
    console.log(`\nberth / docker: ${haveDocker ? (berthMs / dockerMs).toFixed(2) : 'n/a (no dockerd)'} (target ≤ 0.50)`);
    const dockerd = pidsOf('dockerd').reduce((a, p) => a + rssMiB(p), 0);
    const containerd = pidsOf('containerd').reduce((a, p) => a + rssMiB(p), 0);
    console.log(`\nresident memory: berthd idle ${idle.toFixed(0)} MiB, after the runs ${afterRuns.toFixed(0)} MiB`);
    if (existsSync('/var/run/docker.sock') && dockerd > 0) {
      console.log(`dockerd ${dockerd.toFixed(0)} MiB + containerd ${containerd.toFixed(0)} MiB = ${(dockerd + containerd).toFixed(0)} MiB; berthd/docker: ${(afterRuns / (dockerd + containerd)).toFixed(2)} (target ≤ 0.50)`);
    }
  } finally {
    await cleanupContainers(d);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
