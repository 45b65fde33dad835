// What berthd leaves on the host. A refused start (TCP without TLS, a bad
// config file, an unwritable data root, a second daemon on the same socket,
// pid file or data root) leaves nothing: no bridge, no iptables rule, no
// directory. A normal stop keeps the default network (as dockerd keeps
// docker0) and says so in its log; `berthd --cleanup` removes it, and refuses
// while a container still runs on the bridge.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { BERTHD, TestDaemon, isRoot, ok, which } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/containers.js';
import { BERTHD_NODE_FLAGS } from '../../src/client/index.js';
import { freePort } from '../helpers/registries.js';

const skip = !isRoot() ? 'needs root (bridge, iptables)' : !which('iptables-save') ? 'needs iptables' : false;

/** The iptables rules that name a bridge, from every table. */
function rulesOf(bridge: string): string[] {
  return spawnSync('iptables-save', { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.includes(bridge));
}

function bridgeExists(bridge: string): boolean {
  return spawnSync('ip', ['link', 'show', bridge], { stdio: 'ignore' }).status === 0;
}

/** berthd with a TestDaemon's flags, some replaced; a --config-file of {} unless given. */
function berthd(d: TestDaemon, replace: Record<string, string> = {}, extra: string[] = []): { code: number; stdout: string; stderr: string } {
  const cfg = path.join(d.root, 'empty.json');
  writeFileSync(cfg, '{}');
  const args = d.args().map((a) => (a === '/dev/null/none' ? cfg : a));
  for (const [flag, value] of Object.entries(replace)) args[args.indexOf(flag) + 1] = value;
  const r = spawnSync(process.execPath, [...BERTHD_NODE_FLAGS, BERTHD, ...args, ...extra], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr };
}

/** A start that must be refused with `message` and leave nothing of `d` on the host. */
function assertRefused(d: TestDaemon, r: { code: number; stderr: string }, message: RegExp, rulesBefore: string[]): void {
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, message);
  assert.equal(bridgeExists(d.bridge), false, `no bridge ${d.bridge}`);
  assert.deepEqual(rulesOf(d.bridge), rulesBefore, 'no iptables rule for it');
}

