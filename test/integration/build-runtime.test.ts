// RUN steps as real OCI containers (runtime/ociexec.ts) on the build's own
// network (daemon/buildnet.ts), against a berthd of the test's own with its
// own bridge: the seccomp filter, docker's capabilities and a cgroup of the
// step's own; one bridge namespace per build shared by its steps, --network
// none and host; `#!` heredocs run as files; and nothing left behind (runtime
// state, bundles, namespaces, veths, IPAM, rules, cgroups) after a build,
// a failing one included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { TestDaemon, isRoot, ok, REPO, which } from '../helpers/daemon.js';
import { useContainerDaemon } from '../helpers/containers.js';
import { mergedTree, savedImage } from '../helpers/imagetree.js';

const skip = !isRoot() ? 'needs root (overlay, namespaces, runc)' : !which('busybox') ? 'needs busybox-static' : !existsSync('/usr/sbin/runc') ? 'needs runc' : false;
let d: TestDaemon;
// a daemon with busybox imported, whose containers are removed at the end
useContainerDaemon(skip, (x) => (d = x));

let n = 0;
function context(dockerfile: string): string {
  const dir = path.join(d.root, `ctx${n++}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'Dockerfile'), dockerfile);
  return dir;
}

/** `KEY=value` lines a RUN printed. */
function marks(out: string, key: string): string[] {
  return out.split('\n').filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1));
}

function containerIds(out: string): string[] {
  return [...out.matchAll(/---> Running in ([0-9a-f]{12})/g)].map((m) => m[1]!);
}

function sh(cmd: string): string {
  return spawnSync('sh', ['-c', cmd], { encoding: 'utf8' }).stdout;
}

function bridgeCidr(): { addr: string; prefix: number } {
  const m = /inet (\d+\.\d+\.\d+\.\d+)\/(\d+)/.exec(sh(`ip -4 addr show dev ${d.bridge}`));
  assert.ok(m, `bridge ${d.bridge} has an IPv4 address`);
  return { addr: m[1]!, prefix: Number(m[2]) };
}

function ipNum(ip: string): number {
  return ip.split('.').reduce((a, b) => a * 256 + Number(b), 0);
}

function inSubnet(ip: string, net: { addr: string; prefix: number }): boolean {
  const shift = 32 - net.prefix;
  return ipNum(ip) >>> shift === ipNum(net.addr) >>> shift;
}

/** What a build may leave behind on the host, for this daemon. */
function leftovers(): Record<string, string[]> {
  const ls = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);
  return {
    runtimeState: ls(path.join(d.execRoot, 'runtime/build')),
    bundles: ls(path.join(d.execRoot, 'runtime/build-bundles')),
    netState: ls(path.join(d.dataRoot, 'network/containers')),
    netns: sh('ip netns list').split('\n').filter((l) => l.startsWith('berth-build-')),
    bridgePorts: sh(`ip -o link show master ${d.bridge}`).split('\n').filter(Boolean),
    ipam: ls(path.join(d.execRoot, 'cni/ipam')).flatMap((net) => ls(path.join(d.execRoot, 'cni/ipam', net)).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f))),
    natRules: sh('iptables -t nat -S').split('\n').filter((l) => l.includes('id: \\"build-') || l.includes('id: "build-')),
    scratch: ls(path.join(d.dataRoot, 'build/tmp')),
  };
}

function cgroupDirs(id12: string): string[] {
  const out: string[] = [];
  for (const c of ['pids', 'memory', 'cpu', 'unified']) {
    const dir = path.join('/sys/fs/cgroup', c, 'berth');
    if (existsSync(dir)) for (const e of readdirSync(dir)) if (e.startsWith(id12)) out.push(path.join(dir, e));
  }
  return out;
}

test('RUN is a container: seccomp, docker capabilities, its own cgroup, hostname and /etc files', { skip }, async () => {
  const dir = context(`FROM busybox
RUN grep -E '^(Seccomp|CapEff|CapBnd|NoNewPrivs):' /proc/self/status | tr -d '\\t' | sed 's/:/=/'; \\
    echo "CGROUP=$(awk -F: '$2 == "pids" || $1 == "0" { print $3; exit }' /proc/self/cgroup)"; \\
    echo "HOST=$(hostname)"; echo "ENVHOST=$HOSTNAME"; echo "HOMEDIR=$HOME"; \\
    echo "ETCHOSTNAME=$(cat /etc/hostname)"; echo "HOSTSLINE=$(tail -1 /etc/hosts | tr '\\t' ' ')"; \\
    echo "NS=$(grep -c nameserver /etc/resolv.conf)"; echo made > /made
`);
  const out = ok(d.berth(['build', '--no-cache', '-t', 'rt:caps', dir]), 'build');
  const [id12] = containerIds(out);
  assert.ok(id12, out);
  assert.deepEqual(marks(out, 'Seccomp'), ['2'], 'seccomp filter mode');
  assert.deepEqual(marks(out, 'NoNewPrivs'), ['0'], "as docker's builders: a USER's setuid programs (sudo) work");
  // docker's default set (moby oci/caps/defaults.go): what `docker run busybox grep CapEff /proc/self/status` shows
  assert.deepEqual(marks(out, 'CapEff'), ['00000000a80425fb']);
  assert.deepEqual(marks(out, 'CapBnd'), ['00000000a80425fb']);
  const cg = marks(out, 'CGROUP')[0] ?? '';
  const daemonCg = readFileSync(`/proc/${readFileSync(d.pidfile, 'utf8').trim()}/cgroup`, 'utf8');
  assert.match(cg, new RegExp(`/berth/${id12}[0-9a-f]{52}$`), `the RUN's cgroup is berth's, named after the step (${cg})`);
  assert.ok(!daemonCg.includes(`/berth/${id12}`), 'the daemon is not in it');
  assert.deepEqual(cgroupDirs(id12), [], 'the cgroup is removed with the container');
  assert.deepEqual(marks(out, 'HOST'), [id12]);
  assert.deepEqual(marks(out, 'ENVHOST'), [id12]);
  assert.deepEqual(marks(out, 'HOMEDIR'), ['/root']);
  assert.deepEqual(marks(out, 'ETCHOSTNAME'), [id12]);
  const hostsLine = marks(out, 'HOSTSLINE')[0] ?? '';
  const [ip, name] = hostsLine.split(' ');
  assert.equal(name, id12, `/etc/hosts names the step (${hostsLine})`);
  assert.ok(ip && inSubnet(ip, bridgeCidr()), `its address ${ip} is on the daemon's bridge`);
  assert.ok(Number(marks(out, 'NS')[0]) >= 1, 'resolv.conf has a nameserver');
  // the mountpoints the runtime needed (/proc, /sys, /dev, /etc/hosts...) are not in the layer
  const file = path.join(d.root, 'caps.tar');
  ok(d.berth(['save', '-o', file, 'rt:caps']), 'save');
  const img = await savedImage(readFileSync(file));
  const top = await mergedTree([img.layers[img.layers.length - 1]!]);
  assert.deepEqual([...top.keys()].sort(), ['made']);
});

