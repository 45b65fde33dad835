// berthd is killed with SIGKILL while containers run: they keep running, and
// a new berthd on the same roots adopts them (ps, logs, stop work); a
// container that exited while no daemon ran shows its real exit code; an
// `always` container comes back. Root only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { TestDaemon, isRoot, ok, which } from '../helpers/daemon.js';
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

test('runc state: gone once run --rm and rm are done (deleted after the answer); a leftover without a container is deleted at the next start', { skip }, async () => {
  const runcRoot = path.join(d.execRoot, 'runtime', 'runc');
  const { spawnSync } = await import('node:child_process');
  const NET = ['--network', 'none'];
  ok(d.berth(['run', '--rm', ...NET, 'busybox', 'true']), 'run --rm');
  ok(d.berth(['run', '--name', 'plain', ...NET, 'busybox', 'true']), 'run');
  ok(d.berth(['rm', 'plain']), 'rm');
  await until('no runc state left', () => !existsSync(runcRoot) || readdirSync(runcRoot).length === 0, 10_000);
  // a start right after an exit waits for that exit's delete (same id, one runc state)
  ok(d.berth(['run', '--name', 'again', ...NET, 'busybox', 'true']), 'run again');
  for (let i = 0; i < 3; i++) assert.equal(d.berth(['start', '-a', 'again']).code, 0, `start ${i}`);
  ok(d.berth(['rm', 'again']), 'rm again');

  // A crash between a removal and its runc delete: runc state that no container owns.
  await d.stop();
  const bundle = path.join(d.root, 'orphan-bundle');
  mkdirSync(path.join(bundle, 'rootfs', 'bin'), { recursive: true });
  spawnSync('cp', [which('busybox')!, path.join(bundle, 'rootfs', 'bin', 'busybox')]);
  assert.equal(spawnSync('runc', ['spec', '--bundle', bundle]).status, 0);
  const specFile = path.join(bundle, 'config.json');
  const spec = JSON.parse(readFileSync(specFile, 'utf8'));
  spec.process.terminal = false;
  spec.process.args = ['/bin/busybox', 'sleep', '1000'];
  writeFileSync(specFile, JSON.stringify(spec));
  const orphan = `orphan${Date.now()}`;
  // (runc init keeps the stdio it is given: a pipe would never end, so runc's log goes to a file)
  const log = path.join(d.root, 'orphan-runc.log');
  const made = spawnSync('runc', ['--root', runcRoot, '--log', log, 'create', '--bundle', bundle, orphan], { stdio: 'ignore', timeout: 30_000 });
  assert.equal(made.status, 0, existsSync(log) ? readFileSync(log, 'utf8') : String(made.error));
  const pid = Number(JSON.parse(spawnSync('runc', ['--root', runcRoot, 'state', orphan], { encoding: 'utf8' }).stdout).pid);
  assert.ok(pid > 0 && existsSync(`/proc/${pid}`));
  try {
    await d.start();
    assert.ok(!readdirSync(runcRoot).includes(orphan), 'the leftover runc state is deleted');
    await until('its process to be gone', () => !existsSync(`/proc/${pid}`), 10_000);
  } finally {
    spawnSync('runc', ['--root', runcRoot, 'delete', '--force', orphan]);
  }
});
