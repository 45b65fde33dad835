// Issue 3's user story for containers, as typed, against a berthd of the
// test's own: real runc, conmon and overlay mounts. Most tests use --network
// none (published ports are in container-ports.test.ts). Root only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { TestDaemon, isRoot, which, BERTH, ok } from '../helpers/daemon.js';
import { useContainerDaemon, importBusybox } from '../helpers/containers.js';

const skip = isRoot() ? false : 'needs root (runc, conmon, overlay)';
let d: TestDaemon;
const NET = ['--network', 'none'];

useContainerDaemon(skip, (x) => (d = x));


function inspect(name: string): { State: { Status: string; ExitCode: number; OOMKilled: boolean; Running: boolean }; RestartCount: number; Id: string } {
  return JSON.parse(ok(d.berth(['container', 'inspect', name]), 'inspect'))[0];
}

async function until(what: string, cond: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('run --rm busybox echo hello', { skip }, () => {
  const r = d.berth(['run', '--rm', ...NET, 'busybox', 'echo', 'hello']);
  assert.equal(r.stdout, 'hello\n');
  assert.equal(r.code, 0);
  assert.equal(d.berth(['ps', '-aq']).stdout, '');
});

test('exit codes: own code, 126, 127, 125', { skip }, () => {
  assert.equal(d.berth(['run', '--rm', ...NET, 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']).code, 3);
  const r126 = d.berth(['run', '--rm', ...NET, 'busybox', '/etc']);
  assert.equal(r126.code, 126);
  assert.match(r126.stderr, /permission denied/);
  const r127 = d.berth(['run', '--rm', ...NET, 'busybox', 'nonexistent-cmd']);
  assert.equal(r127.code, 127);
  assert.match(r127.stderr, /executable file not found/);
  // as docker: a missing image is pulled first; with no registry reachable that fails with 125
  const r125 = d.berth(['run', '--rm', ...NET, '127.0.0.1:1/no-such-image']);
  assert.equal(r125.code, 125);
  assert.match(r125.stderr, /Unable to find image '127\.0\.0\.1:1\/no-such-image:latest' locally/);
  assert.match(r125.stderr, /connection refused/);
  assert.doesNotMatch(r125.stderr, /Using default tag/, 'only `pull` itself says that');
  // the daemon names the missing image as docker does, with its default tag
  const api = spawnSync('curl', ['-s', '--unix-socket', d.socket, '-X', 'POST', '-H', 'Content-Type: application/json', '-d', '{"Image":"nope"}', 'http://x/containers/create'], { encoding: 'utf8' });
  assert.deepEqual(JSON.parse(api.stdout), { message: 'No such image: nope:latest' });
  assert.equal(d.berth(['ps', '-aq']).stdout, '', 'no container left behind');
});

test('stdout and stderr are kept apart', { skip }, () => {
  const r = d.berth(['run', '--rm', ...NET, 'busybox', 'sh', '-c', 'echo out; echo err >&2']);
  assert.equal(r.stdout, 'out\n');
  assert.equal(r.stderr, 'err\n');
});

test('-d, ps, logs, stop, start, rm', { skip }, async () => {
  const id = ok(d.berth(['run', '-d', '--name', 'web', ...NET, 'busybox', 'sh', '-c', 'echo started; exec sleep 1000']), 'run -d').trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  const ps = ok(d.berth(['ps']), 'ps').trimEnd().split('\n');
  assert.match(ps[0]!, /^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES$/);
  // as docker: an argument with a space is shown in single quotes
  assert.match(ps[1]!, new RegExp(`^${id.slice(0, 12)}\\s+busybox\\s+"sh -c 'echo started…"\\s+.*\\s+Up .*\\s+web$`));
  await until('log line', () => d.berth(['logs', 'web']).stdout === 'started\n');
  assert.match(ok(d.berth(['logs', '--timestamps', 'web']), 'logs -t'), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z started\n$/);
  const rm = d.berth(['rm', 'web']);
  assert.equal(rm.code, 1);
  assert.match(rm.stderr, /You cannot remove a running container/);
  assert.equal(ok(d.berth(['stop', '-t', '1', 'web']), 'stop'), 'web\n');
  const st = inspect('web').State;
  assert.equal(st.Status, 'exited');
  assert.equal(st.ExitCode, 137, 'sleep as pid 1 ignores SIGTERM, so stop kills it');
  assert.match(ok(d.berth(['ps', '-a']), 'ps -a'), /Exited \(137\) .* ago\s+web/);
  assert.equal(d.berth(['ps', '-q']).stdout, '');
  ok(d.berth(['start', 'web']), 'start');
  assert.equal(inspect('web').State.Running, true);
  ok(d.berth(['kill', '-s', 'KILL', 'web']), 'kill');
  assert.equal(ok(d.berth(['wait', 'web']), 'wait'), '137\n');
  assert.equal(ok(d.berth(['rm', 'web']), 'rm'), 'web\n');
  assert.equal(d.berth(['ps', '-aq']).stdout, '');
  assert.ok(!existsSync(path.join(d.dataRoot, 'containers', id)), 'container directory removed');
});

test('names: generated, and a taken name is a conflict', { skip }, () => {
  const id = ok(d.berth(['create', ...NET, 'busybox', 'true']), 'create').trim();
  const name = JSON.parse(ok(d.berth(['inspect', id]), 'inspect'))[0].Name as string;
  assert.match(name, /^\/[a-z]+_[a-z]+\d?$/);
  ok(d.berth(['create', '--name', 'taken', ...NET, 'busybox', 'true']), 'create named');
  const again = d.berth(['create', '--name', 'taken', ...NET, 'busybox', 'true']);
  assert.equal(again.code, 125);
  assert.match(again.stderr, /Conflict. The container name "\/taken" is already in use/);
  ok(d.berth(['rm', id, 'taken']), 'rm');
});

test('isolation: own pid namespace, hostname, rootfs', { skip }, () => {
  const ps = ok(d.berth(['run', '--rm', ...NET, 'busybox', 'ps', '-o', 'pid,comm']), 'ps');
  assert.deepEqual(ps.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' ')), ['PID COMMAND', '1 ps'], "only the container's own process");
  assert.equal(ok(d.berth(['run', '--rm', ...NET, '--hostname', 'box', 'busybox', 'hostname']), 'hostname'), 'box\n');
  const marker = path.join(d.root, 'host-only-file');
  writeFileSync(marker, 'secret');
  assert.equal(d.berth(['run', '--rm', ...NET, 'busybox', 'test', '-e', marker]).code, 1, 'host files are not visible');
  const net = ok(d.berth(['run', '--rm', ...NET, 'busybox', 'ls', '/sys/class/net']), 'net');
  assert.equal(net, 'lo\n', '--network none has only loopback');
  assert.equal(ok(d.berth(['run', '--rm', ...NET, '--ulimit', 'nofile=512:1024', 'busybox', 'sh', '-c', 'ulimit -n; ulimit -Hn']), 'ulimit'), '512\n1024\n');
  const env = ok(d.berth(['run', '--rm', ...NET, '-e', 'A=1', '-w', '/tmp', '-u', '65534', 'busybox', 'sh', '-c', 'echo $A $(pwd) $(id -u) $HOME']), 'env');
  assert.equal(env, '1 /tmp 65534 /nonexistent\n');
});

test('--read-only, --tmpfs and -v binds', { skip }, () => {
  const ro = d.berth(['run', '--rm', ...NET, '--read-only', 'busybox', 'touch', '/x']);
  assert.equal(ro.code, 1);
  assert.match(ro.stderr, /Read-only file system/);
  ok(d.berth(['run', '--rm', ...NET, '--read-only', '--tmpfs', '/scratch', 'busybox', 'touch', '/scratch/x']), 'tmpfs');
  const dir = path.join(d.root, 'shared');
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'in'), 'from host\n');
  const out = ok(d.berth(['run', '--rm', ...NET, '-v', `${dir}:/data`, 'busybox', 'sh', '-c', 'cat /data/in; echo from container > /data/out']), 'bind');
  assert.equal(out, 'from host\n');
  assert.equal(readFileSync(path.join(dir, 'out'), 'utf8'), 'from container\n');
  const rob = d.berth(['run', '--rm', ...NET, '-v', `${dir}:/data:ro`, 'busybox', 'touch', '/data/y']);
  assert.equal(rob.code, 1);
  assert.match(rob.stderr, /Read-only file system/);
});

