// The standalone entry: serve answers, ends cleanly on SIGTERM (finishing a
// download in flight), and gc --dry-run prints a JSON report.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import * as http from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sha256 } from '../common/digest.js';
import { makeImage, pushImage, request } from './testing.js';

const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'main.js');

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

/** Collects a stream's text; `until` resolves once it matches, or rejects when the stream ends first. */
function watch(stream: Readable): { text: () => string; until: (re: RegExp) => Promise<void> } {
  let text = '';
  const waiters: { re: RegExp; resolve: () => void; reject: (e: Error) => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      if (w.re.test(text)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  stream.setEncoding('utf8');
  stream.on('data', (c: string) => {
    text += c;
    check();
  });
  stream.on('end', () => {
    for (const w of waiters.splice(0)) w.reject(new Error(`stream ended before ${w.re}: ${text}`));
  });
  return {
    text: () => text,
    until: (re) =>
      new Promise<void>((resolve, reject) => {
        waiters.push({ re, resolve, reject });
        check();
      }),
  };
}

async function waitUp(base: string): Promise<void> {
  // polls until the listener answers (start-up takes a moment); gives up after 50 tries
  for (let i = 0; i < 50; i++) {
    if (await request('GET', base, '/v2/').then((r) => r.status === 200, () => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail('server did not come up');
}

function exited(child: ReturnType<typeof spawn>): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
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

  it('SIGHUP reloads the config and keeps serving; a config that does not load keeps the running one', async () => {
    const port = await freePort();
    const cfg = path.join(dir, 'hup.yaml');
    const conf = (del: boolean, extra = '') => `addr: 127.0.0.1:${port}\nstorage:\n  filesystem: { rootdirectory: ${path.join(dir, 'hup')} }\n  delete: { enabled: ${del} }\n${extra}`;
    await writeFile(cfg, conf(false));
    const child = spawn(process.execPath, [MAIN, 'serve', '--config', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
    const err = watch(child.stderr!);
    try {
      const base = `http://127.0.0.1:${port}`;
      await waitUp(base);
      const img = makeImage([randomBytes(100)]);
      assert.equal((await pushImage(base, 'hup/app', 'v1', img)).status, 201);
      assert.equal((await request('DELETE', base, '/v2/hup/app/manifests/v1')).code(), 'UNSUPPORTED');
      // a broken config: logged, nothing changes, still serving
      await writeFile(cfg, conf(true, 'gc: { grace: -1 }\n'));
      child.kill('SIGHUP');
      await err.until(/configuration reload failed; keeping the running configuration .*gc\.grace/);
      assert.equal(child.exitCode, null);
      assert.equal((await request('DELETE', base, '/v2/hup/app/manifests/v1')).code(), 'UNSUPPORTED');
      // a good one: applied in place; an address change is reported as needing a restart
      await writeFile(cfg, conf(true).replace(`127.0.0.1:${port}`, '127.0.0.1:1'));
      child.kill('SIGHUP');
      await err.until(/configuration reloaded/);
      await err.until(/need a restart settings=\["addr"\]/);
      assert.equal((await request('GET', base, '/v2/hup/app/manifests/v1')).status, 200, 'still listening where it was');
      assert.equal((await request('DELETE', base, '/v2/hup/app/manifests/v1')).status, 202);
      child.kill('SIGTERM');
      assert.deepEqual(await exited(child), { code: 0, signal: null });
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('SIGTERM during a large upload: the upload completes, new connections are refused, exit 0', async () => {
    const port = await freePort();
    const cfg = path.join(dir, 'term.yaml');
    // a drain bound far beyond what the test needs: it must not depend on the clock
    await writeFile(cfg, `addr: 127.0.0.1:${port}\nstorage:\n  filesystem: { rootdirectory: ${path.join(dir, 'term')} }\nhttp: { draintimeout: 600 }\n`);
    const child = spawn(process.execPath, [MAIN, 'serve', '--config', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
    const err = watch(child.stderr!);
    try {
      const base = `http://127.0.0.1:${port}`;
      await waitUp(base);
      const blob = randomBytes(48 * 1024 * 1024);
      const post = await request('POST', base, '/v2/term/app/blobs/uploads/');
      const loc = post.headers.location!;
      const half = 8 * 1024 * 1024;
      let reply: Promise<{ status: number; range: string | undefined }>;
      const req = http.request(`${base}${loc}`, { method: 'PATCH', headers: { 'Content-Length': blob.length, 'Content-Range': `0-${blob.length - 1}` } });
      reply = new Promise((resolve, reject) => {
        req.on('response', (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, range: res.headers.range }));
        });
        req.on('error', reject);
      });
      req.write(blob.subarray(0, half));
      // the server is receiving it: the upload has bytes
      for (;;) {
        const st = await request('GET', base, loc);
        if (st.headers.range !== '0-0') break;
        await new Promise((r) => setTimeout(r, 20));
      }
      child.kill('SIGTERM');
      await err.until(/shutting down: draining/);
      // no new requests once draining: the listener is closed (a connection the
      // kernel queued just before is reset rather than refused)
      await assert.rejects(request('GET', base, '/v2/'), /ECONNREFUSED|ECONNRESET/);
      req.end(blob.subarray(half));
      const r = await reply;
      assert.equal(r.status, 202);
      assert.equal(r.range, `0-${blob.length - 1}`);
      assert.deepEqual(await exited(child), { code: 0, signal: null });
      assert.doesNotMatch(err.text(), /drain timeout/);
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
