// A throwaway CNI network for integration tests: its own bridge, network
// name, netns prefix, /24 subnet and state dirs, so it never touches berth0
// or another test's network. Tracks every process and container it starts and
// removes all of it in cleanup(), whatever state a failed test left.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes, randomInt } from 'node:crypto';
import * as net from 'node:net';
import * as http from 'node:http';
import { CniNetworkManager, type OperationTiming, type CniNetworkManagerOptions } from '../../src/network/index.js';

export function cniSkipReason(): string | false {
  if (process.getuid?.() !== 0) return 'needs root';
  if (!existsSync('/usr/lib/cni/bridge')) return 'CNI plugins missing (/usr/lib/cni/bridge): apt-get install containernetworking-plugins';
  if (spawnSync('busybox', ['true']).status !== 0) return 'busybox missing';
  return false;
}

export class NetFixture {
  readonly tag = randomBytes(3).toString('hex');
  readonly root = mkdtempSync(path.join(os.tmpdir(), 'berth-net-'));
  readonly bridge = `bt${this.tag}0`;
  readonly networkName = `bt-${this.tag}`;
  readonly netnsPrefix = `bt${this.tag}-`;
  readonly subnet = `10.251.${randomInt(1, 254)}.0/24`;
  readonly timings: OperationTiming[] = [];
  private readonly procs = new Set<ChildProcess>();
  readonly ids = new Set<string>();
  /** the plugins' shared chains, if they existed before this fixture (then they are left alone) */
  private readonly sharedChainsBefore = hasChain('filter', 'CNI-FORWARD') || hasChain('nat', 'CNI-HOSTPORT-DNAT');

  options(): CniNetworkManagerOptions {
    return {
      stateDir: path.join(this.root, 'state'),
      runDir: path.join(this.root, 'run'),
      bridge: this.bridge,
      networkName: this.networkName,
      netnsPrefix: this.netnsPrefix,
      subnet: this.subnet,
      onTiming: (t) => this.timings.push(t),
    };
  }

  manager(): CniNetworkManager {
    return new CniNetworkManager(this.options());
  }

  newId(): string {
    const id = randomBytes(32).toString('hex');
    this.ids.add(id);
    return id;
  }

  netnsName(id: string): string {
    return `${this.netnsPrefix}${id.slice(0, 12)}`;
  }

