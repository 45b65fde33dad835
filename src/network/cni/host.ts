// The host-side steps around the plugins: pinned network namespaces (what
// `ip netns add|del` does, with the loopback up, in-process), what the host's routes and addresses already use, the uplink's
// MTU, and the per-network rule that lets published ports through a FORWARD
// policy of DROP (set by dockerd on these machines).
import { closeSync, existsSync, mkdirSync, openSync, promises as fsp, rmSync } from 'node:fs';
import { CLONE_NEWNET, linkUp, mount, MNT_DETACH, MS_BIND, MS_REC, MS_SHARED, setns, umount2, unshare, withFlock, type SyscallError } from '../../common/libc.js';
import { run } from '../../common/exec.js';
import { conflict, internal, messageOf } from '../../common/errors.js';
import { nameservers } from '../etcfiles.js';
import { iptables } from './iptables.js';

export const NETNS_DIR = '/run/netns';

export function netnsPath(name: string): string {
  return `${NETNS_DIR}/${name}`;
}

export function netnsExists(name: string): boolean {
  return existsSync(netnsPath(name));
}

let netnsDirReady = false;

/** /run/netns as `ip netns` makes it: a shared mount point, so that a pin shows in mount namespaces made later. */
function ensureNetnsDir(): void {
  if (netnsDirReady) return;
  mkdirSync(NETNS_DIR, { recursive: true, mode: 0o755 });
  // under iproute2's own lock (flock on the directory): two processes that both found it
  // unmounted would each mount it onto itself (iproute2 takes the same lock for this step)
  const dirFd = openSync(NETNS_DIR, 'r');
  try {
    withFlock(dirFd, () => {
      try {
        mount('', NETNS_DIR, 'none', MS_SHARED | MS_REC, null);
      } catch (err) {
        if ((err as SyscallError).code !== 'EINVAL') throw err;
        // not a mount point yet: make it one of its own, then shared
        mount(NETNS_DIR, NETNS_DIR, 'none', MS_BIND | MS_REC, null);
        mount('', NETNS_DIR, 'none', MS_SHARED | MS_REC, null);
      }
    });
  } finally {
    closeSync(dirFd);
  }
  netnsDirReady = true;
}

let hostNetns: number | undefined;

/** berthd's own network namespace (its main thread's, opened once; libuv opens with O_CLOEXEC). */
function hostNetnsFd(): number {
  hostNetns ??= openSync('/proc/thread-self/ns/net', 'r');
  return hostNetns;
}

/**
 * What `ip netns add` does, with the loopback up, in this process: a new
 * namespace for this thread, pinned by a bind mount on /run/netns/<name>, then
 * back to berthd's own. Two execs (ip and the Go loopback plugin, 40-80 ms of a
 * 2-core machine on every container start) become a few system calls. The
 * thread is away only for these synchronous calls: no other JavaScript runs,
 * and libuv's other threads never move.
 */
export async function netnsAdd(name: string): Promise<void> {
  ensureNetnsDir();
  const p = netnsPath(name);
  const home = hostNetnsFd();
  try {
    closeSync(openSync(p, 'wx', 0o000)); // O_EXCL: an existing name is an error, as with ip
  } catch (err) {
    throw internal(`network namespace ${name}: ${messageOf(err)}`);
  }
  let pinned = false;
  try {
    unshare(CLONE_NEWNET);
    try {
      mount('/proc/thread-self/ns/net', p, 'none', MS_BIND, null);
      pinned = true;
      linkUp('lo');
    } finally {
      try {
        setns(home, CLONE_NEWNET);
      } catch (err) {
        // every later socket of berthd would be made in the container's namespace: stop now
        process.stderr.write(`berthd: fatal: cannot return to the daemon's network namespace: ${messageOf(err)}\n`);
        process.abort();
      }
    }
  } catch (err) {
    if (pinned) umountQuiet(p);
    try {
      rmSync(p, { force: true });
    } catch {
      /* the error that matters is err */
    }
    throw internal(`network namespace ${name}: ${messageOf(err)}`);
  }
}

function umountQuiet(p: string): void {
  try {
    umount2(p, MNT_DETACH);
  } catch {
    /* not mounted */
  }
}