test('--memory: a memory hog is OOM-killed (137, OOMKilled)', { skip }, () => {
  const r = d.berth(['run', '--name', 'hog', ...NET, '--memory', '32m', 'busybox', 'sh', '-c', 'exec tail /dev/zero']);
  assert.equal(r.code, 137);
  const st = inspect('hog').State;
  assert.equal(st.OOMKilled, true);
  assert.equal(st.ExitCode, 137);
  ok(d.berth(['rm', 'hog']), 'rm');
});

test('--pids-limit stops a fork bomb', { skip }, async () => {
  const id = ok(d.berth(['run', '-d', ...NET, '--pids-limit', '30', 'busybox', 'sh', '-c', 'b() { b | b & }; b; exec sleep 1000']), 'run').trim();
  const v2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
  const cg = v2 ? `/sys/fs/cgroup/berth/${id}` : `/sys/fs/cgroup/pids/berth/${id}`;
  assert.equal(readFileSync(path.join(cg, 'pids.max'), 'utf8').trim(), '30');
  await until('the limit to be hit', () => /max [1-9]/.test(readFileSync(path.join(cg, 'pids.events'), 'utf8')));
  assert.ok(Number(readFileSync(path.join(cg, 'pids.current'), 'utf8')) <= 30);
  ok(d.berth(['rm', '-f', id]), 'rm -f');
  assert.ok(!existsSync(cg), 'cgroup removed');
});

