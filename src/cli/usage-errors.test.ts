// Usage errors as the docker CLI words them: unknown commands exit 1, unknown
// flags 125, with the usage line and where help is, never the whole help. Where
// a docker CLI of the cobra era (>= 23) is installed, berth's first line and exit
// code are checked against it too (no daemon is needed for usage errors).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const BERTH = path.join(path.dirname(fileURLToPath(import.meta.url)), '../cmd/berth.js');

function berth(args: string[]): { code: number; stdout: string; stderr: string } {
  // A host that cannot answer: a usage error must not need the daemon.
  const r = spawnSync(process.execPath, [BERTH, ...args], { encoding: 'utf8', env: { ...process.env, DOCKER_HOST: 'unix:///nonexistent/berth.sock' } });
  return { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr };
}

test('an unknown command: docker\'s words with berth\'s name, exit 1, no help dump', () => {
  let r = berth(['foo']);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, "berth: unknown command: berth foo\n\nRun 'berth --help' for more information\n");
  r = berth(['foo', 'bar']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.split('\n')[0], 'berth: unknown command: berth foo');
  r = berth(['image', 'foo']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, "berth: unknown command: berth image foo\n\nUsage:  berth image [options] [command]\n\nRun 'berth image --help' for more information\n");
  // a command tree added from outside cli/ answers the same way
  r = berth(['registry', 'foo']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.split('\n')[0], 'berth: unknown command: berth registry foo');
});

test('an unknown flag: exit 125 with the command\'s usage line', () => {
  let r = berth(['ps', '--x']);
  assert.equal(r.code, 125);
  assert.equal(r.stderr, "unknown flag: --x\n\nUsage:  berth ps [options]\n\nRun 'berth ps --help' for more information\n");
  r = berth(['ps', '-z']);
  assert.equal(r.code, 125);
  assert.equal(r.stderr.split('\n')[0], "unknown shorthand flag: 'z' in -z");
  // docker checks the flags before it complains about the command
  r = berth(['foo', '--x']);
  assert.equal(r.code, 125);
  assert.match(r.stderr, /^unknown flag: --x\n\nUsage: {2}berth \[options\] \[command\]\n\nRun 'berth --help' for more information\n$/);
  r = berth(['registry', 'serve', '--nope']);
  assert.equal(r.code, 125, r.stderr);
  assert.match(r.stderr, /^unknown flag: --nope\n\nUsage: {2}berth registry serve \[options\]\n/);
  // other usage errors keep their words and gain the usage line, not the help
  r = berth(['tag']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, "error: missing required argument 'source'\n\nUsage:  berth tag [options] <source> <target>\n\nRun 'berth tag --help' for more information\n");
});

const dockerCli = ['/usr/local/bin/docker', '/usr/bin/docker'].find((p) => {
  if (!existsSync(p)) return false;
  const v = /version (\d+)\./.exec(spawnSync(p, ['--version'], { encoding: 'utf8' }).stdout ?? '');
  return v !== null && Number(v[1]) >= 23;
});

test('the same first line and exit code as the docker CLI', { skip: dockerCli ? false : 'no docker CLI >= 23' }, () => {
  for (const args of [['foo'], ['foo', 'bar'], ['foo', '--x'], ['image', 'foo'], ['container', 'foo'], ['ps', '--x'], ['ps', '-z'], ['-z'], ['image', 'ls', '--x']]) {
    const d = spawnSync(dockerCli!, args, { encoding: 'utf8', env: { ...process.env, DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
    const b = berth(args);
    assert.equal(b.code, d.status, `exit code of ${args.join(' ')}`);
    assert.equal(b.stderr.split('\n')[0], d.stderr.split('\n')[0]!.replaceAll('docker', 'berth'), `first line of ${args.join(' ')}`);
    assert.equal(b.stderr.trimEnd().split('\n').at(-1), d.stderr.trimEnd().split('\n').at(-1)!.replaceAll('docker', 'berth'), `last line of ${args.join(' ')}`);
  }
});
