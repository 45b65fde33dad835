// The standalone entry: serve answers, ends cleanly on SIGTERM (finishing a
// download in flight), and gc --dry-run prints a JSON report.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import * as http from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sha256 } from '../common/digest.js';
import { request } from './testing.js';

const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'main.js');

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

describe('registry main', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'berth-registry-main-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('serves, and on SIGTERM finishes the download in flight and exits 0', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [MAIN, 'serve', '--addr', `127.0.0.1:${port}`, '--root', path.join(dir, 'root'), '--log-level', 'error'], { stdio: 'ignore' });
    try {
      const base = `http://127.0.0.1:${port}`;
      let up = false;
      for (let i = 0; i < 50 && !up; i++) {
        up = await request('GET', base, '/v2/').then((r) => r.status === 200, () => false);
        if (!up) await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(up, 'server came up');
      const blob = randomBytes(32 * 1024 * 1024);
      assert.equal((await request('POST', base, `/v2/sig/blobs/uploads/?digest=${sha256(blob)}`, { body: blob })).status, 201);
      // Start a download, read slowly, send SIGTERM in the middle: the body must still arrive whole.
      const got = await new Promise<number>((resolve, reject) => {
        http.get(`${base}/v2/sig/blobs/${sha256(blob)}`, (res) => {
          let n = 0;
          let signalled = false;
          res.on('data', (c: Buffer) => {
            n += c.length;
            if (!signalled) {
              signalled = true;
              child.kill('SIGTERM');
              res.pause();
              setTimeout(() => res.resume(), 200);
            }
          });
          res.on('end', () => resolve(n));
          res.on('error', reject);
        }).on('error', reject);
      });
      assert.equal(got, blob.length);
      const code = await new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (c) => resolve(c))));
      assert.equal(code, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('gc --dry-run prints a report and deletes nothing', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [MAIN, 'gc', '--root', path.join(dir, 'root'), '--dry-run'], { timeout: 30_000 });
    const report = JSON.parse(stdout) as { dryRun: boolean; repositories: number };
    assert.equal(report.dryRun, true);
    assert.equal(report.repositories, 1);
  });

  it('refuses bad flags with exit 1', async () => {
    await assert.rejects(promisify(execFile)(process.execPath, [MAIN, 'serve', '--addr', 'nonsense'], { timeout: 30_000 }), (e: { code?: number; stderr?: string }) => e.code === 1 && /invalid address/.test(String(e.stderr)));
  });
});
