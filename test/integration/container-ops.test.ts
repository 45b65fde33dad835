// pause/unpause (the cgroup freezer), rename, top, port and the swarm routes' 503, as typed
// through berth and through the docker CLI against berthd, with dockerd's statuses and messages
// (and beside the real dockerd's when one answers on /var/run/docker.sock).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { TestDaemon, isRoot, which, ok } from '../helpers/daemon.js';
import { useContainerDaemon } from '../helpers/containers.js';
import { dockerUp, realDocker, DOCKER_SOCK } from '../helpers/realdocker.js';

const skip = !isRoot() ? 'needs root (runc, conmon, CNI)' : !existsSync('/usr/lib/cni/bridge') ? 'containernetworking-plugins are not installed' : false;
const noDocker = !which('docker') && 'the docker CLI is not installed';
let d: TestDaemon;

useContainerDaemon(skip, (x) => (d = x));

function api(socket: string, method: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: socket, method, path }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Whether the cgroup freezer holds the process: v1's freezer.state or v2's cgroup.events "frozen". */
function frozen(pid: number): boolean {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
  const v1 = lines.find((l) => /^\d+:freezer:/.test(l));
  if (v1) return readFileSync(`/sys/fs/cgroup/freezer${v1.split(':')[2]}/freezer.state`, 'utf8').trim() === 'FROZEN';
  const v2 = lines.find((l) => l.startsWith('0::'))!;
  return /^frozen 1$/m.test(readFileSync(`/sys/fs/cgroup${v2.slice(3)}/cgroup.events`, 'utf8'));
}

const state = (name: string) => JSON.parse(ok(d.berth(['inspect', '-f', '{{json .State}}', name]), 'inspect')) as { Status: string; Paused: boolean; Running: boolean; Pid: number };
const idOf = (name: string) => ok(d.berth(['inspect', '-f', '{{.Id}}', name]), 'inspect id').trim();

test('pause / unpause: the freezer holds the container, inspect and ps say paused, docker errors for the wrong state', { skip }, async () => {
  ok(d.berth(['run', '-d', '--name', 'pz', 'busybox', 'sleep', '1000']), 'run');
  ok(d.berth(['create', '--name', 'pz-stopped', 'busybox', 'true']), 'create');
  try {
    const id = idOf('pz');
    const pid = state('pz').Pid;
    assert.equal(ok(d.berth(['pause', 'pz']), 'pause'), 'pz\n');
    assert.ok(frozen(pid), 'the cgroup is frozen');
    const s = state('pz');
    assert.deepEqual([s.Status, s.Paused, s.Running], ['paused', true, true]);
    assert.match(ok(d.berth(['ps', '--filter', 'name=pz$', '--format', '{{.Status}}']), 'ps').trim(), /^Up .+ \(Paused\)$/);
    assert.equal(ok(d.berth(['ps', '--filter', 'name=pz$', '--format', '{{.State}}']), 'ps state').trim(), 'paused');
    assert.equal(ok(d.berth(['ps', '-q', '--no-trunc', '--filter', 'status=paused']), 'ps status=paused').trim(), id);
    assert.equal(ok(d.berth(['info', '--format', '{{.ContainersPaused}} {{.ContainersRunning}}']), 'info').trim(), '1 0');

    const again = d.berth(['pause', 'pz', 'nope']);
    assert.equal(again.code, 1);
    assert.equal(again.stderr, `Error response from daemon: Container ${id} is already paused\nError response from daemon: No such container: nope\n`);
    assert.deepEqual(await api(d.socket, 'POST', '/v1.41/containers/pz/pause'), { status: 409, body: JSON.stringify({ message: `Container ${id} is already paused` }) + '\n' });
    // top still reads a frozen container (as dockerd's)
    assert.match(ok(d.berth(['top', 'pz']), 'top paused'), /sleep 1000\n$/);
    // what a frozen container cannot do, refused with dockerd's 409s
    const ex = d.berth(['exec', 'pz', 'true']);
    assert.deepEqual([ex.code, ex.stderr], [1, 'Error response from daemon: Container pz is paused, unpause the container before exec\n']);
    const start = await api(d.socket, 'POST', '/v1.41/containers/pz/start');
    assert.deepEqual(start, { status: 409, body: JSON.stringify({ message: 'cannot start a paused container, try unpause instead' }) + '\n' });
    const attach = await api(d.socket, 'POST', '/v1.41/containers/pz/attach?stream=1&stdout=1');
    assert.equal(attach.status, 409);
    assert.match(attach.body, /container pz is paused, unpause the container before attach/);
    const rm = await api(d.socket, 'DELETE', '/v1.41/containers/pz');
    assert.equal(rm.status, 409);
    assert.equal(JSON.parse(rm.body).message, `You cannot remove a paused container ${id}. Unpause and then stop the container before attempting removal or force remove`);

    assert.equal(ok(d.berth(['unpause', 'pz']), 'unpause'), 'pz\n');
    assert.ok(!frozen(pid), 'thawed');
    assert.deepEqual([state('pz').Status, state('pz').Paused], ['running', false]);
    const notPaused = await api(d.socket, 'POST', '/v1.41/containers/pz/unpause');
    assert.deepEqual(notPaused, { status: 500, body: JSON.stringify({ message: `Container ${id} is not paused` }) + '\n' });
    // a signal the process ignores: dockerd's kill thaws the container all the same, and it runs on
    ok(d.berth(['pause', 'pz']), 'pause again');
    ok(d.berth(['kill', '-s', 'WINCH', 'pz']), 'kill -s WINCH');
    assert.ok(!frozen(pid), 'thawed by the kill');
    assert.deepEqual([state('pz').Status, state('pz').Paused, state('pz').Pid], ['running', false, pid]);

    const sid = idOf('pz-stopped');
    const stopped = d.berth(['pause', 'pz-stopped']);
    assert.equal(stopped.code, 1);
    assert.equal(stopped.stderr, `Error response from daemon: Container ${sid} is not running\n`);
    assert.equal((await api(d.socket, 'POST', '/v1.41/containers/pz-stopped/pause')).status, 409);
    assert.deepEqual(await api(d.socket, 'POST', '/v1.41/containers/nope/unpause'), { status: 404, body: JSON.stringify({ message: 'No such container: nope' }) + '\n' });
  } finally {
    d.berth(['rm', '-f', 'pz', 'pz-stopped']);
  }
});