/** What `ip netns del` does: unpin (the namespace goes with its last user) and remove the name. */
export async function netnsDel(name: string): Promise<void> {
  if (!netnsExists(name)) return;
  const p = netnsPath(name);
  try {
    umount2(p, MNT_DETACH);
  } catch (err) {
    if ((err as SyscallError).code !== 'EINVAL') throw internal(`network namespace ${name}: ${messageOf(err)}`);
  }
  rmSync(p, { force: true });
}

/** Names of the pinned namespaces (all of them, not only berth's). */
export async function netnsList(): Promise<string[]> {
  try {
    return await fsp.readdir(NETNS_DIR);
  } catch {
    return [];
  }
}

interface RouteJson {
  dst?: string;
  dev?: string;
}
interface AddrJson {
  ifname?: string;
  addr_info?: { family?: string; local?: string; prefixlen?: number }[];
}

/**
 * Every IPv4 prefix the host already uses, apart from `ownBridge`'s: main-table
 * routes, interface addresses (as their subnets) and nameservers.
 */
export async function hostIPv4InUse(ownBridge: string): Promise<string[]> {
  const out: string[] = [];
  const routes = JSON.parse((await run('ip', ['-j', '-4', 'route', 'show'])).stdout || '[]') as RouteJson[];
  for (const r of routes) if (r.dst && r.dst !== 'default' && r.dev !== ownBridge) out.push(r.dst);
  const addrs = JSON.parse((await run('ip', ['-j', '-4', 'addr', 'show'])).stdout || '[]') as AddrJson[];
  for (const a of addrs) {
    if (a.ifname === ownBridge) continue;
    for (const i of a.addr_info ?? []) if (i.family === 'inet' && i.local) out.push(`${i.local}/${i.prefixlen ?? 32}`);
  }
  try {
    for (const ns of nameservers(await fsp.readFile('/etc/resolv.conf', 'utf8'))) if (/^\d+\.\d+\.\d+\.\d+$/.test(ns)) out.push(`${ns}/32`);
  } catch {
    /* no resolv.conf */
  }
  return out;
}

/** The MTU of the interface that carries the default route (1500 if there is none). */
export async function uplinkMtu(): Promise<number> {
  const routes = JSON.parse((await run('ip', ['-j', '-4', 'route', 'show', 'default'])).stdout || '[]') as RouteJson[];
  const dev = routes.find((r) => r.dev)?.dev;
  if (!dev) return 1500;
  try {
    const mtu = Number((await fsp.readFile(`/sys/class/net/${dev}/mtu`, 'utf8')).trim());
    return Number.isInteger(mtu) && mtu >= 576 ? mtu : 1500;
  } catch {
    return 1500;
  }
}

interface NetworkRule {
  table: string;
  chain: string;
  /** insert at the top instead of appending */
  first?: boolean;
  spec: string[];
}

/**
 * The per-network rules berth adds itself, once per bridge, instead of the
 * per-container rules of the bridge plugin's ipMasq and of the firewall
 * plugin (about ten iptables execs per container start and as many per stop;
 * docker keeps such rules per bridge too):
 * - `FORWARD -o <bridge> --ctstate RELATED,ESTABLISHED,DNAT -j ACCEPT`:
 *   replies to containers, and connections DNAT'ed to a published port, pass
 *   FORWARD (policy DROP when dockerd runs); direct traffic to container
 *   addresses from outside stays blocked.
 * - `FORWARD -i <bridge> -j ACCEPT`: what containers send (out, and to each
 *   other when br_netfilter makes bridged traffic go through FORWARD).
 * - `nat POSTROUTING -s <subnet> ! -o <bridge> -j MASQUERADE`: containers
 *   reach beyond the host with its address.
 * - `INPUT -i <bridge> -d 127.0.0.0/8 ... -j DROP`: portmap's snat sets
 *   route_localnet=1 on the bridge (needed for 127.0.0.1:hostPort); this
 *   keeps containers from reaching the host's 127.0.0.1 services through it
 *   (the CVE-2020-8558 class), while DNAT'ed and reply traffic still passes.
 */
