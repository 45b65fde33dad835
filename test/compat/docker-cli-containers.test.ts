// The official docker CLI runs containers on berthd: run --rm, run -d, ps,
// logs, exec, stop, rm, inspect, exit codes, and run -it through a pty.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { TestDaemon, isRoot, which } from '../helpers/daemon.js';
import { useContainerDaemon } from '../helpers/containers.js';

const skip = !isRoot() ? 'needs root' : !which('docker') ? 'the docker CLI is not installed' : false;
let d: TestDaemon;
const NET = ['--network', 'none'];

useContainerDaemon(skip, (x) => (d = x));

function ok(r: { code: number; stdout: string; stderr: string }, what: string): string {
  assert.equal(r.code, 0, `docker ${what}: ${r.stderr}`);
  return r.stdout;
}

test('docker run --rm, exit codes', { skip }, () => {
  assert.equal(ok(d.docker(['run', '--rm', ...NET, 'busybox', 'echo', 'hello']), 'run'), 'hello\n');
  assert.equal(d.docker(['run', '--rm', ...NET, 'busybox', 'sh', '-c', 'exit 3']).code, 3);
  const nf = d.docker(['run', '--rm', ...NET, 'busybox', 'nonexistent-cmd']);
  assert.equal(nf.code, 127);
  assert.match(nf.stderr, /executable file not found in \$PATH/);
  assert.equal(d.docker(['run', '--rm', ...NET, 'busybox', '/etc']).code, 126);
  assert.equal(ok(d.docker(['ps', '-aq']), 'ps -aq'), '');
});

test('docker run -d, ps, logs, exec, inspect, stop, rm', { skip }, async () => {
  const id = ok(d.docker(['run', '-d', '--name', 'svc', ...NET, 'busybox', 'sh', '-c', 'echo ready; exec sleep 1000']), 'run -d').trim();
  assert.match(ok(d.docker(['ps']), 'ps'), new RegExp(`^${id.slice(0, 12)}\\s+busybox\\s+"sh -c 'echo ready; …"|${id.slice(0, 12)}\\s+busybox\\s+".*"\\s+.*\\s+Up .*svc`, 'm'));
  for (let i = 0; i < 100 && d.docker(['logs', 'svc']).stdout !== 'ready\n'; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(ok(d.docker(['logs', 'svc']), 'logs'), 'ready\n');
  assert.equal(ok(d.docker(['exec', 'svc', 'cat', '/etc/hostname']), 'exec'), `${id.slice(0, 12)}\n`);
  assert.equal(d.docker(['exec', 'svc', 'sh', '-c', 'exit 6']).code, 6);
  assert.equal(ok(d.docker(['exec', '-i', 'svc', 'cat'], { input: Buffer.from('piped\n') }), 'exec -i'), 'piped\n');
  assert.equal(ok(d.docker(['inspect', '-f', '{{.Name}} {{.State.Status}} {{.State.Running}} {{.Config.Image}}', 'svc']), 'inspect').trim(), '/svc running true busybox');
  assert.equal(ok(d.docker(['stop', '-t', '1', 'svc']), 'stop'), 'svc\n');
  assert.equal(ok(d.docker(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'svc']), 'inspect').trim(), 'exited 137');
  assert.equal(ok(d.docker(['rm', 'svc']), 'rm'), 'svc\n');
});

test('docker run -it through a pty: prompt, terminal size, exit code', { skip: skip || (!which('script') && 'script (util-linux) is not installed') }, () => {
  const child = spawnSync('sh', ['-c', `(sleep 2; printf 'stty size; exit 7\\n'; sleep 2) | script -qec "stty rows 21 cols 77; docker run -it --rm ${NET.join(' ')} busybox sh" /dev/null`], {
    encoding: 'utf8',
    env: { ...process.env, DOCKER_HOST: d.host },
    timeout: 30_000,
  });
  assert.equal(child.status, 7, child.stdout + child.stderr);
  assert.match(child.stdout, /\/ # /);
  assert.match(child.stdout, /21 77\r*\n/);
});