test('stop, kill and rm -f of a paused container thaw it and end it, as dockerd does', { skip }, async () => {
  for (const [what, args] of [['stop', ['stop', '-t', '1']], ['kill', ['kill']], ['restart', ['restart', '-t', '1']], ['rm -f', ['rm', '-f']]] as const) {
    const name = `pz-${what.replace(/\W/g, '')}`;
    ok(d.berth(['run', '-d', '--name', name, 'busybox', 'sleep', '1000']), 'run');
    try {
      ok(d.berth(['pause', name]), 'pause');
      assert.equal(ok(d.berth([...args, name]), what), `${name}\n`);
      if (what === 'rm -f') {
        assert.equal(d.berth(['inspect', name]).code, 1, 'removed');
      } else if (what === 'restart') {
        assert.deepEqual([state(name).Status, state(name).Paused], ['running', false]);
      } else {
        ok(d.berth(['wait', name]), 'wait');
        const s = state(name);
        assert.deepEqual([s.Status, s.Paused, s.Running], ['exited', false, false], what);
        // and it starts again, unpaused
        ok(d.berth(['start', name]), 'start');
        assert.deepEqual([state(name).Status, state(name).Paused], ['running', false]);
      }
    } finally {
      d.berth(['rm', '-f', name]);
    }
  }
});

