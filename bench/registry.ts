// Registry benchmark: berth's registry vs the CNCF distribution registry
// (Debian's docker-registry), same machine, same clients, over loopback.
//   - push: ~500 MB in 5 layers, POST + streamed PUT per layer (curl -T)
//   - pull: the same blobs, GET to /dev/null (curl)
//   - many small concurrent manifest GETs (node http, keep-alive)
// Each registry runs as its own process with a temp root and is ended by PID.
// Run: node dist/bench/registry.js   (BENCH_LAYER_MB, BENCH_LAYERS, BENCH_ROUNDS)
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile, open } from 'node:fs/promises';
import * as http from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
const LAYER_MB = Number(process.env.BENCH_LAYER_MB ?? 100);
const LAYERS = Number(process.env.BENCH_LAYERS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const GET_SECONDS = Number(process.env.BENCH_GET_SECONDS ?? 4);
const GET_CONCURRENCY = 32;
const DEADLINE_MS = 240_000;
const MB = 1024 * 1024;

interface Layer {
  file: string;
  digest: string;
  size: number;
}

interface Target {
  name: string;
  url: string;
  proc: ChildProcess;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
    s.on('error', reject);
  });
}

async function makeLayers(dir: string): Promise<Layer[]> {
  const out: Layer[] = [];
  for (let i = 0; i < LAYERS; i++) {
    const file = path.join(dir, `layer${i}`);
    const fh = await open(file, 'w');
    const h = createHash('sha256');
    for (let w = 0; w < LAYER_MB; w++) {
      const chunk = randomBytes(MB);
      h.update(chunk);
      await fh.write(chunk);
    }
    await fh.close();
    out.push({ file, digest: `sha256:${h.digest('hex')}`, size: LAYER_MB * MB });
  }
  return out;
}

async function waitUp(url: string, proc: ChildProcess): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (proc.exitCode !== null) throw new Error(`registry at ${url} exited with ${proc.exitCode}`);
    try {
      const r = await fetch(`${url}/v2/`);
      if (r.status === 200) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`registry at ${url} did not come up`);
}

async function startBerth(dir: string): Promise<Target> {
  const port = await freePort();
  const main = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'registry', 'main.js');
  const proc = spawn(process.execPath, [main, 'serve', '--addr', `127.0.0.1:${port}`, '--root', path.join(dir, 'berth'), '--log-level', 'error'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  await waitUp(url, proc);
  return { name: 'berth', url, proc };
}

async function startDistribution(dir: string): Promise<Target> {
  const port = await freePort();
  const cfg = path.join(dir, 'distribution.yml');
  await writeFile(
    cfg,
    [
      'version: 0.1',
      'log: { level: error, accesslog: { disabled: true } }',
      `storage: { filesystem: { rootdirectory: ${path.join(dir, 'distribution')} }, delete: { enabled: true }, cache: { blobdescriptor: inmemory } }`,
      `http: { addr: 127.0.0.1:${port} }`,
      '',
    ].join('\n'),
  );
  const proc = spawn('docker-registry', ['serve', cfg], { stdio: ['ignore', 'ignore', 'ignore'] });
  const url = `http://127.0.0.1:${port}`;
  await waitUp(url, proc);
  return { name: 'distribution', url, proc };
}

async function curl(args: string[]): Promise<string> {
  const { stdout } = await run('curl', ['-s', '-S', '--fail', ...args], { maxBuffer: 1024 * 1024 });
  return stdout;
}

async function pushBlob(t: Target, repo: string, l: Layer): Promise<void> {
  const out = await curl(['-X', 'POST', '-D', '-', '-o', '/dev/null', `${t.url}/v2/${repo}/blobs/uploads/`]);
  const loc = /^location:\s*(\S+)/im.exec(out)?.[1];
  if (!loc) throw new Error(`${t.name}: no Location in upload response`);
  const u = new URL(loc, t.url);
  u.searchParams.set('digest', l.digest);
  await curl(['-X', 'PUT', '-T', l.file, '-H', 'Content-Type: application/octet-stream', '-o', '/dev/null', u.toString()]);
}

async function pullBlob(t: Target, repo: string, l: Layer): Promise<void> {
  const size = await curl(['-o', '/dev/null', '-w', '%{size_download}', `${t.url}/v2/${repo}/blobs/${l.digest}`]);
  if (Number(size) !== l.size) throw new Error(`${t.name}: pulled ${size} bytes of ${l.size}`);
}

async function timed(f: () => Promise<void>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await f();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function pushManifest(t: Target, repo: string, layers: Layer[]): Promise<void> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) } }));
  const cd = `sha256:${createHash('sha256').update(config).digest('hex')}`;
  let r = await fetch(`${t.url}/v2/${repo}/blobs/uploads/?digest=${cd}`, { method: 'POST', body: config });
  if (r.status !== 201) {
    // distribution answers 202 to a POST with a body: finish with PUT
    const loc = new URL(r.headers.get('location')!, t.url);
    loc.searchParams.set('digest', cd);
    r = await fetch(loc, { method: 'PUT', body: config });
  }
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: cd, size: config.length },
    layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: l.digest, size: l.size })),
  });
  const p = await fetch(`${t.url}/v2/${repo}/manifests/latest`, { method: 'PUT', body: manifest, headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' } });
  if (p.status !== 201) throw new Error(`${t.name}: manifest push ${p.status} ${await p.text()}`);
}

async function manifestGets(t: Target, repo: string): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: GET_CONCURRENCY });
  const u = new URL(`${t.url}/v2/${repo}/manifests/latest`);
  const end = Date.now() + GET_SECONDS * 1000;
  let count = 0;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const req = http.get(
        { host: u.hostname, port: u.port, path: u.pathname, agent, headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } },
        (res) => {
          if (res.statusCode !== 200) reject(new Error(`${t.name}: manifest GET ${res.statusCode}`));
          res.resume();
          res.on('end', () => resolve());
        },
      );
      req.on('error', reject);
    });
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: GET_CONCURRENCY }, async () => {
      while (Date.now() < end) {
        await one();
        count++;
      }
    }),
  );
  agent.destroy();
  return count / ((Date.now() - t0) / 1000);
}