test('RUN networks: one bridge namespace per build shared by its steps, none has only lo, host is the host; nothing left', { skip }, () => {
  const before = leftovers();
  const gw = bridgeCidr().addr;
  const dir = context(`FROM busybox
RUN echo "NETNS=$(readlink /proc/self/ns/net)"; echo "ADDR=$(ip -o -4 addr show eth0 | awk '{print $4}')"; echo "GW=$(ip route | awk '/^default/ {print $3}')"
RUN echo "NETNS=$(readlink /proc/self/ns/net)"; echo "ADDR=$(ip -o -4 addr show eth0 | awk '{print $4}')"
RUN --network=none echo "NONE=$(grep : /proc/net/dev | cut -d: -f1 | tr -d ' ' | sort | tr '\\n' ,)"; echo "NONENS=$(readlink /proc/self/ns/net)"; echo "LOUP=$(ip -o link show lo | grep -c UP)"
RUN --network=host echo "HOSTNS=$(readlink /proc/self/ns/net)"
`);
  const out = ok(d.berth(['build', '--no-cache', dir]), 'build');
  const ns = marks(out, 'NETNS');
  assert.equal(ns.length, 2);
  assert.equal(ns[0], ns[1], 'both bridge steps share the build namespace');
  const addrs = marks(out, 'ADDR');
  assert.equal(addrs[0], addrs[1]);
  assert.ok(inSubnet(addrs[0]!.split('/')[0]!, bridgeCidr()), `eth0 ${addrs[0]} is on ${d.bridge}`);
  assert.deepEqual(marks(out, 'GW'), [gw], 'the bridge is the default route');
  assert.deepEqual(marks(out, 'NONE'), ['lo,']);
  assert.deepEqual(marks(out, 'LOUP'), ['1'], 'loopback is up in none');
  assert.notEqual(marks(out, 'NONENS')[0], ns[0]);
  assert.deepEqual(marks(out, 'HOSTNS'), [readlinkSync('/proc/self/ns/net')]);
  assert.deepEqual(leftovers(), before);
  // docker build --network none / host: the mode of RUN steps without --network
  const plain = context('FROM busybox\nRUN echo "IFS=$(grep -c : /proc/net/dev)"; echo "NS=$(readlink /proc/self/ns/net)"\n');
  assert.deepEqual(marks(ok(d.berth(['build', '--no-cache', '--network', 'none', plain]), 'none'), 'IFS'), ['1']);
  assert.deepEqual(marks(ok(d.berth(['build', '--no-cache', '--network', 'host', plain]), 'host'), 'NS'), [readlinkSync('/proc/self/ns/net')]);
  const bad = d.berth(['build', '--network', 'container:x', plain]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /network mode "container:x" is not supported by this builder/);
  assert.deepEqual(leftovers(), before);
});