test('rename: the new name resolves everywhere; docker messages for a taken, invalid, empty or same name', { skip }, async () => {
  ok(d.berth(['run', '-d', '--name', 'rn', 'busybox', 'sleep', '1000']), 'run');
  ok(d.berth(['create', '--name', 'rn-other', 'busybox', 'true']), 'create');
  try {
    const id = idOf('rn');
    const otherId = idOf('rn-other');
    assert.equal(ok(d.berth(['rename', 'rn', 'rn2']), 'rename'), '');
    assert.equal(ok(d.berth(['inspect', '-f', '{{.Name}} {{.Id}}', 'rn2']), 'inspect').trim(), `/rn2 ${id}`);
    assert.equal(ok(d.berth(['ps', '--filter', `id=${id}`, '--format', '{{.Names}}']), 'ps').trim(), 'rn2');
    assert.equal(d.berth(['inspect', 'rn']).code, 1, 'the old name is free');
    ok(d.berth(['exec', 'rn2', 'true']), 'exec by the new name');

    const taken = d.berth(['rename', 'rn2', 'rn-other']);
    assert.equal(taken.code, 1);
    assert.equal(taken.stderr, `Error response from daemon: Error when allocating new name: Conflict. The container name "/rn-other" is already in use by container "${otherId}". You have to remove (or rename) that container to be able to reuse that name.\nError: failed to rename container named rn2\n`);
    const bad = d.berth(['rename', 'rn2', 'a b']);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, 'Error response from daemon: Error when allocating new name: Invalid container name (/a b), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed\nError: failed to rename container named rn2\n');
    const empty = d.berth(['rename', 'rn2', ' ']);
    assert.deepEqual([empty.code, empty.stderr], [1, 'Error: Neither old nor new names may be empty\n']);
    assert.deepEqual(await api(d.socket, 'POST', '/v1.41/containers/rn2/rename?name=rn2'), { status: 400, body: JSON.stringify({ message: 'Renaming a container with the same name as its current name' }) + '\n' });
    assert.equal((await api(d.socket, 'POST', '/v1.41/containers/rn2/rename?name=rn-other')).status, 409);
    assert.equal((await api(d.socket, 'POST', '/v1.41/containers/rn2/rename?name=%2Fa%20b')).status, 400);
    assert.deepEqual(await api(d.socket, 'POST', '/v1.41/containers/rn2/rename'), { status: 400, body: JSON.stringify({ message: 'Neither old nor new names may be empty' }) + '\n' });
    assert.deepEqual(await api(d.socket, 'POST', '/v1.41/containers/nope/rename?name=zz'), { status: 404, body: JSON.stringify({ message: 'No such container: nope' }) + '\n' });
    assert.equal(ok(d.berth(['inspect', '-f', '{{.Name}}', id]), 'unchanged').trim(), '/rn2');
  } finally {
    d.berth(['rm', '-f', 'rn', 'rn2', 'rn-other']);
  }
});