test('--init runs tini as pid 1', { skip }, () => {
  const out = ok(d.berth(['run', '--rm', ...NET, '--init', 'busybox', 'ps', '-o', 'pid,args']), 'init');
  assert.match(out, /\n\s*1\s+\/sbin\/docker-init -- ps/);
});

test('--network host shares the host network namespace; the default bridge gives eth0', { skip }, () => {
  const out = ok(d.berth(['run', '--rm', '--network', 'host', 'busybox', 'ls', '/sys/class/net']), 'host');
  assert.ok(out.split('\n').length > 2, `host interfaces visible: ${out}`);
  // the default network is the CNI bridge: lo and eth0 only
  assert.equal(ok(d.berth(['run', '--rm', 'busybox', 'ls', '/sys/class/net']), 'bridge'), 'eth0\nlo\n');
});

test('--restart on-failure:2 restarts twice, then stays exited', { skip }, async () => {
  ok(d.berth(['run', '-d', '--name', 'flaky', ...NET, '--restart', 'on-failure:2', 'busybox', 'sh', '-c', 'exit 3']), 'run');
  await until('two restarts', () => {
    const c = inspect('flaky');
    return c.State.Status === 'exited' && c.RestartCount === 2;
  });
  assert.equal(inspect('flaky').State.ExitCode, 3);
  ok(d.berth(['rm', 'flaky']), 'rm');
});