test('a refused start touches nothing: TCP without TLS, a bad config file, an unwritable data root', { skip }, async () => {
  const d = new TestDaemon();
  try {
    const before = rulesOf(d.bridge);
    const port = await freePort();
    assertRefused(d, berthd(d, { '-H': `tcp://0.0.0.0:${port}` }), /refusing to listen on tcp:\/\/0\.0\.0\.0:\d+ without TLS/, before);
    assert.equal(existsSync(d.dataRoot), false, 'no data root');
    assert.equal(existsSync(d.execRoot), false, 'no exec root');

    const bad = path.join(d.root, 'bad.json');
    writeFileSync(bad, '{"data-root": ');
    assertRefused(d, berthd(d, { '--config-file': bad }), /invalid JSON/, before);
    writeFileSync(bad, JSON.stringify({ 'default-runtime': 'nosuch' }));
    assertRefused(d, berthd(d, { '--config-file': bad }), /default-runtime nosuch: unknown runtime/, before);
    assert.equal(existsSync(d.dataRoot), false);

    writeFileSync(path.join(d.root, 'afile'), 'x');
    assertRefused(d, berthd(d, { '--data-root': path.join(d.root, 'afile/data') }), /data-root .*afile\/data: a path component is not a directory/, before);
    assertRefused(d, berthd(d, { '--data-root': 'relative/data' }), /data-root "relative\/data" must be an absolute path/, before);
    // a read-only file system (a tmpfs of the test's own, unmounted below)
    const ro = path.join(d.root, 'ro');
    mkdirSync(ro);
    assert.equal(spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', ro]).status, 0);
    try {
      assertRefused(d, berthd(d, { '--data-root': path.join(ro, 'data') }), /is not writable \(EROFS\)/, before);
    } finally {
      spawnSync('umount', [ro]);
    }
    assert.equal(existsSync(d.dataRoot), false);
    assert.equal(existsSync(d.execRoot), false);
  } finally {
    await d.cleanup();
  }
});

test('a second daemon on the same socket, pid file or data root is refused before it touches the host', { skip }, async () => {
  const first = await new TestDaemon().start();
  const second = new TestDaemon();
  try {
    const before = rulesOf(second.bridge);
    assertRefused(second, berthd(second, { '-H': first.host }), /another daemon is listening on unix:\/\/.*: stop it first/, before);
    assert.equal(existsSync(second.dataRoot), false, 'no data root');
    // the same pid file, its own socket
    const r = berthd(second, {}, ['--pidfile', first.pidfile]);
    assertRefused(second, r, /berthd is already running \(pid \d+/, before);
    assert.equal(existsSync(second.dataRoot), false, 'no data root');
    assert.equal(existsSync(second.execRoot), false, 'no exec root');
    // the same data root, its own socket and pid file: the lock, before any recovery could undo the first one's work
    assertRefused(second, berthd(second, { '--data-root': first.dataRoot }), /data root .* is in use by another berthd/, before);
    assert.equal(existsSync(second.execRoot), false, 'no exec root');
    // the first one never noticed
    assert.match(ok(first.berth(['version']), 'version'), /Server/);
  } finally {
    await second.cleanup();
    await first.cleanup();
  }
});

test('a stop says what it leaves; berthd --cleanup refuses while a container runs on the bridge, then removes bridge and rules', { skip: skip || (!which('busybox') ? 'needs busybox-static' : false) }, async () => {
  const d = await new TestDaemon().start();
  try {
    importBusybox(d);
    const id = ok(d.berth(['run', '-d', 'busybox', 'sleep', '600']), 'run').trim();
    assert.ok(bridgeExists(d.bridge));
    const rules = rulesOf(d.bridge);
    assert.ok(rules.length >= 4, `berth's rules for ${d.bridge}: ${rules.join('\n')}`);

    const running = berthd(d, {}, ['--cleanup']);
    assert.equal(running.code, 1);
    assert.match(running.stderr, /berthd is running \(pid \d+.*stop it first/);

    assert.equal(await d.stop('SIGTERM'), 0);
    assert.match(d.log, new RegExp(`leaving bridge ${d.bridge} \\(\\d+\\.\\d+\\.\\d+\\.\\d+/\\d+\\), its iptables rules .* 1 running container keeps its network`));
    const refused = berthd(d, {}, ['--cleanup']);
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    assert.match(refused.stderr, new RegExp(`1 running container is attached to ${d.bridge} \\(${id.slice(0, 12)}\\): the bridge, its rules and their reservations are kept`));
    assert.ok(bridgeExists(d.bridge), 'the bridge is kept');
    assert.deepEqual(rulesOf(d.bridge), rules, 'the rules are kept');

    // the container goes; the next stop says the network is kept for the next start
    await d.start();
    ok(d.berth(['rm', '-f', id]), 'rm');
    assert.equal(await d.stop('SIGTERM'), 0);
    assert.match(d.log, new RegExp(`leaving bridge ${d.bridge} .* kept for the next start, as dockerd keeps docker0; \`berthd --cleanup\``));
    assert.ok(bridgeExists(d.bridge));
    const done = berthd(d, {}, ['--cleanup']);
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, new RegExp(`removed: bridge ${d.bridge}`));
    assert.match(done.stdout, /removed: 4 iptables rules/);
    assert.match(done.stdout, /kept: images, containers and volumes/);
    assert.equal(bridgeExists(d.bridge), false, 'bridge removed');
    assert.deepEqual(rulesOf(d.bridge), [], 'rules removed');
    assert.equal(existsSync(path.join(d.dataRoot, 'network/networks', `${d.bridge}.json`)), false, 'network record removed');
    // a second cleanup has nothing left to do; the daemon starts again and makes its network anew
    assert.match(berthd(d, {}, ['--cleanup']).stdout, /removed: nothing/);
    await d.start();
    assert.ok(bridgeExists(d.bridge));
    assert.match(ok(d.berth(['images']), 'images'), /busybox/);
  } finally {
    await d.cleanup();
  }
});
