// berthd is killed with SIGKILL while containers run: they keep running, and
// a new berthd on the same roots adopts them (ps, logs, stop work); a
// container that exited while no daemon ran shows its real exit code; an
// `always` container comes back. Root only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, readdirSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { TestDaemon, isRoot, ok } from '../helpers/daemon.js';
import { useContainerDaemon } from '../helpers/containers.js';

const skip = isRoot() ? false : 'needs root (runc, conmon, overlay)';
let d: TestDaemon;

useContainerDaemon(skip, (x) => (d = x));


async function until(what: string, cond: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('containers survive kill -9 of berthd and are adopted by the next one', { skip }, async () => {
  const gate = path.join(d.root, 'gate');
  mkdirSync(gate);
  const NET = ['--network', 'none'];
  ok(d.berth(['run', '-d', '--name', 'ticker', ...NET, 'busybox', 'sh', '-c', 'i=0; while true; do echo line$i; i=$((i+1)); sleep 0.1; done']), 'run ticker');
  ok(d.berth(['run', '-d', '--name', 'gated', ...NET, '-v', `${gate}:/gate`, 'busybox', 'sh', '-c', 'while [ ! -e /gate/go ]; do sleep 0.1; done; exit 5']), 'run gated');
  await until('ticker output', () => d.berth(['logs', 'ticker']).stdout.includes('line3\n'));

  await d.stop('SIGKILL');
  // While no daemon runs: the gated container exits; conmon records it.
  writeFileSync(path.join(gate, 'go'), '');
  const exits = path.join(d.execRoot, 'runtime', 'exits');
  await until('the exit file of the gated container', () => readdirSync(exits).length > 0);

  await d.start();
  const ps = ok(d.berth(['ps']), 'ps');
  assert.match(ps, /Up .*ticker/);
  assert.doesNotMatch(ps, /gated/);
  assert.match(ok(d.berth(['ps', '-a']), 'ps -a'), /Exited \(5\) .*gated/);
  // No line lost: the log counts on without a gap across the restart.
  const before = ok(d.berth(['logs', 'ticker']), 'logs').split('\n').filter(Boolean);
  await until('more output after the restart', () => d.berth(['logs', 'ticker']).stdout.split('\n').filter(Boolean).length > before.length + 3);
  const lines = ok(d.berth(['logs', 'ticker']), 'logs').split('\n').filter(Boolean);
  lines.forEach((l, i) => assert.equal(l, `line${i}`));
  const tail = ok(d.berth(['logs', '--tail', '2', 'ticker']), 'logs --tail').split('\n').filter(Boolean);
  assert.equal(tail.length, 2);
  ok(d.berth(['stop', '-t', '1', 'ticker']), 'stop after restart');
  const st = JSON.parse(ok(d.berth(['inspect', 'ticker']), 'inspect'))[0].State;
  assert.equal(st.Status, 'exited');
  ok(d.berth(['rm', 'ticker', 'gated']), 'rm');
  assert.ok(!existsSync(path.join(d.dataRoot, 'containers')) || readdirSync(path.join(d.dataRoot, 'containers')).length === 0);
});

test('restart policy always brings a container back when berthd starts', { skip }, async () => {
  ok(d.berth(['run', '-d', '--name', 'always', '--network', 'none', '--restart', 'always', 'busybox', 'sleep', '1000']), 'run');
  await d.stop('SIGKILL');
  // The container dies while no daemon runs; the next berthd records the exit and starts it again.
  const id = readdirSync(path.join(d.dataRoot, 'containers'))[0]!;
  const { spawnSync } = await import('node:child_process');
  spawnSync('runc', ['--root', path.join(d.execRoot, 'runtime', 'runc'), 'kill', id, 'KILL']);
  const exits = path.join(d.execRoot, 'runtime', 'exits');
  await until('the exit file', () => readdirSync(exits).includes(id));
  await d.start();
  await until('the container to run again', () => {
    const c = JSON.parse(d.berth(['inspect', 'always']).stdout || '[{}]')[0];
    return c.State?.Running === true;
  });
  ok(d.berth(['rm', '-f', 'always']), 'rm -f');
});

test('unless-stopped: back after a daemon restart unless it was stopped by hand', { skip }, async () => {
  const NET = ['--network', 'none'];
  ok(d.berth(['run', '-d', '--name', 'keep', ...NET, '--restart', 'unless-stopped', 'busybox', 'sleep', '1000']), 'run keep');
  ok(d.berth(['run', '-d', '--name', 'stopped', ...NET, '--restart', 'unless-stopped', 'busybox', 'sleep', '1000']), 'run stopped');
  ok(d.berth(['stop', '-t', '0', 'stopped']), 'stop');
  const keepId = JSON.parse(ok(d.berth(['inspect', 'keep']), 'inspect'))[0].Id as string;
  await d.stop('SIGKILL');
  const { spawnSync } = await import('node:child_process');
  spawnSync('runc', ['--root', path.join(d.execRoot, 'runtime', 'runc'), 'kill', keepId, 'KILL']);
  await until('the exit file', () => readdirSync(path.join(d.execRoot, 'runtime', 'exits')).includes(keepId));
  await d.start();
  await until('keep to run again', () => JSON.parse(d.berth(['inspect', 'keep']).stdout || '[{}]')[0].State?.Running === true);
  assert.equal(JSON.parse(ok(d.berth(['inspect', 'stopped']), 'inspect'))[0].State.Status, 'exited');
  ok(d.berth(['rm', '-f', 'keep', 'stopped']), 'rm');
});