test('exec: output, exit code, stdin, user/workdir/env, 126, only in running containers', { skip }, () => {
  ok(d.berth(['run', '-d', '--name', 'ex', ...NET, 'busybox', 'sleep', '1000']), 'run');
  assert.equal(ok(d.berth(['exec', 'ex', 'echo', 'hi']), 'exec'), 'hi\n');
  const r = d.berth(['exec', 'ex', 'sh', '-c', 'echo out; echo err >&2; exit 4']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [4, 'out\n', 'err\n']);
  assert.equal(ok(d.berth(['exec', '-i', 'ex', 'cat'], { input: Buffer.from('through stdin\n') }), 'exec -i'), 'through stdin\n');
  assert.equal(ok(d.berth(['exec', '-u', 'nobody', '-w', '/tmp', '-e', 'X=1', 'ex', 'sh', '-c', 'echo $(id -u) $(pwd) $X']), 'exec opts'), '65534 /tmp 1\n');
  const ps = ok(d.berth(['exec', 'ex', 'ps', '-o', 'pid,comm']), 'exec ps');
  assert.match(ps, /^\s*1\s+sleep$/m, 'exec joins the container pid namespace');
  const bad = d.berth(['exec', 'ex', 'nonexistent-cmd']);
  assert.equal(bad.code, 126);
  assert.match(bad.stdout + bad.stderr, /executable file not found/);
  ok(d.berth(['stop', '-t', '0', 'ex']), 'stop');
  const notRunning = d.berth(['exec', 'ex', 'true']);
  assert.equal(notRunning.code, 1);
  assert.match(notRunning.stderr, /is not running/);
  ok(d.berth(['rm', 'ex']), 'rm');
});

test('run -it: a real TTY with the terminal size, and the exit code', { skip: skip || (!which('script') && 'script (util-linux) is not installed') }, () => {
  const berth = `${process.execPath} ${BERTH} -H ${d.host}`;
  const r = spawnSync('sh', ['-c', `(sleep 2; printf 'stty size; tty; exit 7\\n'; sleep 2) | script -qec "stty rows 21 cols 77; ${berth} run -it --rm ${NET.join(' ')} busybox sh" /dev/null`], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 7, r.stdout + r.stderr);
  assert.match(r.stdout, /21 77\r*\n/);
  assert.match(r.stdout, /\/dev\/pts\/0\r*\n/);
});

test('logs -f follows until the container exits', { skip }, () => {
  const r = d.berth(['run', '--name', 'counter', ...NET, 'busybox', 'sh', '-c', 'for i in 1 2 3; do echo $i; sleep 0.2; done']);
  assert.equal(r.stdout, '1\n2\n3\n');
  ok(d.berth(['start', 'counter']), 'start again');
  const f = ok(d.berth(['logs', '-f', 'counter']), 'logs -f');
  assert.equal(f, '1\n2\n3\n1\n2\n3\n');
  assert.equal(ok(d.berth(['logs', '--tail', '2', 'counter']), 'tail'), '2\n3\n');
  ok(d.berth(['rm', 'counter']), 'rm');
});

test('--log-opt max-size/max-file rotates the log and keeps max-file files', { skip }, async () => {
  ok(d.berth(['run', '-d', '--name', 'chatty', ...NET, '--log-opt', 'max-size=1k', '--log-opt', 'max-file=2', 'busybox', 'sh', '-c',
    'for b in 1 2 3 4 5; do i=0; while [ $i -lt 50 ]; do echo b$b-$i; i=$((i+1)); done; sleep 1; done; exec sleep 1000']), 'run');
  await until('the last burst', () => d.berth(['logs', 'chatty']).stdout.includes('b5-49\n'));
  const id = inspect('chatty').Id;
  const dir = path.join(d.dataRoot, 'containers', id);
  assert.ok(existsSync(path.join(dir, 'ctr.log.1')), 'rotated once at least');
  assert.ok(!existsSync(path.join(dir, 'ctr.log.2')), 'no more than max-file files');
  const lines = ok(d.berth(['logs', 'chatty']), 'logs').trim().split('\n');
  assert.ok(lines.length < 250, 'old lines were dropped');
  assert.equal(lines.at(-1), 'b5-49');
  // What is kept is contiguous: no line lost inside the kept files.
  const seq = (l: string) => { const [b, i] = l.slice(1).split('-').map(Number); return b! * 50 + i!; };
  lines.forEach((l, k) => k && assert.equal(seq(l), seq(lines[k - 1]!) + 1, `gap before ${l}`));
  ok(d.berth(['rm', '-f', 'chatty']), 'rm');
});