  /** Start a process inside a container's netns; it is killed by PID in cleanup. */
  startIn(id: string, cmd: string, args: string[]): ChildProcess {
    const p = spawn('ip', ['netns', 'exec', this.netnsName(id), cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.procs.add(p);
    p.on('exit', () => this.procs.delete(p));
    return p;
  }

  execIn(id: string, cmd: string, args: string[]): { code: number; out: string } {
    const r = spawnSync('ip', ['netns', 'exec', this.netnsName(id), cmd, ...args], { encoding: 'utf8', timeout: 20_000 });
    return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
  }

  /** A process in any netns (e.g. a client's), killed by cleanup(). */
  startInNs(ns: string, cmd: string, args: string[]): ChildProcess {
    const p = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.procs.add(p);
    p.on('exit', () => this.procs.delete(p));
    return p;
  }

  execInNs(ns: string, cmd: string, args: string[]): { code: number; out: string } {
    const r = spawnSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', timeout: 30_000 });
    return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
  }

  /** A netns outside the bridge: veth to the host (10.252.x.1/30 ↔ .2), default route to the host. */
  makeClient(): string {
    const ns = `${this.netnsPrefix}client`;
    const hostEnd = `bt${this.tag}c0`;
    const nsEnd = `bt${this.tag}c1`;
    const x = randomInt(1, 254);
    const sh = (args: string[]) => {
      const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
    };
    sh(['ip', 'netns', 'add', ns]);
    sh(['ip', 'link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', nsEnd]);
    sh(['ip', 'link', 'set', nsEnd, 'netns', ns]);
    sh(['ip', 'addr', 'add', `10.252.${x}.1/30`, 'dev', hostEnd]);
    sh(['ip', 'link', 'set', hostEnd, 'up']);
    sh(['ip', '-n', ns, 'addr', 'add', `10.252.${x}.2/30`, 'dev', nsEnd]);
    sh(['ip', '-n', ns, 'link', 'set', nsEnd, 'up']);
    sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    sh(['ip', '-n', ns, 'route', 'add', 'default', 'via', `10.252.${x}.1`]);
    return ns;
  }

  stop(p: ChildProcess): void {
    if (p.pid !== undefined && p.exitCode === null) process.kill(p.pid, 'SIGKILL');
    this.procs.delete(p);
  }

  async cleanup(): Promise<void> {
    for (const p of [...this.procs]) this.stop(p);
    const m = this.manager();
    await m.init(new Set()).catch(() => {});
    for (const id of this.ids) await m.detach(id).catch(() => {});
    await m.removeNetwork().catch(() => {});
    // belt and braces: whatever still carries this fixture's names
    for (const ns of existsSync('/run/netns') ? readdirSync('/run/netns') : []) if (ns.startsWith(this.netnsPrefix)) spawnSync('ip', ['netns', 'del', ns]);
    for (const link of [this.bridge, `bt${this.tag}c0`, `bt${this.tag}x`]) if (existsSync(`/sys/class/net/${link}`)) spawnSync('ip', ['link', 'del', link]);
    for (const table of ['nat', 'filter']) {
      const save = spawnSync('iptables-save', ['-t', table], { encoding: 'utf8' }).stdout ?? '';
      for (const line of save.split('\n')) {
        if (!line.startsWith('-A ') || !(line.includes(this.networkName) || line.includes(this.bridge) || line.includes(this.subnet.replace(/\.0\/24$/, '.')))) continue;
        const args = line.slice(3).match(/"(?:[^"\\]|\\.)*"|\S+/g)?.map((t) => (t.startsWith('"') ? t.slice(1, -1).replace(/\\"/g, '"') : t)) ?? [];
        spawnSync('iptables', ['-w', '-t', table, '-D', ...args]);
      }
    }
    if (!this.sharedChainsBefore) removeIdleSharedChains();
    rmSync(this.root, { recursive: true, force: true });
  }
}

function hasChain(table: string, chain: string): boolean {
  return spawnSync('iptables', ['-w', '-t', table, '-n', '-L', chain], { stdio: 'ignore' }).status === 0;
}

function ruleCount(table: string, chain: string): number {
  const out = spawnSync('iptables', ['-w', '-t', table, '-S', chain], { encoding: 'utf8' }).stdout ?? '';
  return out.split('\n').filter((l) => l.startsWith('-A ')).length;
}

/**
 * The chains the plugins share (CNI-FORWARD/ADMIN, CNI-HOSTPORT-*), created by
 * this test run: removed when no CNI user has rules in them any more.
 */
export function removeIdleSharedChains(): void {
  const idle = ruleCount('filter', 'CNI-ADMIN') === 0 && ruleCount('filter', 'CNI-FORWARD') <= 1 && ruleCount('nat', 'CNI-HOSTPORT-DNAT') === 0;
  if (!idle) return;
  const ipt = (args: string[]) => spawnSync('iptables', ['-w', ...args], { stdio: 'ignore' }).status === 0;
  while (ipt(['-t', 'filter', '-D', 'FORWARD', '-m', 'comment', '--comment', 'CNI firewall plugin rules', '-j', 'CNI-FORWARD']));
  for (const chain of ['PREROUTING', 'OUTPUT']) while (ipt(['-t', 'nat', '-D', chain, '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'CNI-HOSTPORT-DNAT']));
  while (ipt(['-t', 'nat', '-D', 'POSTROUTING', '-m', 'comment', '--comment', 'CNI portfwd requiring masquerade', '-j', 'CNI-HOSTPORT-MASQ']));
  for (const [table, chain] of [['filter', 'CNI-FORWARD'], ['filter', 'CNI-ADMIN'], ['nat', 'CNI-HOSTPORT-DNAT'], ['nat', 'CNI-HOSTPORT-SETMARK'], ['nat', 'CNI-HOSTPORT-MASQ']] as const) {
    ipt(['-t', table, '-F', chain]);
    ipt(['-t', table, '-X', chain]);
  }
}

export function hostAddress(): string {
  for (const [name, addrs] of Object.entries(os.networkInterfaces())) {
    if (name === 'lo' || name.startsWith('bt') || name.startsWith('docker') || name.startsWith('veth')) continue;
    const a = addrs?.find((x) => x.family === 'IPv4' && !x.internal);
    if (a) return a.address;
  }
  throw new Error('no non-loopback IPv4 address on this host');
}

/** GET / → body, or the error code (ECONNREFUSED...) */
export function httpGet(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: '/', timeout: 10_000, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

export function tcpRefused(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.on('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.on('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)]! : NaN;
}
