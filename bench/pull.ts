// Benchmark: push and pull of a ~500 MB image in 5 layers over loopback,
// berth vs the real docker engine, against the same kind of registry (berth's
// own, a fresh one on 127.0.0.1 for every push so nothing is "already there").
//   push: each engine pushes the image it loaded from the same archive. berth
//         uploads its layers as stored; docker gzips them while it pushes.
//   pull: both pull the image docker pushed (gzip layers, as registries serve
//         images) into an empty store; then the same pull again (a no-op).
// Median of N runs, MB/s of the image's uncompressed layer bytes, ratio
// docker/berth (>1 = berth faster). Run: node dist/bench/pull.js [runs]
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import tar from 'tar-stream';
import { writeBenchLayer } from './layers.js';
import { TestDaemon } from '../test/helpers/daemon.js';
import { berthRegistry } from '../test/helpers/registries.js';

const RUNS = Number(process.argv[2] ?? 3);
const LAYERS = 5;
const DOCKER = ['-H', 'unix:///var/run/docker.sock'];


/** A docker-save archive named benchpull:1; returns its path and the layer bytes. */
async function makeArchive(dir: string): Promise<{ archive: string; bytes: number }> {
  const files: string[] = [];
  const diffIds: string[] = [];
  let bytes = 0;
  for (let i = 0; i < LAYERS; i++) {
    const f = path.join(dir, `l${i}.tar`);
    diffIds.push((await writeBenchLayer(f, i)).diffId);
    files.push(f);
    bytes += statSync(f).size;
  }
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: diffIds }, history: files.map(() => ({ created_by: 'bench' })) });
  const cfgHex = createHash('sha256').update(config).digest('hex');
  const archive = path.join(dir, 'image.tar');
  const pack = tar.pack();
  const out = createWriteStream(archive);
  pack.pipe(out);
  for (const [i, f] of files.entries()) {
    await new Promise<void>((res, rej) => {
      const e = pack.entry({ name: `${i}/layer.tar`, size: statSync(f).size }, (err) => (err ? rej(err) : res()));
      createReadStream(f).pipe(e);
    });
  }
  pack.entry({ name: `${cfgHex}.json` }, config);
  pack.entry({ name: 'manifest.json' }, JSON.stringify([{ Config: `${cfgHex}.json`, RepoTags: ['benchpull:1'], Layers: files.map((_, i) => `${i}/layer.tar`) }]));
  pack.finalize();
  await new Promise((r) => out.on('close', () => r(undefined)));
  return { archive, bytes };
}

function run(cmd: string, args: string[]): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return ms;
}
const quiet = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8' });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const dockerOk = quiet('docker', [...DOCKER, 'version', '--format', '{{.Server.Version}}']).status === 0;
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-bench-pull-'));
  const d1 = await new TestDaemon().start();
  const d2 = await new TestDaemon().start();
  const berth = (d: TestDaemon, args: string[]) => run(process.execPath, ['bin/berth', '-H', d.host, ...args]);
  const res = { bPush: [] as number[], dPush: [] as number[], bPull: [] as number[], dPull: [] as number[], bNoop: [] as number[], dNoop: [] as number[] };
  const regs: { stop(): Promise<void> }[] = [];
  try {
    console.log(`generating ${LAYERS} layers…`);
    const { archive, bytes } = await makeArchive(dir);
    const mb = bytes / 1e6;
    berth(d1, ['load', '-q', '-i', archive]);
    for (let i = 0; i < RUNS; i++) {
      const rb = await berthRegistry(false);
      const rd = await berthRegistry(false);
      regs.push(rb, rd);
      berth(d1, ['tag', 'benchpull:1', `${rb.host}/bench/berth:1`]);
      quiet('sync', []);
      res.bPush.push(berth(d1, ['push', '-q', `${rb.host}/bench/berth:1`]));
      berth(d1, ['rmi', `${rb.host}/bench/berth:1`]);
      const src = `${rd.host}/bench/docker:1`;
      if (dockerOk) {
        run('docker', [...DOCKER, 'load', '-q', '-i', archive]);
        run('docker', [...DOCKER, 'tag', 'benchpull:1', src]);
        quiet('sync', []);
        res.dPush.push(run('docker', [...DOCKER, 'push', '-q', src]));
        run('docker', [...DOCKER, 'rmi', 'benchpull:1', src]);
        quiet('sync', []);
        res.dPull.push(run('docker', [...DOCKER, 'pull', '-q', src]));
        res.dNoop.push(run('docker', [...DOCKER, 'pull', '-q', src]));
        run('docker', [...DOCKER, 'rmi', src]);
      } else {
        // no docker engine: berth pushes the source image itself
        berth(d1, ['tag', 'benchpull:1', src]);
        berth(d1, ['push', '-q', src]);
        berth(d1, ['rmi', src]);
      }
      quiet('sync', []);
      res.bPull.push(berth(d2, ['pull', '-q', src]));
      res.bNoop.push(berth(d2, ['pull', '-q', src]));
      berth(d2, ['rmi', src]);
      await rb.stop();
      await rd.stop();
    }
    console.log(`\n${LAYERS} layers, ${mb.toFixed(0)} MB of layer data; runs: ${RUNS}; median wall-clock time (MB/s of layer data)`);
    console.log('operation                 berth                 docker                docker/berth');
    const fmt = (ms: number | undefined, size: number) => (ms === undefined ? 'n/a'.padEnd(22) : `${(ms / 1000).toFixed(2)} s (${(size / (ms / 1000)).toFixed(0)} MB/s)`.padEnd(22));
    const row = (name: string, b: number[], dk: number[], size = mb) => {
      const bm = median(b);
      const dm = dk.length ? median(dk) : undefined;
      console.log(`${name.padEnd(26)}${fmt(bm, size)}${fmt(dm, size)}${dm === undefined ? 'n/a (no dockerd)' : (dm / bm).toFixed(2)}`);
    };
    row('push', res.bPush, res.dPush);
    row('pull', res.bPull, res.dPull);
    const noop = (x: number[]) => (x.length ? `${median(x).toFixed(0)} ms` : 'n/a');
    console.log(`${'pull, already present'.padEnd(26)}${noop(res.bNoop).padEnd(22)}${noop(res.dNoop).padEnd(22)}${res.dNoop.length ? (median(res.dNoop) / median(res.bNoop)).toFixed(2) : ''}`);
    console.log(`all runs (ms): ${JSON.stringify(Object.fromEntries(Object.entries(res).map(([k, v]) => [k, v.map((x) => Math.round(x))])))}`);
  } finally {
    for (const r of regs) await r.stop().catch(() => {});
    await d1.cleanup();
    await d2.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