test('RUN reaches a server on the bridge gateway (an address of the test daemon bridge)', { skip }, async () => {
  const gw = bridgeCidr().addr;
  const www = path.join(d.root, 'www');
  mkdirSync(www, { recursive: true });
  writeFileSync(path.join(www, 'hello.txt'), 'hello from the gateway\n');
  const port = 20000 + Math.floor(Math.random() * 20000);
  // its own process: the test process blocks while the CLI runs
  const server = spawn('busybox', ['httpd', '-f', '-p', `${gw}:${port}`, '-h', www], { stdio: 'ignore' });
  try {
    // listening before the build starts (bounded wait for the server process)
    for (let i = 0; i < 100; i++) {
      const up = await new Promise<boolean>((r) => connect(port, gw).once('connect', function (this: Socket) { this.destroy(); r(true); }).once('error', () => r(false)));
      if (up) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const dir = context(`FROM busybox\nRUN wget -qO /got http://${gw}:${port}/hello.txt && echo "GOT=$(cat /got)"\n`);
    const out = ok(d.berth(['build', '--no-cache', dir]), 'build');
    assert.deepEqual(marks(out, 'GOT'), ['hello from the gateway']);
  } finally {
    server.kill();
  }
});

test('a build without RUN makes no network; a failing RUN leaves nothing behind', { skip }, () => {
  const before = leftovers();
  const copyOnly = context('FROM busybox\nENV A=1\nWORKDIR /w\n');
  ok(d.berth(['build', '--no-cache', copyOnly]), 'no RUN');
  assert.deepEqual(leftovers(), before);
  const dir = context('FROM busybox\nRUN echo ok\nRUN exit 3\n');
  const r = d.berth(['build', '--no-cache', dir]);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /The command '\/bin\/sh -c exit 3' returned a non-zero code: 3/);
  assert.deepEqual(leftovers(), before);
  for (const id of containerIds(r.stdout)) assert.deepEqual(cgroupDirs(id), []);
  // a command the runtime cannot start fails the step the same way, and cleans up too
  const missing = context('FROM busybox\nRUN ["/no/such/binary"]\n');
  const m = d.berth(['build', '--no-cache', missing]);
  assert.notEqual(m.code, 0);
  assert.match(m.stderr, /The command '\/no\/such\/binary' returned a non-zero code: \d+/);
  assert.deepEqual(leftovers(), before);
});