test('ps --size and inspect --size: what the container changed (docker\'s SizeRw), and with its image', { skip }, async () => {
  ok(d.berth(['run', '-d', '--name', 'sized', ...NET, 'busybox', 'sh', '-c', 'head -c 12345 /dev/zero > /f; ln /f /g; mkdir /d; echo hi > /d/x; rm /bin/ls; touch /ready; exec sleep 1000']), 'run -d');
  try {
    await until('ready', () => d.berth(['exec', 'sized', 'test', '-e', '/ready']).code === 0);
    // 12345 + 3 bytes; the hard link once, directories and the whiteout of /bin/ls count 0; /ready is empty
    const [rw, rootfs] = ok(d.berth(['inspect', '--size', '-f', '{{.SizeRw}} {{.SizeRootFs}}', 'sized']), 'inspect --size').trim().split(' ').map(Number);
    assert.equal(rw, 12348);
    const image = (JSON.parse(ok(d.berth(['image', 'inspect', 'busybox']), 'image inspect')) as { Size: number }[])[0]!.Size;
    assert.equal(rootfs, 12348 + image);
    const ps = ok(d.berth(['ps', '-s', '--filter', 'name=sized']), 'ps -s').trimEnd().split('\n');
    assert.match(ps[0]!, /NAMES\s+SIZE$/);
    assert.match(ps[1]!, /sized\s+12\.3kB \(virtual \d+(\.\d+)?[kM]B\)$/);
    assert.equal(ok(d.berth(['ps', '--filter', 'name=sized', '--format', '{{.Size}}']), 'ps --format Size').trim(), ps[1]!.replace(/^.*sized\s+/, ''));
  } finally {
    d.berth(['rm', '-f', 'sized']);
  }
});

test('no-new-privileges: off by default (as docker), on with --security-opt no-new-privileges', { skip }, () => {
  assert.match(ok(d.berth(['run', '--rm', ...NET, 'busybox', 'grep', 'NoNewPrivs', '/proc/self/status']), 'run'), /NoNewPrivs:\s+0/);
  assert.match(ok(d.berth(['run', '--rm', ...NET, '--security-opt', 'no-new-privileges', 'busybox', 'grep', 'NoNewPrivs', '/proc/self/status']), 'run nnp'), /NoNewPrivs:\s+1/);
  assert.match(ok(d.berth(['run', '--rm', ...NET, '--security-opt', 'no-new-privileges:false', 'busybox', 'grep', 'NoNewPrivs', '/proc/self/status']), 'run nnp false'), /NoNewPrivs:\s+0/);
});

test('default seccomp filter: unshare of a user namespace is refused unless unconfined', { skip }, () => {
  assert.match(ok(d.berth(['run', '--rm', ...NET, 'busybox', 'grep', 'Seccomp:', '/proc/self/status']), 'status'), /Seccomp:\s+2/);
  const r = d.berth(['run', '--rm', ...NET, 'busybox', 'unshare', '-U', 'true']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Operation not permitted/);
  ok(d.berth(['run', '--rm', ...NET, '--security-opt', 'seccomp=unconfined', 'busybox', 'unshare', '-U', 'true']), 'unconfined');
});

test('restart and kill -s', { skip }, async () => {
  ok(d.berth(['run', '-d', '--name', 'rs', ...NET, 'busybox', 'sh', '-c', 'trap "echo got HUP" HUP; while true; do sleep 0.1; done']), 'run');
  const first = JSON.parse(ok(d.berth(['inspect', 'rs']), 'inspect'))[0].State.StartedAt as string;
  ok(d.berth(['kill', '-s', 'HUP', 'rs']), 'kill -s HUP');
  await until('the trap to run', () => d.berth(['logs', 'rs']).stdout.includes('got HUP\n'));
  assert.equal(inspect('rs').State.Running, true, 'HUP did not stop it');
  ok(d.berth(['restart', '-t', '1', 'rs']), 'restart');
  const c = JSON.parse(ok(d.berth(['inspect', 'rs']), 'inspect'))[0];
  assert.equal(c.State.Running, true);
  assert.notEqual(c.State.StartedAt, first);
  ok(d.berth(['rm', '-f', 'rs']), 'rm -f');
  assert.equal(d.berth(['ps', '-aq']).stdout, '');
});