interface Result {
  push: number[];
  pull: number[];
  gets: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** One push+pull round: sync between them so the pull does not race the page cache's write-back. */
async function round(t: Target, layers: Layer[], r: number, into: Result): Promise<void> {
  const totalMB = layers.reduce((s, l) => s + l.size, 0) / MB;
  const repo = `bench/r${r}`;
  const tp = await timed(async () => {
    for (const l of layers) await pushBlob(t, repo, l);
  });
  await run('sync');
  const tl = await timed(async () => {
    for (const l of layers) await pullBlob(t, repo, l);
  });
  into.push.push(totalMB / tp);
  into.pull.push(totalMB / tl);
  process.stderr.write(`  ${t.name.padEnd(12)} round ${r + 1}: push ${(totalMB / tp).toFixed(0)} MiB/s, pull ${(totalMB / tl).toFixed(0)} MiB/s\n`);
}

function stop(t: Target | undefined): void {
  if (t?.proc.pid && t.proc.exitCode === null) t.proc.kill('SIGTERM');
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'berth-bench-registry-'));
  let berth: Target | undefined;
  let dist: Target | undefined;
  const guard = setTimeout(() => {
    process.stderr.write('benchmark exceeded its time bound; stopping\n');
    stop(berth);
    stop(dist);
    void rm(dir, { recursive: true, force: true }).finally(() => process.exit(2));
  }, DEADLINE_MS);
  try {
    process.stderr.write(`making ${LAYERS} layers of ${LAYER_MB} MiB...\n`);
    const layers = await makeLayers(dir);
    berth = await startBerth(dir);
    dist = await startDistribution(dir);
    const b: Result = { push: [], pull: [], gets: 0 };
    const d: Result = { push: [], pull: [], gets: 0 };
    // Rounds alternate between the registries so that machine noise hits both alike.
    for (let r = 0; r < ROUNDS; r++) {
      await round(berth, layers, r, b);
      await round(dist, layers, r, d);
    }
    for (const [t, res] of [[berth, b], [dist, d]] as const) {
      await pushManifest(t, 'bench/r0', layers);
      res.gets = await manifestGets(t, 'bench/r0');
    }
    const rows: [string, number, number][] = [
      [`push ${LAYERS}x${LAYER_MB} MiB (MiB/s, median)`, median(b.push), median(d.push)],
      [`pull ${LAYERS}x${LAYER_MB} MiB (MiB/s, median)`, median(b.pull), median(d.pull)],
      [`push (MiB/s, best)`, Math.max(...b.push), Math.max(...d.push)],
      [`pull (MiB/s, best)`, Math.max(...b.pull), Math.max(...d.pull)],
      [`manifest GET, ${GET_CONCURRENCY} concurrent (req/s)`, b.gets, d.gets],
    ];
    const w = Math.max(...rows.map((r) => r[0].length));
    console.log(`${'metric'.padEnd(w)}  ${'berth'.padStart(9)}  ${'distribution'.padStart(12)}  ${'ratio'.padStart(6)}`);
    for (const [name, x, y] of rows) {
      console.log(`${name.padEnd(w)}  ${x.toFixed(0).padStart(9)}  ${y.toFixed(0).padStart(12)}  ${(x / y).toFixed(2).padStart(6)}`);
    }
    console.log(`(${ROUNDS} alternating rounds; clients: curl for blobs, node http keep-alive for manifest GETs; distribution = Debian docker-registry)`);
  } finally {
    clearTimeout(guard);
    stop(berth);
    stop(dist);
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/registry: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