test('RUN <<EOF with #! runs the heredoc as a program (/dev/pipes/EOF), as BuildKit does', { skip }, async () => {
  const dir = context(`FROM busybox
RUN <<EOF
#!/bin/awk -f
BEGIN { print "AWK=" 6 * 7 }
EOF
RUN <<SCRIPT
#!/bin/sh -e
echo "ZERO=$0"
case $- in *e*) echo "OPTS=e";; esac
echo ran > /ran
SCRIPT
RUN <<EOF
echo "PLAIN=$0"
EOF
`);
  const out = ok(d.berth(['build', '--no-cache', '-t', 'rt:heredoc', dir]), 'build');
  // awk got the file as its program: under sh -c this would be a shell syntax error
  assert.deepEqual(marks(out, 'AWK'), ['42']);
  assert.deepEqual(marks(out, 'ZERO'), ['/dev/pipes/SCRIPT']);
  assert.deepEqual(marks(out, 'OPTS'), ['e'], 'the #! line options apply');
  assert.deepEqual(marks(out, 'PLAIN'), ['/bin/sh'], 'a heredoc without #! still goes to the shell as text');
  const file = path.join(d.root, 'hd.tar');
  ok(d.berth(['save', '-o', file, 'rt:heredoc']), 'save');
  const img = await savedImage(readFileSync(file));
  const history = (img.config as { history: { created_by: string }[] }).history.map((h) => h.created_by);
  assert.ok(history.includes('/bin/sh -c /dev/pipes/EOF'), history.join('\n'));
  assert.ok(history.includes('/bin/sh -c /dev/pipes/SCRIPT'));
  const tree = await mergedTree(img.layers);
  assert.ok(tree.has('ran'));
  assert.ok(![...tree.keys()].some((k) => k.startsWith('dev')), 'the script mount is not in the image');
  // the script is part of the cache key
  const changed = context(`FROM busybox\nRUN <<EOF\n#!/bin/awk -f\nBEGIN { print "AWK2=" 6 * 8 }\nEOF\n`);
  assert.deepEqual(marks(ok(d.berth(['build', changed]), 'changed'), 'AWK2'), ['48']);
});

test('a client that goes away cancels the build: the running step is killed and nothing is left', { skip }, async () => {
  const before = leftovers();
  const dir = context('FROM busybox\nRUN echo STARTED; exec sleep 600\n');
  const cli = spawn(process.execPath, [path.join(REPO, 'bin/berth'), '-H', d.host, 'build', '--no-cache', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  try {
    await new Promise<void>((resolve, reject) => {
      cli.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('STARTED\n')) resolve();
      });
      cli.on('close', (code) => reject(new Error(`build ended (${code}) before its RUN started: ${out}`)));
    });
  } finally {
    cli.kill('SIGKILL');
  }
  const [id12] = containerIds(out);
  assert.ok(id12);
  // the daemon notices the closed connection; wait (bounded) for the cleanup it then does
  const deadline = Date.now() + 60_000;
  while (JSON.stringify(leftovers()) !== JSON.stringify(before) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(leftovers(), before);
  assert.deepEqual(cgroupDirs(id12), [], 'the step container is gone with its cgroup');
  assert.equal(sh(`ps -eo args | grep -c '^sleep 600$'`).trim(), '0', 'the RUN process was killed');
});