test('--cpus and --memory land in the container cgroup (v1 or v2)', { skip }, () => {
  const id = ok(d.berth(['run', '-d', ...NET, '--cpus', '0.5', '--memory', '64m', 'busybox', 'sleep', '1000']), 'run').trim();
  const v2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
  const read = (f: string) => readFileSync(f, 'utf8').trim();
  if (v2) {
    assert.equal(read(`/sys/fs/cgroup/berth/${id}/cpu.max`), '50000 100000');
    assert.equal(read(`/sys/fs/cgroup/berth/${id}/memory.max`), String(64 << 20));
  } else {
    assert.equal(read(`/sys/fs/cgroup/cpu/berth/${id}/cpu.cfs_quota_us`), '50000');
    assert.equal(read(`/sys/fs/cgroup/cpu/berth/${id}/cpu.cfs_period_us`), '100000');
    assert.equal(read(`/sys/fs/cgroup/memory/berth/${id}/memory.limit_in_bytes`), String(64 << 20));
  }
  process.stdout.write(`# cgroup ${v2 ? 'v2 (unified)' : 'v1 (hybrid)'}\n`);
  ok(d.berth(['rm', '-f', id]), 'rm');
});

test('rmi of an image a container uses: refused as dockerd refuses it, and -f leaves a stopped container runnable', { skip }, () => {
  ok(d.berth(['tag', 'busybox', 'inuse:1']), 'tag');
  const id = ok(d.berth(['image', 'inspect', '-f', '{{.Id}}', 'inuse:1']), 'inspect').trim();
  const short = id.slice(7, 19);
  const cid = ok(d.berth(['run', '-d', ...NET, 'inuse:1', 'sleep', '60']), 'run -d').trim();
  try {
    // a tag that is not the image's last name just goes
    assert.equal(ok(d.berth(['rmi', 'busybox']), 'rmi a second tag'), 'Untagged: busybox:latest\n');
    const last = d.berth(['rmi', 'inuse:1']);
    assert.equal(last.code, 1);
    assert.equal(last.stderr, `Error response from daemon: conflict: unable to remove repository reference "inuse:1" (must force) - container ${cid.slice(0, 12)} is using its referenced image ${short}\n`);
    for (const args of [['rmi', short], ['rmi', '-f', short]]) {
      const r = d.berth(args);
      assert.equal(r.code, 1, args.join(' '));
      assert.equal(r.stderr, `Error response from daemon: conflict: unable to delete ${short} (cannot be forced) - image is being used by running container ${cid.slice(0, 12)}\n`);
    }
    ok(d.berth(['kill', cid]), 'kill');
    ok(d.berth(['wait', cid]), 'wait');
    const stopped = d.berth(['rmi', short]);
    assert.equal(stopped.stderr, `Error response from daemon: conflict: unable to delete ${short} (must be forced) - image is being used by stopped container ${cid.slice(0, 12)}\n`);
    assert.equal(ok(d.berth(['rmi', '-f', short]), 'rmi -f'), `Untagged: inuse:1\nDeleted: ${id}\n`);
    // the container's layers stayed: it starts again
    ok(d.berth(['start', cid]), 'start after rmi -f');
    ok(d.berth(['rm', '-f', cid]), 'rm');
  } finally {
    d.berth(['rm', '-f', cid]);
    importBusyboxAgain();
  }
});

function importBusyboxAgain(): void {
  if (d.berth(['image', 'inspect', 'busybox']).code !== 0) importBusybox(d);
}
