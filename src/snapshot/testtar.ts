// Test helper: build layer tars in memory with tar-stream's pack (tests only;
// real layers are never buffered). Also crafts what pack will not write:
// raw PAX records (binary xattr values) and arbitrary type flags.
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { spawnSync } from 'node:child_process';
import * as tar from 'tar-stream';

export interface TarEntry extends tar.Headers {
  body?: string | Buffer;
  /** PAX records written verbatim before this entry ("key" → raw value bytes) */
  rawPax?: Record<string, Buffer | string>;
  /** overwrite the type flag byte (e.g. 'S' for GNU sparse) */
  typeflag?: string;
}

const END_OF_TAR = 1024;

async function packOne(e: TarEntry): Promise<Buffer> {
  const p = tar.pack();
  const { body, rawPax: _r, typeflag: _t, ...header } = e;
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of p) chunks.push(c);
  })();
  if (body !== undefined) p.entry({ mtime: new Date(1_600_000_000_000), ...header }, body);
  else p.entry({ mtime: new Date(1_600_000_000_000), ...header });
  p.finalize();
  await done;
  const out = Buffer.concat(chunks);
  return out.subarray(0, out.length - END_OF_TAR);
}

function checksum(block: Buffer): void {
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of block) sum += b;
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
}

function paxBlock(records: Record<string, Buffer | string>): Buffer {
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(records)) {
    const payload = Buffer.concat([Buffer.from(` ${k}=`), Buffer.from(v), Buffer.from('\n')]);
    let len = payload.length + 1;
    while (String(len).length + payload.length !== len) len = String(len).length + payload.length;
    parts.push(Buffer.from(String(len)), payload);
  }
  const data = Buffer.concat(parts);
  const headers = createRequire(import.meta.url)('tar-stream/headers.js') as { encode(h: object): Buffer };
  const head = headers.encode({ name: 'PaxHeader', type: 'pax-header', size: data.length, mode: 0o644, uid: 0, gid: 0, mtime: new Date(0) });
  const pad = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([head, data, pad]);
}

/** An uncompressed tar holding `entries` in order. */
export async function makeTar(entries: readonly TarEntry[]): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (const e of entries) {
    if (e.rawPax) parts.push(paxBlock(e.rawPax));
    const one = await packOne(e);
    if (e.typeflag !== undefined) {
      one.write(e.typeflag, 156, 'latin1');
      checksum(one.subarray(0, 512));
    }
    parts.push(one);
  }
  parts.push(Buffer.alloc(END_OF_TAR));
  return Buffer.concat(parts);
}

export function gzip(b: Buffer): Buffer {
  return gzipSync(b);
}

/** zstd through the zstd command (Node 20 has no zstd encoder); null when it is not installed. */
export function zstd(b: Buffer): Buffer | null {
  const r = spawnSync('zstd', ['-q', '-c'], { input: b, maxBuffer: 1 << 28 });
  return r.status === 0 ? r.stdout : null;
}
