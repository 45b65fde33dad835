// A container that exits before its client has read the start's answer: the
// daemon closes the attach stream first, and the client must still report the
// container's own exit code. On a loaded machine this happened by chance (a
// `run --rm` of a command without output ended with 0 instead of its code, about
// one run in two); here StartHoldProxy forces that order every time, against a
// real berthd, real containers and the real CLIs. Root only.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { BERTH, isRoot, ok, which, type RunResult, type TestDaemon } from '../helpers/daemon.js';
import { useContainerDaemon } from '../helpers/containers.js';
import { StartHoldProxy } from '../helpers/holdproxy.js';

const skip = isRoot() ? false : 'needs root (runc, conmon, overlay)';
const noDocker = !which('docker') && 'the docker CLI is not installed';
const NET = ['--network', 'none'];
let d: TestDaemon;
let proxy: StartHoldProxy | undefined;

useContainerDaemon(skip, (x) => (d = x));

after(async () => {
  await proxy?.close();
});

/** A CLI run through the proxy, without blocking this process (the proxy lives in it). */
function run(cmd: 'berth' | 'docker', args: string[]): Promise<RunResult> {
  const p =
    cmd === 'berth'
      ? spawn(process.execPath, [BERTH, '-H', proxy!.host, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('docker', args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DOCKER_HOST: proxy!.host } });
  let stdout = '';
  let stderr = '';
  p.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  p.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((resolve, reject) => {
    p.on('error', reject);
    p.on('close', (code, signal) => resolve({ stdout, stderr, code: code ?? (signal ? 128 : 255) }));
  });
}

/** Run through the proxy and check that the start's answer was indeed held until the attach stream had closed. */
async function raced(cmd: 'berth' | 'docker', args: string[]): Promise<RunResult> {
  // started with the first test: the file's daemon exists only from its first test on
  proxy ??= await new StartHoldProxy(d.socket, d.root).listen();
  const held = proxy.held;
  const r = await run(cmd, args);
  assert.equal(proxy!.held, held + 1, `the start's answer came after the attach stream closed (${cmd} ${args.join(' ')})`);
  return r;
}

test('run --rm: the exit code of a container that exited before the start was answered', { skip }, async () => {
  const r = await raced('berth', ['run', '--rm', ...NET, 'busybox', 'sh', '-c', 'exit 3']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [3, '', '']);
  // the same for the test that first showed it: a host file is not visible (test -e exits 1)
  const file = path.join(d.root, 'host-only-file');
  writeFileSync(file, 'secret');
  const marker = await raced('berth', ['run', '--rm', ...NET, 'busybox', 'test', '-e', file]);
  assert.equal(marker.code, 1, marker.stderr);
  assert.equal(ok(d.berth(['ps', '-aq']), 'ps'), '', 'the --rm containers are gone');
});

test('run without --rm (wait condition next-exit): the real exit code too', { skip }, async () => {
  try {
    const r = await raced('berth', ['run', '--name', 'race-run', ...NET, 'busybox', 'sh', '-c', 'exit 4']);
    assert.equal(r.code, 4, r.stderr);
    const ins = JSON.parse(ok(d.berth(['inspect', 'race-run']), 'inspect'))[0] as { State: { ExitCode: number } };
    assert.equal(ins.State.ExitCode, 4);
  } finally {
    d.berth(['rm', '-f', 'race-run']);
  }
});

test('start -a: the real exit code too', { skip }, async () => {
  try {
    ok(d.berth(['create', '--name', 'race-start', ...NET, 'busybox', 'sh', '-c', 'exit 5']), 'create');
    const s = await raced('berth', ['start', '-a', 'race-start']);
    assert.equal(s.code, 5, s.stderr);
  } finally {
    d.berth(['rm', '-f', 'race-start']);
  }
});

test('docker CLI in the same order: run --rm reports the exit code (the oracle for the berth CLI)', { skip: skip || noDocker }, async () => {
  const r = await raced('docker', ['run', '--rm', ...NET, 'busybox', 'sh', '-c', 'exit 3']);
  assert.equal(r.code, 3, r.stderr);
  assert.equal(ok(d.berth(['ps', '-aq']), 'ps'), '');
});
