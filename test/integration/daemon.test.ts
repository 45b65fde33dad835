// berthd as a process: its own roots and socket (two run side by side),
// socket permissions, the Engine API's versioned paths and errors, pid file
// handling, daemon.json, and a graceful SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, existsSync, writeFileSync, readFileSync } from 'node:fs';
import * as http from 'node:http';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { TestDaemon, isRoot, BERTHD } from '../helpers/daemon.js';
import { makeTar, rootfsEntries } from '../helpers/tars.js';

const skip = isRoot() ? false : 'needs root';

function get(socket: string, p: string, method = 'GET'): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: socket, path: p, method }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('two daemons side by side keep their own state', { skip }, async () => {
  const a = await new TestDaemon().start();
  const b = await new TestDaemon().start();
  try {
    const f = path.join(a.root, 'r.tar');
    writeFileSync(f, await makeTar(rootfsEntries('a')));
    assert.equal(a.berth(['import', f, 'only-in-a:1']).code, 0);
    assert.match(a.berth(['images']).stdout, /only-in-a/);
    assert.doesNotMatch(b.berth(['images']).stdout, /only-in-a/);
    const info = JSON.parse(b.berth(['info', '--format', 'json']).stdout) as { DockerRootDir: string; Images: number };
    assert.equal(info.DockerRootDir, b.dataRoot);
    assert.equal(info.Images, 0);
  } finally {
    await a.cleanup();
    await b.cleanup();
  }
});

test('the API: ping, versions, errors as docker sends them; socket 0660', { skip }, async () => {
  const d = await new TestDaemon().start();
  try {
    assert.equal(statSync(d.socket).mode & 0o777, 0o660);
    const ping = await get(d.socket, '/_ping');
    assert.equal(ping.status, 200);
    assert.equal(ping.body, 'OK');
    assert.equal(ping.headers['api-version'], '1.45');
    assert.equal(ping.headers['ostype'], 'linux');
    const head = await get(d.socket, '/_ping', 'HEAD');
    assert.equal(head.status, 200);
    for (const v of ['', '/v1.41', '/v1.45']) {
      const r = await get(d.socket, `${v}/version`);
      assert.equal(r.status, 200, v);
      assert.equal((JSON.parse(r.body) as { ApiVersion: string }).ApiVersion, '1.45');
    }
    const tooNew = await get(d.socket, '/v1.99/version');
    assert.equal(tooNew.status, 400);
    assert.deepEqual(JSON.parse(tooNew.body), { message: 'client version 1.99 is too new. Maximum supported API version is 1.45' });
    const tooOld = await get(d.socket, '/v1.12/version');
    assert.equal(tooOld.status, 400);
    assert.match(tooOld.body, /client version 1.12 is too old. Minimum supported API version is 1.24/);
    const missing = await get(d.socket, '/v1.45/images/nope/json');
    assert.equal(missing.status, 404);
    assert.deepEqual(JSON.parse(missing.body), { message: 'No such image: nope:latest' });
    const unknown = await get(d.socket, '/nothing-here');
    assert.equal(unknown.status, 404);
    assert.deepEqual(JSON.parse(unknown.body), { message: 'page not found' });
    const badFilter = await get(d.socket, '/images/json?filters=%7Bnot');
    assert.equal(badFilter.status, 400);
    const v = d.berth(['version']);
    assert.equal(v.code, 0);
    assert.match(v.stdout, /Server: berth\n Engine:\n  Version: +0\.1\.0\n  API version: +1\.45 \(minimum version 1\.24\)/);
  } finally {
    await d.cleanup();
  }
});

test('SIGTERM shuts down cleanly; a stale pid file is taken over; a live one is refused', { skip }, async () => {
  const d = await new TestDaemon().start();
  try {
    assert.equal(readFileSync(d.pidfile, 'utf8').trim(), String(d.proc!.pid));
    const second = spawnSync(process.execPath, [BERTHD, ...d.args().filter((a) => a !== '--config-file' && a !== '/dev/null/none')], { encoding: 'utf8', timeout: 15_000 });
    assert.equal(second.status, 1);
    assert.match(second.stderr, /berthd is already running \(pid \d+/);
    assert.equal(await d.stop('SIGTERM'), 0);
    assert.equal(existsSync(d.socket), false, 'socket removed');
    assert.equal(existsSync(d.pidfile), false, 'pid file removed');
    // as after kill -9: a pid file naming a dead process
    writeFileSync(d.pidfile, '999999\n');
    await d.start();
    assert.equal(readFileSync(d.pidfile, 'utf8').trim(), String(d.proc!.pid));
    assert.equal(await d.stop('SIGKILL'), null);
    await d.start(); // after kill -9 it starts again without help
  } finally {
    await d.cleanup();
  }
});

test('daemon.json: settings, unknown keys and flag conflicts', { skip }, async () => {
  const d = new TestDaemon();
  try {
    const cfg = path.join(d.root, 'daemon.json');
    writeFileSync(cfg, JSON.stringify({ 'data-root': d.dataRoot, 'insecure-registries': ['10.1.0.0/16'] }));
    const conflict = spawnSync(process.execPath, [BERTHD, '--config-file', cfg, '--data-root', '/tmp/x', '-H', d.host], { encoding: 'utf8' });
    assert.equal(conflict.status, 1);
    assert.match(conflict.stderr, /specified both as a flag and in the configuration file: data-root/);
    writeFileSync(cfg, JSON.stringify({ 'no-such-option': true }));
    const unknown = spawnSync(process.execPath, [BERTHD, '--config-file', cfg, '-H', d.host], { encoding: 'utf8' });
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /don't match any configuration option: no-such-option/);
    writeFileSync(cfg, '{oops');
    const bad = spawnSync(process.execPath, [BERTHD, '--config-file', cfg, '-H', d.host], { encoding: 'utf8' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /invalid JSON/);
  } finally {
    await d.cleanup();
  }
});
