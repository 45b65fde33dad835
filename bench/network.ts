// Benchmark: what CNI networking costs a container start and stop. On a
// throwaway bridge, N rounds of attach+detach without and with a published
// port (interleaved, so machine load hits both alike), median per step, plus
// the cost of one iptables exec right now (the plugins' ADD+DEL with a port
// is ~38+28 iptables/ip6tables execs here; that count was taken with strace).
// Also P containers attached and detached in parallel. Root only.
// Run: node dist/bench/network.js [rounds] [parallel]
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { NetFixture, cniSkipReason, median } from '../test/helpers/netfixture.js';
import type { OperationTiming } from '../src/network/index.js';

const ROUNDS = Number(process.argv[2] ?? 15);
const PARALLEL = Number(process.argv[3] ?? 8);

function stepsLine(ts: OperationTiming[]): string {
  const keys = [...new Set(ts.flatMap((t) => Object.keys(t.steps)))];
  return keys.map((k) => `${k} ${median(ts.map((t) => t.steps[k] ?? 0)).toFixed(1)}`).join(', ');
}

async function main(): Promise<void> {
  const skip = cniSkipReason();
  if (skip) {
    console.log(`network bench skipped: ${skip}`);
    return;
  }
  const fx = new NetFixture();
  try {
    const m = fx.manager();
    await m.init(new Set());
    const ipt: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      spawnSync('iptables', ['-w', '-t', 'nat', '-n', '-L', 'POSTROUTING']);
      ipt.push(performance.now() - t);
    }
    // one warm-up round creates the shared chains
    const warm = fx.newId();
    await m.attach(warm, { mode: 'bridge', ports: [{ hostIp: '', hostPort: 19999, containerPort: 80, protocol: 'tcp' }] });
    await m.detach(warm);
    fx.timings.length = 0;
    for (let i = 0; i < ROUNDS; i++) {
      for (const withPort of [false, true]) {
        const id = fx.newId();
        await m.attach(id, { mode: 'bridge', ports: withPort ? [{ hostIp: '', hostPort: 19999, containerPort: 80, protocol: 'tcp' }] : [] });
        await m.detach(id);
      }
    }
    console.log(`CNI attach/detach, ${ROUNDS} rounds each, median ms (load average ${loadavg()[0]!.toFixed(2)}; one iptables exec ${median(ipt).toFixed(1)} ms)`);
    for (const withPort of [false, true]) {
      const pick = (op: string) => fx.timings.filter((t) => t.op === op && (t.ports > 0) === withPort);
      const label = withPort ? '1 port' : 'no port';
      for (const op of ['attach', 'detach']) {
        const ts = pick(op);
        console.log(`  ${label.padEnd(7)} ${op.padEnd(6)} ${median(ts.map((t) => t.totalMs)).toFixed(1).padStart(7)}   (${stepsLine(ts)})`);
      }
    }
    const ids = Array.from({ length: PARALLEL }, () => fx.newId());
    const t0 = performance.now();
    await Promise.all(ids.map((id, i) => m.attach(id, { mode: 'bridge', ports: [{ hostIp: '', hostPort: 20000 + i, containerPort: 80, protocol: 'tcp' }] })));
    const tAdd = performance.now() - t0;
    const t1 = performance.now();
    await Promise.all(ids.map((id) => m.detach(id)));
    console.log(`  ${PARALLEL} in parallel (1 port each): attach ${tAdd.toFixed(0)} ms wall, detach ${(performance.now() - t1).toFixed(0)} ms wall`);
  } finally {
    await fx.cleanup();
  }
}

await main();
