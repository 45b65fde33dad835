// Layer unpack throughput: node dist/bench/snapshot-unpack.js LAYER.tar[.gz|.zst] [--durable] [--runs N]
// Unpacks the layer into a scratch snapshot root next to it, N times, and
// prints MB/s of uncompressed tar per run. Run as root.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { OverlaySnapshotter } from '../src/snapshot/index.js';

const args = process.argv.slice(2);
const layer = args.find((a) => !a.startsWith('--'));
if (!layer) {
  console.error('usage: snapshot-unpack LAYER [--durable] [--runs N]');
  process.exit(2);
}
const durable = args.includes('--durable');
const runsAt = args.indexOf('--runs');
const runs = runsAt === -1 ? 3 : Number(args[runsAt + 1]);
const root = path.join(path.dirname(path.resolve(layer)), `.berth-bench-${process.pid}`);

try {
  for (let i = 0; i < runs; i++) {
    fs.rmSync(root, { recursive: true, force: true });
    execFileSync('sync'); // so that one run's writeback does not land in the next
    const db = new Database(':memory:');
    try {
      const s = new OverlaySnapshotter({ root, db, durable });
      const t0 = process.hrtime.bigint();
      const r = await s.applyLayer(null, fs.createReadStream(layer, { highWaterMark: 1 << 20 }));
      const secs = Number(process.hrtime.bigint() - t0) / 1e9;
      console.log(`run ${i + 1}: ${(r.size / 1e6).toFixed(0)} MB in ${secs.toFixed(2)} s = ${(r.size / 1e6 / secs).toFixed(0)} MB/s`);
    } finally {
      db.close();
    }
  }
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
