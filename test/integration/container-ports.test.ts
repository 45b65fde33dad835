// The default network: a container on the CNI bridge gets its own address,
// and `-p` publishes a port on 127.0.0.1 and the host's own address that stops
// answering after `rm`. The same through the official docker CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { TestDaemon, isRoot, which, ok } from '../helpers/daemon.js';
import { useContainerDaemon } from '../helpers/containers.js';

const skip = !isRoot() ? 'needs root (runc, conmon, CNI)' : !existsSync('/usr/lib/cni/bridge') ? 'containernetworking-plugins are not installed' : false;
let d: TestDaemon;

useContainerDaemon(skip, (x) => (d = x));

/** GET a URL with a bounded number of tries; the body, or undefined when nothing answers. */
async function get(url: string, tries = 30): Promise<string | undefined> {
  for (let i = 0; i < tries; i++) {
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
      return await r.text();
    } catch {
      await new Promise((res) => setTimeout(res, 200));
    }
  }
  return undefined;
}

function hostAddress(): string | undefined {
  const r = spawnSync('hostname', ['-I'], { encoding: 'utf8' });
  return r.stdout.split(/\s+/).find((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a) && !a.startsWith('127.'));
}

const PORT = 18000 + (process.pid % 1000);
const SERVE = ['sh', '-c', 'mkdir -p /www && echo "hello from $(hostname)" > /www/index.html && exec httpd -f -p 80 -h /www'];

test('run -d -p: the published port answers on 127.0.0.1 and the host address, and stops after rm', { skip }, async () => {
  ok(d.berth(['run', '-d', '--name', 'web', '--hostname', 'webhost', '-p', `${PORT}:80`, 'busybox', ...SERVE]), 'run -d -p');
  assert.equal(await get(`http://127.0.0.1:${PORT}/`), 'hello from webhost\n');
  const addr = hostAddress();
  if (addr) assert.equal(await get(`http://${addr}:${PORT}/`), 'hello from webhost\n');
  const ps = ok(d.berth(['ps']), 'ps');
  assert.match(ps, new RegExp(`0\\.0\\.0\\.0:${PORT}->80/tcp\\s+web`));
  const ins = JSON.parse(ok(d.berth(['container', 'inspect', 'web']), 'inspect'))[0] as { NetworkSettings: { IPAddress: string; Ports: Record<string, { HostPort: string }[]> } };
  assert.match(ins.NetworkSettings.IPAddress, /^\d+\.\d+\.\d+\.\d+$/);
  assert.equal(ins.NetworkSettings.Ports['80/tcp']?.[0]?.HostPort, String(PORT));
  // the container's own address answers from the host too
  assert.equal(await get(`http://${ins.NetworkSettings.IPAddress}:80/`), 'hello from webhost\n');
  // its /etc files
  const hosts = ok(d.berth(['exec', 'web', 'cat', '/etc/hosts']), 'exec');
  assert.match(hosts, new RegExp(`${ins.NetworkSettings.IPAddress.replace(/\./g, '\\.')}\\s+webhost`));
  // stopped: docker lists no ports at all (not even the exposed 80/tcp), and inspect shows {}
  ok(d.berth(['stop', '-t', '0', 'web']), 'stop');
  const line = ok(d.berth(['ps', '-a', '--filter', 'name=web', '--format', '{{.Names}}|{{.Ports}}']), 'ps -a').trim();
  assert.equal(line, 'web|');
  assert.equal(ok(d.berth(['inspect', '-f', '{{json .NetworkSettings.Ports}}', 'web']), 'inspect stopped').trim(), '{}');
  ok(d.berth(['rm', '-f', 'web']), 'rm -f');
  assert.equal(await get(`http://127.0.0.1:${PORT}/`, 3), undefined, 'the port stops answering after rm');
  const leftovers = spawnSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.includes(`--dport ${PORT}`));
  assert.deepEqual(leftovers, [], 'no DNAT rule left for the port');
});

test('two containers on the bridge reach each other; a taken host port is refused', { skip }, async () => {
  ok(d.berth(['run', '-d', '--name', 'srv-a', '-p', `${PORT + 1}:80`, 'busybox', ...SERVE]), 'run a');
  try {
    const ipA = ok(d.berth(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'srv-a']), 'inspect').trim();
    const out = ok(d.berth(['run', '--rm', 'busybox', 'wget', '-qO-', `http://${ipA}/`]), 'wget from b');
    assert.match(out, /hello from/);
    const taken = d.berth(['run', '-d', '--name', 'clash', '-p', `${PORT + 1}:80`, 'busybox', 'sleep', '100']);
    assert.notEqual(taken.code, 0);
    assert.match(taken.stderr, /port is already allocated/);
  } finally {
    d.berth(['rm', '-f', 'srv-a', 'clash']);
  }
});

test('docker run -d -p through berthd', { skip: skip || (!which('docker') && 'the docker CLI is not installed') }, async () => {
  ok(d.docker(['run', '-d', '--name', 'dweb', '-p', `${PORT + 2}:80`, 'busybox', ...SERVE]), 'docker run -d -p');
  try {
    assert.match((await get(`http://127.0.0.1:${PORT + 2}/`)) ?? '', /hello from/);
    assert.match(ok(d.docker(['ps']), 'docker ps'), new RegExp(`0\\.0\\.0\\.0:${PORT + 2}->80/tcp\\s+dweb`));
  } finally {
    d.docker(['rm', '-f', 'dweb']);
  }
  assert.equal(await get(`http://127.0.0.1:${PORT + 2}/`, 3), undefined);
});
