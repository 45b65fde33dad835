// Small helpers shared by the distribution tests.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { RunResult, TestDaemon } from './daemon.js';
import { makeTar } from './tars.js';

export function ok(r: RunResult, what: string): string {
  assert.equal(r.code, 0, `${what} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** A gzip rootfs with a few MB of incompressible data, so downloads take more than one read. */
export async function rootfsTgz(marker: string, mb = 3): Promise<Buffer> {
  return gzipSync(
    await makeTar([
      { name: 'etc/', type: 'directory' },
      { name: 'etc/marker', data: marker + '\n' },
      { name: 'data.bin', data: randomBytes(mb << 20) },
    ]),
  );
}

export function inspect(d: TestDaemon, name: string): Record<string, unknown> {
  return (JSON.parse(ok(d.berth(['image', 'inspect', name]), `inspect ${name}`)) as Record<string, unknown>[])[0]!;
}

