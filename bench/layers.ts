// The layer the image benchmarks use: 90 files of 1 MiB and 2,000 of 4 KiB,
// random bytes (≈104 MB of tar), written to `file`; returns its diff ID and size.
import { createWriteStream } from 'node:fs';
import { randomBytes, createHash } from 'node:crypto';
import tar from 'tar-stream';

export async function writeBenchLayer(file: string, seed: number): Promise<{ diffId: string; size: number }> {
  const pack = tar.pack();
  const hash = createHash('sha256');
  let size = 0;
  const out = createWriteStream(file);
  pack.on('data', (c: Buffer) => {
    hash.update(c);
    size += c.length;
  });
  pack.pipe(out);
  const add = (name: string, data: Buffer) => new Promise<void>((res, rej) => pack.entry({ name, size: data.length, mode: 0o644 }, data, (e) => (e ? rej(e) : res())));
  pack.entry({ name: `layer${seed}/`, type: 'directory' });
  for (let i = 0; i < 90; i++) await add(`layer${seed}/big${i}.bin`, randomBytes(1 << 20));
  for (let i = 0; i < 2000; i++) await add(`layer${seed}/small/${i}.txt`, randomBytes(4096));
  pack.finalize();
  await new Promise((r) => out.on('close', () => r(undefined)));
  return { diffId: `sha256:${hash.digest('hex')}`, size };
}