function networkRules(bridge: string, subnet: string): NetworkRule[] {
  const comment = ['-m', 'comment', '--comment', `berth network on ${bridge}`];
  return [
    { table: 'filter', chain: 'FORWARD', first: true, spec: ['-o', bridge, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED,DNAT', ...comment, '-j', 'ACCEPT'] },
    { table: 'filter', chain: 'FORWARD', first: true, spec: ['-i', bridge, ...comment, '-j', 'ACCEPT'] },
    { table: 'nat', chain: 'POSTROUTING', spec: ['-s', subnet, '!', '-o', bridge, ...comment, '-j', 'MASQUERADE'] },
    {
      table: 'filter',
      chain: 'INPUT',
      first: true,
      spec: ['-i', bridge, '!', '-s', '127.0.0.0/8', '-d', '127.0.0.0/8', '-m', 'conntrack', '!', '--ctstate', 'RELATED,ESTABLISHED,DNAT', ...comment, '-j', 'DROP'],
    },
  ];
}

/** What berth added before the per-bridge rules replaced the firewall plugin: removed with the network. */
function legacyRules(bridge: string): NetworkRule[] {
  const comment = ['-m', 'comment', '--comment', `berth network on ${bridge}`];
  return [{ table: 'filter', chain: 'CNI-ADMIN', spec: ['-o', bridge, '-m', 'conntrack', '--ctstate', 'DNAT', ...comment, '-j', 'ACCEPT'] }];
}

export async function ensureNetworkRules(bridge: string, subnet: string): Promise<void> {
  for (const r of networkRules(bridge, subnet)) {
    if ((await iptables(['-t', r.table, '-C', r.chain, ...r.spec], true)) === 0) continue;
    await iptables(['-t', r.table, r.first ? '-I' : '-A', r.chain, ...r.spec]);
  }
}

/** `subnet` undefined: the network was never resolved, so only rules that need no subnet can be there. */
export async function removeNetworkRules(bridge: string, subnet: string | undefined): Promise<void> {
  const rules = [...networkRules(bridge, subnet ?? '0.0.0.0/32'), ...legacyRules(bridge)].filter((r) => subnet !== undefined || !r.spec.includes('-s'));
  for (const r of rules) {
    while ((await iptables(['-t', r.table, '-D', r.chain, ...r.spec], true)) === 0) {
      /* delete every copy */
    }
  }
}

/**
 * Create the bridge with its gateway address before any container exists, so
 * its route marks the subnet as taken (another daemon choosing a default sees
 * it) and a DNS server can bind the gateway. The bridge plugin accepts it as
 * is. The bridge's alias names the state directory of the daemon owning it: a
 * second berthd with another data root must not share it (its IPAM and its
 * leftover sweep would collide with ours), so that is refused.
 */
export async function ensureBridge(bridge: string, gatewayCidr: string, mtu: number, owner: string): Promise<void> {
  const tag = `berth:${owner}`;
  if (!(await linkExists(bridge))) {
    const add = await run('ip', ['link', 'add', bridge, 'mtu', String(mtu), 'type', 'bridge'], { allowFailure: true });
    if (add.code !== 0 && !(await linkExists(bridge))) throw internal(`ip link add ${bridge}: ${add.stderr.trim()}`);
  } else {
    const other = (await bridgeOwner(bridge)) ?? '';
    if (other && other !== owner && existsSync(other)) {
      throw conflict(`bridge ${bridge} belongs to another berth daemon (state in ${other}); give this daemon a bridge of its own`);
    }
  }
  await run('ip', ['link', 'set', 'dev', bridge, 'alias', tag]);
  const addrs = JSON.parse((await run('ip', ['-j', '-4', 'addr', 'show', 'dev', bridge])).stdout || '[]') as AddrJson[];
  const has = addrs.some((a) => (a.addr_info ?? []).some((i) => `${i.local}/${i.prefixlen}` === gatewayCidr));
  if (!has) {
    const r = await run('ip', ['addr', 'add', gatewayCidr, 'dev', bridge], { allowFailure: true });
    if (r.code !== 0 && !/File exists/.test(r.stderr)) throw internal(`ip addr add ${gatewayCidr} dev ${bridge}: ${r.stderr.trim()}`);
  }
  await run('ip', ['link', 'set', bridge, 'up']);
}

/** The state directory a berth bridge's alias names (undefined: no such bridge, or not tagged by berth). */
export async function bridgeOwner(bridge: string): Promise<string | undefined> {
  const alias = (await fsp.readFile(`/sys/class/net/${bridge}/ifalias`, 'utf8').catch(() => '')).trim();
  return alias.startsWith('berth:') ? alias.slice('berth:'.length) : undefined;
}

export async function linkExists(name: string): Promise<boolean> {
  return existsSync(`/sys/class/net/${name}`);
}

export async function linkDel(name: string): Promise<void> {
  if (await linkExists(name)) await run('ip', ['link', 'del', name]);
}