test('top: the container\'s processes in docker\'s JSON and table, with ps arguments; a stopped one is refused', { skip }, async () => {
  ok(d.berth(['run', '-d', '--name', 'tp', 'busybox', 'sh', '-c', 'sleep 1001 & exec sleep 1000']), 'run');
  ok(d.berth(['create', '--name', 'tp-stopped', 'busybox', 'true']), 'create');
  try {
    const pid = state('tp').Pid;
    const r = await api(d.socket, 'GET', '/v1.41/containers/tp/top');
    assert.equal(r.status, 200);
    const j = JSON.parse(r.body) as { Titles: string[]; Processes: string[][] };
    assert.deepEqual(j.Titles, ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
    assert.deepEqual(j.Processes.map((p) => p[7]).sort(), ['sleep 1000', 'sleep 1001']);
    assert.ok(j.Processes.some((p) => p[1] === String(pid)), 'the init pid is listed');
    assert.ok(j.Processes.every((p) => p.length === 8));

    const lines = ok(d.berth(['top', 'tp']), 'top').split('\n');
    assert.match(lines[0]!, /^UID {17}PID {17}PPID {16}C {19}STIME {15}TTY {17}TIME {16}CMD$/);
    assert.equal(lines.filter((l) => /sleep 100[01]$/.test(l)).length, 2);
    const aux = ok(d.berth(['top', 'tp', 'aux']), 'top aux').split('\n');
    assert.match(aux[0]!, /^USER +PID +%CPU +%MEM +VSZ +RSS +TTY +STAT +START +TIME +COMMAND$/);
    assert.equal(aux.filter((l) => /sleep 100[01]$/.test(l)).length, 2);
    // options that look like the CLI's own go to ps
    const o = ok(d.berth(['top', 'tp', '-o', 'pid,comm']), 'top -o').split('\n');
    assert.match(o[0]!, /^PID +COMMAND$/);

    const sid = idOf('tp-stopped');
    const stopped = d.berth(['top', 'tp-stopped']);
    assert.deepEqual([stopped.code, stopped.stderr], [1, `Error response from daemon: Container ${sid} is not running\n`]);
    assert.equal((await api(d.socket, 'GET', '/v1.41/containers/tp-stopped/top')).status, 409);
    const badArgs = await api(d.socket, 'GET', '/v1.41/containers/tp/top?ps_args=-bogus');
    assert.equal(badArgs.status, 500);
    assert.match(JSON.parse(badArgs.body).message, /^ps: /);
    assert.equal((await api(d.socket, 'GET', '/v1.41/containers/nope/top')).status, 404);
    if (dockerUp) {
      ok(realDocker(['run', '-d', '--name', 'berth-top-oracle', 'busybox', 'sleep', '1000']), 'real docker run');
      try {
        const real = JSON.parse((await api(DOCKER_SOCK, 'GET', '/v1.41/containers/berth-top-oracle/top?ps_args=aux')).body) as { Titles: string[] };
        const ours = JSON.parse((await api(d.socket, 'GET', '/v1.41/containers/tp/top?ps_args=aux')).body) as { Titles: string[] };
        assert.deepEqual(ours.Titles, real.Titles);
      } finally {
        realDocker(['rm', '-f', 'berth-top-oracle']);
      }
    }
  } finally {
    d.berth(['rm', '-f', 'tp', 'tp-stopped']);
  }
});

const PORT = 19000 + (process.pid % 1000);

test('port: all mappings, one, and docker\'s errors for an unpublished or invalid port', { skip: skip || noDocker }, async () => {
  // (made by the docker CLI: berth run has no --expose yet)
  ok(d.docker(['run', '-d', '--name', 'pt', '-p', `${PORT}:80`, '-p', `127.0.0.1:${PORT + 1}:53/udp`, '--expose', '90', 'busybox', 'sleep', '1000']), 'run');
  try {
    assert.equal(ok(d.berth(['port', 'pt']), 'port'), `53/udp -> 127.0.0.1:${PORT + 1}\n80/tcp -> 0.0.0.0:${PORT}\n`);
    assert.equal(ok(d.berth(['port', 'pt', '80']), 'port 80'), `0.0.0.0:${PORT}\n`);
    assert.equal(ok(d.berth(['port', 'pt', '80/tcp']), 'port 80/tcp'), `0.0.0.0:${PORT}\n`);
    assert.equal(ok(d.berth(['port', 'pt', '53/udp']), 'port 53/udp'), `127.0.0.1:${PORT + 1}\n`);
    for (const p of ['90', '81', '80/udp']) {
      const r = d.berth(['port', 'pt', p]);
      assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', `Error: No public port '${p}' published for pt\n`]);
    }
    const inv = d.berth(['port', 'pt', 'abc']);
    assert.deepEqual([inv.code, inv.stderr], [1, 'Error: invalid port (abc): strconv.ParseUint: parsing "abc": invalid syntax\n']);
    const none = d.berth(['port', 'nope']);
    assert.deepEqual([none.code, none.stderr], [1, 'Error response from daemon: No such container: nope\n']);
  } finally {
    d.berth(['rm', '-f', 'pt']);
  }
});

const NOT_MANAGER = { message: 'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.' };

test('swarm, services, nodes, tasks, secrets, configs: 503 as a dockerd outside a swarm', { skip }, async () => {
  const cases: [string, string, object][] = [
    ['GET', '/v1.41/swarm', NOT_MANAGER], ['GET', '/swarm', NOT_MANAGER], ['GET', '/v1.41/swarm/unlockkey', NOT_MANAGER],
    ['POST', '/v1.41/swarm/leave', { message: 'This node is not part of a swarm' }],
    ['GET', '/v1.41/services', NOT_MANAGER], ['GET', '/v1.41/services/x', NOT_MANAGER], ['GET', '/v1.41/nodes', NOT_MANAGER],
    ['GET', '/v1.41/tasks', NOT_MANAGER], ['GET', '/v1.41/secrets', NOT_MANAGER], ['DELETE', '/v1.41/secrets/x', NOT_MANAGER],
    ['GET', '/v1.41/configs', NOT_MANAGER],
  ];
  for (const [method, path, body] of cases) {
    const r = await api(d.socket, method, path);
    assert.deepEqual({ status: r.status, body: r.body }, { status: 503, body: JSON.stringify(body) + '\n' }, `${method} ${path}`);
    if (dockerUp) {
      const real = await api(DOCKER_SOCK, method, path);
      assert.deepEqual({ status: r.status, body: r.body }, { status: real.status, body: real.body }, `${method} ${path} as dockerd`);
    }
  }
  assert.equal((await api(d.socket, 'GET', '/v1.41/swarm/nope')).status, 404);
});

test('docker CLI against berthd: pause, unpause, rename, top, port and their errors', { skip: skip || noDocker }, async () => {
  ok(d.docker(['run', '-d', '--name', 'dk', '-p', `${PORT + 2}:80`, 'busybox', 'sleep', '1000']), 'docker run');
  ok(d.docker(['create', '--name', 'dk-stopped', 'busybox', 'true']), 'docker create');
  try {
    assert.equal(ok(d.docker(['pause', 'dk']), 'docker pause'), 'dk\n');
    assert.equal(ok(d.docker(['inspect', '-f', '{{.State.Status}} {{.State.Paused}}', 'dk']), 'docker inspect').trim(), 'paused true');
    assert.match(ok(d.docker(['ps', '--filter', 'name=dk$', '--format', '{{.Status}}']), 'docker ps').trim(), /^Up .+ \(Paused\)$/);
    assert.equal(ok(d.docker(['unpause', 'dk']), 'docker unpause'), 'dk\n');
    const sid = idOf('dk-stopped');
    const stopped = d.docker(['pause', 'dk-stopped']);
    assert.deepEqual([stopped.code, stopped.stderr], [1, `Error response from daemon: Container ${sid} is not running\n`]);

    assert.equal(ok(d.docker(['rename', 'dk', 'dk2']), 'docker rename'), '');
    assert.equal(ok(d.docker(['inspect', '-f', '{{.Name}}', 'dk2']), 'docker inspect name').trim(), '/dk2');
    const taken = d.docker(['rename', 'dk2', 'dk-stopped']);
    assert.equal(taken.code, 1);
    assert.match(taken.stderr, /^Error response from daemon: Error when allocating new name: Conflict\. The container name "\/dk-stopped" is already in use by container "[0-9a-f]{64}"\. You have to remove \(or rename\) that container to be able to reuse that name\.\nError: failed to rename container named dk2\n$/);

    const top = ok(d.docker(['top', 'dk2']), 'docker top').split('\n');
    assert.match(top[0]!, /^UID {17}PID/);
    assert.match(top[1]!, /sleep 1000$/);
    assert.equal(ok(d.docker(['top', 'dk2', 'aux']), 'docker top aux').split('\n')[0]!.split(/\s+/)[0], 'USER');
    const topStopped = d.docker(['top', 'dk-stopped']);
    assert.deepEqual([topStopped.code, topStopped.stderr], [1, `Error response from daemon: Container ${sid} is not running\n`]);

    assert.equal(ok(d.docker(['port', 'dk2']), 'docker port'), `80/tcp -> 0.0.0.0:${PORT + 2}\n`);
    assert.equal(ok(d.docker(['port', 'dk2', '80']), 'docker port 80'), `0.0.0.0:${PORT + 2}\n`);
    // and berth's own output is the docker CLI's
    assert.equal(ok(d.berth(['port', 'dk2']), 'berth port'), ok(d.docker(['port', 'dk2']), 'docker port'));
  } finally {
    d.berth(['rm', '-f', 'dk', 'dk2', 'dk-stopped']);
  }
});

test('container prune: stopped containers the filters select go, with docker\'s prompt, report and errors', { skip }, async () => {
  ok(d.berth(['create', '--name', 'pr-a', '-l', 'prune=yes', 'busybox', 'true']), 'create a');
  ok(d.berth(['run', '--name', 'pr-b', '-l', 'prune=yes', 'busybox', 'sh', '-c', 'echo hi > /x']), 'run b');
  ok(d.berth(['create', '--name', 'pr-c', '-l', 'prune=no', 'busybox', 'true']), 'create c');
  ok(d.berth(['run', '-d', '--name', 'pr-run', '-l', 'prune=yes', 'busybox', 'sleep', '1000']), 'run running');
  ok(d.berth(['run', '-d', '--name', 'pr-paused', '-l', 'prune=yes', 'busybox', 'sleep', '1000']), 'run paused');
  ok(d.berth(['pause', 'pr-paused']), 'pause');
  try {
    const [a, b] = [idOf('pr-a'), idOf('pr-b')];
    // declined: the question, nothing removed, status 0
    const no = d.berth(['container', 'prune'], { input: 'n\n' });
    assert.deepEqual([no.code, no.stdout], [0, 'WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ']);
    // an until before every container selects none
    assert.equal(ok(d.berth(['container', 'prune', '-f', '--filter', 'until=2000-01-01T00:00:00Z']), 'until'), 'Total reclaimed space: 0B\n');
    const out = ok(d.berth(['container', 'prune', '-f', '--filter', 'label=prune=yes', '--filter', 'until=0s']), 'prune');
    const m = /^Deleted Containers:\n([0-9a-f]{64})\n([0-9a-f]{64})\n\nTotal reclaimed space: 3B\n$/.exec(out);
    assert.ok(m, out);
    assert.deepEqual([m[1], m[2]].sort(), [a, b].sort());
    const left = ok(d.berth(['ps', '-a', '--format', '{{.Names}}']), 'ps -a').trim().split('\n').sort();
    assert.deepEqual(left, ['pr-c', 'pr-paused', 'pr-run']);
    // label!: the one labelled prune=no stays
    assert.equal(ok(d.berth(['container', 'prune', '-f', '--filter', 'label!=prune=no']), 'label!'), 'Total reclaimed space: 0B\n');
    const bad = d.berth(['container', 'prune', '-f', '--filter', 'bogus=x']);
    assert.deepEqual([bad.code, bad.stderr], [1, "Error response from daemon: Invalid filter 'bogus'\n"]);
    const until = d.berth(['container', 'prune', '-f', '--filter', 'until=abc']);
    assert.deepEqual([until.code, until.stderr], [1, 'Error response from daemon: failed to parse value as time or duration: "abc"\n']);
    assert.equal((await api(d.socket, 'POST', `/v1.41/containers/prune?filters=${encodeURIComponent('{"bogus":{"x":true}}')}`)).status, 400);
    assert.equal((await api(d.socket, 'POST', `/v1.41/containers/prune?filters=${encodeURIComponent('{"until":{"abc":true}}')}`)).status, 500);
    // yes: every stopped one goes; the running and the paused stay
    const c = idOf('pr-c');
    const yes = d.berth(['container', 'prune'], { input: 'y\n' });
    assert.deepEqual([yes.code, yes.stdout], [0, `WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] Deleted Containers:\n${c}\n\nTotal reclaimed space: 0B\n`]);
    assert.deepEqual(ok(d.berth(['ps', '-a', '--format', '{{.Names}}']), 'ps -a').trim().split('\n').sort(), ['pr-paused', 'pr-run']);
    const empty = await api(d.socket, 'POST', '/v1.41/containers/prune');
    assert.deepEqual(empty, { status: 200, body: JSON.stringify({ ContainersDeleted: null, SpaceReclaimed: 0 }) + '\n' });
    if (which('docker')) {
      ok(d.berth(['create', '--name', 'pr-d', 'busybox', 'true']), 'create d');
      const dId = idOf('pr-d');
      assert.equal(ok(d.docker(['container', 'prune', '-f']), 'docker container prune'), `Deleted Containers:\n${dId}\n\nTotal reclaimed space: 0B\n`);
    }
  } finally {
    d.berth(['rm', '-f', 'pr-a', 'pr-b', 'pr-c', 'pr-d', 'pr-run', 'pr-paused']);
  }
});

function build(tag: string, dockerfile: string): string {
  const dir = path.join(d.root, `ctx-${tag.replace(/\W/g, '-')}-${Math.random().toString(16).slice(2)}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'Dockerfile'), dockerfile);
  ok(d.berth(['build', '-q', '-t', tag, dir]), `build ${tag}`);
  return ok(d.berth(['image', 'inspect', '-f', '{{.Id}}', tag]), 'image id').trim();
}

test('image prune: dangling images by default, -a every image no container uses, filters, docker\'s report', { skip }, async () => {
  const dangling = build('pi:1', 'FROM busybox\nRUN echo a > /a\n');
  const current = build('pi:1', 'FROM busybox\nRUN echo bb > /b\n');
  build('pi-used:1', 'FROM busybox\nRUN echo c > /c\n');
  const labelled = build('pi-lab:1', 'FROM busybox\nLABEL prune=yes\nRUN echo d > /d\n');
  ok(d.berth(['create', '--name', 'pi-user', 'pi-used:1', 'true']), 'create');
  try {
    assert.notEqual(dangling, current);
    const no = d.berth(['image', 'prune'], { input: 'n\n' });
    assert.deepEqual([no.code, no.stdout], [0, 'WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] ']);
    assert.equal(ok(d.berth(['image', 'inspect', '-f', '{{.Id}}', dangling]), 'still there').trim(), dangling);

    const r = await api(d.socket, 'POST', '/v1.41/images/prune');
    assert.equal(r.status, 200);
    const rep = JSON.parse(r.body) as { ImagesDeleted: { Untagged?: string; Deleted?: string }[]; SpaceReclaimed: number };
    assert.equal(rep.ImagesDeleted[0]?.Deleted, dangling);
    assert.ok(rep.ImagesDeleted.length >= 2, 'its own layer went too');
    assert.ok(rep.SpaceReclaimed > 0, 'the layer\'s bytes are reclaimed');
    assert.equal(d.berth(['image', 'inspect', dangling]).code, 1, 'the dangling image is gone');
    assert.equal(ok(d.berth(['image', 'prune', '-f']), 'nothing dangling left'), 'Total reclaimed space: 0B\n');
    if (which('docker')) {
      // the docker CLI's prune against berthd: pi:1 rebuilt, its previous image dangling
      build('pi:1', 'FROM busybox\nRUN echo bb > /b\nRUN echo e > /e\n');
      const dk = ok(d.docker(['image', 'prune', '-f']), 'docker image prune');
      assert.match(dk, new RegExp(`^Deleted Images:\ndeleted: ${current}\n(deleted: sha256:[0-9a-f]{64}\n)*\nTotal reclaimed space: \\d+(\\.\\d+)?[kM]?B\n$`));
    }

    const lab = ok(d.berth(['image', 'prune', '-a', '-f', '--filter', 'label=prune=yes']), 'prune -a label');
    assert.match(lab, new RegExp(`^Deleted Images:\nuntagged: pi-lab:1\ndeleted: ${labelled}\n(deleted: sha256:[0-9a-f]{64}\n)+\nTotal reclaimed space: \\d+(\\.\\d+)?[kM]?B\n$`));
    const bad = d.berth(['image', 'prune', '-f', '--filter', 'dangling=maybe']);
    assert.deepEqual([bad.code, bad.stderr], [1, "Error response from daemon: Invalid filter 'dangling=[maybe]'\n"]);
    assert.equal((await api(d.socket, 'POST', `/v1.41/images/prune?filters=${encodeURIComponent('{"bogus":{"x":true}}')}`)).status, 400);
    // until before every image: none goes
    assert.equal(ok(d.berth(['image', 'prune', '-a', '-f', '--filter', 'until=2000-01-01']), 'until'), 'Total reclaimed space: 0B\n');

    const yes = d.berth(['image', 'prune', '-a'], { input: 'y\n' });
    assert.equal(yes.code, 0, yes.stderr);
    assert.match(yes.stdout, /^WARNING! This will remove all images without at least one container associated to them\.\nAre you sure you want to continue\? \[y\/N\] Deleted Images:\n/);
    assert.match(yes.stdout, /untagged: pi:1\n/);
    assert.match(yes.stdout, /untagged: busybox:latest\n/);
    // the image a container uses stays
    assert.equal(ok(d.berth(['images', '--format', '{{.Repository}}:{{.Tag}}']), 'images'), 'pi-used:1\n');
  } finally {
    d.berth(['rm', '-f', 'pi-user']);
  }
});
