// Issue 11, item 6: user errors are 400s at create (or at the call), with
// dockerd's words, not 201s that fail at start with a 500; the daemon keeps
// answering _ping meanwhile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { TestDaemon, REPO, isRoot, ok } from '../helpers/daemon.js';
import { useContainerDaemon } from '../helpers/containers.js';
import { whileResponsive } from '../helpers/pingwatch.js';
import { api } from '../helpers/api.js';

const skip = isRoot() ? false : 'needs root';
let d: TestDaemon;
useContainerDaemon(skip, (x) => (d = x));

function plainBody(): Record<string, unknown> & { HostConfig: Record<string, unknown> } {
  return JSON.parse(readFileSync(path.join(REPO, 'src/daemon/containers/testdata/docker-cli-28-plain-run.json'), 'utf8'));
}

const message = (t: string) => (JSON.parse(t) as { message: string }).message;

test('bad create bodies are 400s with dockerd\'s message, and nothing is created', { skip }, async () => {
  const cases: [where: 'C' | 'H', k: string, v: unknown, msg: string][] = [
    ['H', 'Memory', -1, 'Minimum memory limit allowed is 6MB'],
    ['H', 'Memory', 1000, 'Minimum memory limit allowed is 6MB'],
    ['H', 'Memory', 1.5, 'json: cannot unmarshal number 1.5 into Go struct field HostConfig.HostConfig.Memory of type int64'],
    ['H', 'Memory', 1e23, 'json: cannot unmarshal number 1e+23 into Go struct field HostConfig.HostConfig.Memory of type int64'],
    ['H', 'CpuShares', -5, 'invalid CpuShares -5: the value must not be negative'],
    ['C', 'WorkingDir', '../../x', "the working directory '../../x' is invalid, it needs to be an absolute path"],
    ['H', 'Binds', ['/tmp:/'], `invalid volume specification: '/tmp:/': invalid mount config for type "bind": invalid specification: destination can't be '/'`],
    ['C', 'Image', '../../etc', 'invalid reference format'],
  ];
  await whileResponsive(d.socket, 'bad create bodies', async () => {
    for (const [w, k, v, msg] of cases) {
      const b = plainBody();
      if (w === 'H') b.HostConfig[k] = v;
      else b[k] = v;
      const r = await api(d.socket, 'POST', '/v1.45/containers/create', JSON.stringify(b));
      assert.equal(r.status, 400, `${k}=${JSON.stringify(v)}: ${r.text}`);
      assert.equal(message(r.text), msg);
    }
  });
  assert.equal(d.berth(['ps', '-aq']).stdout, '', 'nothing was created');
});

test('kill and stop with a bad signal are 400 "Invalid signal"; a huge stop timeout waits instead of killing at once', { skip }, async () => {
  // pid 1 traps SIGTERM and says so: only a SIGKILL ends it
  const id = ok(d.berth(['run', '-d', '--network', 'none', 'busybox', 'sh', '-c', 'trap "echo got-term" TERM; while :; do sleep 0.2; done']), 'run').trim();
  try {
    const k = await api(d.socket, 'POST', `/v1.45/containers/${id}/kill?signal=SIGFOO`);
    assert.deepEqual([k.status, message(k.text)], [400, 'Invalid signal: SIGFOO']);
    const z = await api(d.socket, 'POST', `/v1.45/containers/${id}/kill?signal=0`);
    assert.deepEqual([z.status, message(z.text)], [400, 'Invalid signal: 0']);
    const s = await api(d.socket, 'POST', `/v1.45/containers/${id}/stop?signal=SIGFOO`);
    assert.deepEqual([s.status, message(s.text)], [400, 'Invalid signal: SIGFOO']);
    assert.equal(d.berth(['inspect', '-f', '{{.State.Running}}', id]).stdout.trim(), 'true');
    // t=99999999999 must not overflow a timer into an immediate SIGKILL: once the stop's SIGTERM has
    // been handled (the container's log says so) the container still runs, until a SIGKILL by hand.
    const stopping = api(d.socket, 'POST', `/v1.45/containers/${id}/stop?t=99999999999`);
    let settled = false;
    void stopping.then(() => (settled = true));
    for (let i = 0; i < 200 && !d.berth(['logs', id]).stdout.includes('got-term'); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(d.berth(['logs', id]).stdout, /got-term/);
    assert.equal(d.berth(['inspect', '-f', '{{.State.Running}}', id]).stdout.trim(), 'true', 'a huge timeout killed at once');
    assert.equal(settled, false);
    ok(d.berth(['kill', id]), 'kill');
    assert.equal((await stopping).status, 204);
  } finally {
    d.berth(['rm', '-f', id]);
  }
});

test('a 50 MB JSON body is a 400, read away without being held, and the daemon stays responsive', { skip }, async () => {
  const big = Buffer.concat([Buffer.from('{"Image":"busybox","Env":["'), Buffer.alloc(50 << 20, 'a'), Buffer.from('"]}')]);
  await whileResponsive(d.socket, '50 MB create body', async () => {
    const r = await api(d.socket, 'POST', '/v1.45/containers/create', big);
    assert.equal(r.status, 400);
    assert.match(message(r.text), /^request body too large/);
    // chunked, so that no Content-Length tells it in advance
    const c = await api(d.socket, 'POST', '/v1.45/containers/create', big, { 'Transfer-Encoding': 'chunked' });
    assert.equal(c.status, 400);
    assert.match(message(c.text), /^request body too large/);
  });
});

test('berth load of junk: docker\'s 200 with the error in the stream; the CLI prints it and exits 1', { skip }, async () => {
  const junk = Buffer.from('junk junk junk\n'.repeat(7000));
  const file = path.join(d.root, `junk-${randomBytes(4).toString('hex')}.tar`);
  writeFileSync(file, junk);
  await whileResponsive(d.socket, 'load of junk', async () => {
    const r = await api(d.socket, 'POST', '/v1.45/images/load', junk, { 'Content-Type': 'application/x-tar' });
    assert.equal(r.status, 200);
    assert.match((JSON.parse(r.text.trim()) as { error: string }).error, /^invalid archive: /);
    for (let i = 0; i < 5; i++) {
      const l = d.berth(['load', '-i', file]);
      assert.equal(l.code, 1);
      assert.match(l.stderr, /^Error response from daemon: invalid archive: /);
    }
  });
});

test('berth run passes the flags the create body check honours (item 7), and a refused one names itself', { skip }, () => {
  const out = ok(
    d.berth(['run', '--rm', '--network', 'none', '--sysctl', 'kernel.shmmax=777', '--shm-size', '32m', '--group-add', '42', '--oom-score-adj', '7', '--add-host', 'a:1.1.1.1', '--dns', '8.8.4.4', '--device', '/dev/null:/dev/n2', 'busybox', 'sh', '-c', 'cat /proc/sys/kernel/shmmax /proc/self/oom_score_adj; df -k /dev/shm | tail -1; id -G; grep -c "^1.1.1.1\ta$" /etc/hosts; grep nameserver /etc/resolv.conf; ls -l /dev/n2']),
    'berth run with flags',
  );
  assert.match(out, /^777\n7\nshm\s+32768\s[\s\S]*\n0 42\n1\nnameserver 8\.8\.4\.4\ncrw.* 1,\s+3 .*\/dev\/n2\n$/);
  const r = d.berth(['run', '--rm', '--network', 'none', '--platform', 'linux/s390x', 'busybox', 'true']);
  assert.equal(r.code, 125);
  assert.match(r.stderr, /does not match the specified platform: wanted linux\/s390x/);
});
