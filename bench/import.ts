// Benchmark: load and import a large image, berth vs the real docker engine on
// the same machine. A ~500 MB image in 5 layers (each layer: 90 files of 1 MiB
// and 2,000 files of 4 KiB, random bytes) is written once as a `docker save`
// archive; each engine loads it (`load -i`), then it is removed again; the
// median of N runs is reported with the ratio docker/berth (>1 = berth faster).
// Also `import` of one 100 MB layer. Run: node dist/bench/import.js [runs]
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import tar from 'tar-stream';
import { writeBenchLayer } from './layers.js';
import { TestDaemon } from '../test/helpers/daemon.js';

const RUNS = Number(process.argv[2] ?? 3);
const LAYERS = 5;


async function makeImage(dir: string): Promise<string> {
  const layers: { file: string; diffId: string }[] = [];
  for (let i = 0; i < LAYERS; i++) {
    const file = path.join(dir, `l${i}.tar`);
    layers.push({ file, ...(await writeBenchLayer(file, i)) });
  }
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) }, history: layers.map(() => ({ created_by: 'bench' })) });
  const cfgHex = createHash('sha256').update(config).digest('hex');
  const archive = path.join(dir, 'image.tar');
  const pack = tar.pack();
  const out = createWriteStream(archive);
  pack.pipe(out);
  const { createReadStream } = await import('node:fs');
  for (const [i, l] of layers.entries()) {
    await new Promise<void>((res, rej) => {
      const e = pack.entry({ name: `${i}/layer.tar`, size: statSync(l.file).size }, (err) => (err ? rej(err) : res()));
      createReadStream(l.file).pipe(e);
    });
  }
  pack.entry({ name: `${cfgHex}.json` }, config);
  pack.entry({ name: 'manifest.json' }, JSON.stringify([{ Config: `${cfgHex}.json`, RepoTags: ['benchimg:1'], Layers: layers.map((_, i) => `${i}/layer.tar`) }]));
  pack.finalize();
  await new Promise((r) => out.on('close', () => r(undefined)));
  return archive;
}

function time(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  spawnSync('sync');
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', maxBuffer: 1 << 26 });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function dockerAvailable(): boolean {
  const r = spawnSync('docker', ['-H', 'unix:///var/run/docker.sock', 'version', '--format', '{{.Server.Version}}'], { encoding: 'utf8' });
  return r.status === 0;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-bench-'));
  const d = await new TestDaemon().start();
  try {
    console.log(`generating ${LAYERS} layers…`);
    const archive = await makeImage(dir);
    const mb = statSync(archive).size / 1e6;
    const one = path.join(dir, 'l0.tar');
    const oneMb = statSync(one).size / 1e6;
    const berthCli = ['-H', d.host];
    const dockerCli = ['-H', 'unix:///var/run/docker.sock'];
    const haveDocker = dockerAvailable();
    const rows: [string, number[], number[]][] = [];
    const bLoad: number[] = [], dLoad: number[] = [], bImp: number[] = [], dImp: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      bLoad.push(time(process.execPath, ['bin/berth', ...berthCli, 'load', '-q', '-i', archive]));
      time(process.execPath, ['bin/berth', ...berthCli, 'rmi', 'benchimg:1']);
      bImp.push(time(process.execPath, ['bin/berth', ...berthCli, 'import', one, 'benchimp:1']));
      time(process.execPath, ['bin/berth', ...berthCli, 'rmi', 'benchimp:1']);
      if (haveDocker) {
        dLoad.push(time('docker', [...dockerCli, 'load', '-q', '-i', archive]));
        time('docker', [...dockerCli, 'rmi', 'benchimg:1']);
        dImp.push(time('docker', [...dockerCli, 'import', one, 'benchimp:1']));
        time('docker', [...dockerCli, 'rmi', 'benchimp:1']);
      }
    }
    rows.push([`load ${mb.toFixed(0)} MB, ${LAYERS} layers`, bLoad, dLoad], [`import ${oneMb.toFixed(0)} MB, 1 layer`, bImp, dImp]);
    console.log(`\nruns: ${RUNS}; median wall-clock time per operation (MB/s of archive)`);
    console.log('operation                      berth               docker              docker/berth');
    for (const [name, b, dk] of rows) {
      const size = name.startsWith('load') ? mb : oneMb;
      const bm = median(b);
      const dm = dk.length ? median(dk) : NaN;
      const fmt = (ms: number) => (Number.isNaN(ms) ? 'n/a'.padEnd(20) : `${(ms / 1000).toFixed(2)} s (${(size / (ms / 1000)).toFixed(0)} MB/s)`.padEnd(20));
      console.log(`${name.padEnd(31)}${fmt(bm)}${fmt(dm)}${Number.isNaN(dm) ? 'n/a (no dockerd)' : (dm / bm).toFixed(2)}`);
    }
  } finally {
    await d.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
