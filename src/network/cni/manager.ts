// CniNetworkManager: containers on a default bridge through the CNI plugins.
//
// attach (bridge): persist intent → a netns pinned at /run/netns/<prefix><id12>
// with lo up (host.ts does what `ip netns add` and the loopback plugin did, in
// process; pinned, so DEL always finds eth0 and tears the masquerade down) →
// chain ADD bridge[/portmap] (eth0) → persist the final result (the
// per-network iptables rules — forwarding, masquerade, the 127/8 guard — are
// ensured once, before the first ADD; see host.ts).
// detach: chain DEL in reverse with the persisted result → unpin the netns
// (its lo goes with it) → forget. Operations on one container are serialized; the
// plugins lock themselves, so different containers proceed in parallel.
import { existsSync, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { randomInt } from 'node:crypto';
import { conflict, internal, invalidArgument, messageOf, wrap } from '../../common/errors.js';
import { type Logger, silentLogger } from '../../common/log.js';
import type { AttachHooks, AttachOptions, BridgeNetworkInfo, NetworkAttachment, NetworkManager, PortMapping } from '../index.js';
import { cidrsOverlap, gatewayOf, parseCidr, pickFreeSubnet, subnetConflict } from '../subnet.js';
import { type ConfList, type JsonObject, bridgeConfList, confListForPorts, pluginChainNames, portMappingsRuntimeConfig } from './conflist.js';
import { bridgeOwner, ensureBridge, ensureNetworkRules, hostIPv4InUse, linkDel, linkExists, netnsAdd, netnsDel, netnsExists, netnsPath, removeNetworkRules, uplinkMtu } from './host.js';
import { normalizePort, resolveHostPorts } from './hostports.js';
import { bindingsOverlap, isIPv4 } from '../ports.js';
import { PluginRunner } from './invoke.js';
import { containerIdsInRules, deleteRulesAndChains, iptablesSave, masqueradedAddress, rulesForContainer } from './iptables.js';
import { parseCniResult, sandboxAddress } from './result.js';
import { type ContainerNetState, StateStore, validContainerId } from './state.js';
import { KeyedQueue, Mutex } from './serial.js';

export interface CniNetworkManagerOptions {
  /** persisted attachments and the network record, e.g. <data-root>/network */
  stateDir: string;
  /** host-local reservations (tmpfs, gone on reboot), e.g. <exec-root>/cni */
  runDir: string;
  pluginDir?: string;
  /** CNI network name; rule comments and IPAM directories carry it (default "berth", or the bridge's name when one is given) */
  networkName?: string;
  bridge?: string;
  /** default: the first of 10.88.0.0/16, 10.89.0.0/16, … that the host does not use; chosen once, then persisted */
  subnet?: string;
  /** default: the MTU of the uplink (the default route's interface) */
  mtu?: number;
  /** namespace names are <prefix><first 12 chars of the id> */
  netnsPrefix?: string;
  logger?: Logger;
  /** called after every attach/detach with per-step milliseconds */
  onTiming?: (t: OperationTiming) => void;
}

export interface OperationTiming {
  op: 'attach' | 'detach';
  containerId: string;
  mode: string;
  ports: number;
  totalMs: number;
  steps: Record<string, number>;
}

export class CniNetworkManager implements NetworkManager {
  private readonly store: StateStore;
  private readonly runner: PluginRunner;
  private readonly log: Logger;
  private readonly name: string;
  private readonly bridge: string;
  private readonly prefix: string;
  private readonly ipamDir: string;
  private readonly cache = new Map<string, ContainerNetState>();
  private readonly perContainer = new KeyedQueue();
  private readonly portLock = new Mutex();
  private readonly pendingPorts = new Map<string, PortMapping[]>();
  /** detaches in flight: a daemon may detach without awaiting (off the critical path) */
  private readonly detaching = new Map<string, Promise<void>>();
  private network?: { info: BridgeNetworkInfo; confList: ConfList };
  private networkInit?: Promise<void>;
  private rulesDone = false;
  private storeReady?: Promise<void>;

  constructor(private readonly opts: CniNetworkManagerOptions) {
    this.store = new StateStore(opts.stateDir);
    this.runner = new PluginRunner(opts.pluginDir ?? '/usr/lib/cni');
    this.log = opts.logger ?? silentLogger;
    this.bridge = opts.bridge ?? 'berth0';
    // a daemon given its own bridge gets its own network name too: rule comments and sweeps key on it
    this.name = opts.networkName ?? (this.bridge === 'berth0' ? 'berth' : this.bridge);
    this.prefix = opts.netnsPrefix ?? 'berth-';
    this.ipamDir = path.join(opts.runDir, 'ipam');
  }

  /** The default network as resolved by init (subnet, gateway, MTU). */
  info(): BridgeNetworkInfo | undefined {
    return this.network?.info;
  }

  get(containerId: string): NetworkAttachment | undefined {
    const s = this.cache.get(containerId);
    return s?.phase === 'attached' ? s.attachment : undefined;
  }

  async init(live: ReadonlySet<string>): Promise<void> {
    await this.ensureNetwork();
    const states = await this.store.list((file, err) => this.log.warn('network: unreadable state file', { file, err: messageOf(err) }));
    for (const s of states) {
      if (live.has(s.containerId)) {
        this.cache.set(s.containerId, s);
        continue;
      }
      this.log.info('network: removing leftover attachment', { container: s.containerId });
      await this.perContainer.run(s.containerId, () => this.undo(s)).catch((err) => this.log.warn('network: leftover cleanup failed', { container: s.containerId, err: messageOf(err) }));
    }
    await this.sweepOrphans(live);
    if (states.some((s) => live.has(s.containerId) && s.mode === 'bridge')) await this.ensureNetworkRules();
  }

  attach(containerId: string, opts: AttachOptions, hooks: AttachHooks = {}): Promise<NetworkAttachment> {
    if (!validContainerId(containerId)) return Promise.reject(invalidArgument(`network attach: invalid container id ${JSON.stringify(containerId)}`));
    if (!['bridge', 'host', 'none'].includes(opts.mode)) return Promise.reject(invalidArgument(`network mode ${JSON.stringify(opts.mode)} is not supported`));
    return this.perContainer.run(containerId, () => this.doAttach(containerId, opts, hooks));
  }

  detach(containerId: string): Promise<void> {
    if (!validContainerId(containerId)) return Promise.reject(invalidArgument(`network detach: invalid container id ${JSON.stringify(containerId)}`));
    const p = this.perContainer.run(containerId, async () => {
      const s = this.cache.get(containerId) ?? (await this.store.get(containerId));
      if (!s) return;
      const t0 = performance.now();
      const steps: Record<string, number> = {};
      await this.undo(s, steps);
      this.report('detach', s, t0, steps);
    });
    this.detaching.set(containerId, p);
    const forget = () => {
      if (this.detaching.get(containerId) === p) this.detaching.delete(containerId);
    };
    p.then(forget, forget);
    return p;
  }

  /** Wait for every detach in flight (a daemon that detaches without awaiting calls this on shutdown). */
  async drain(): Promise<void> {
    while (this.detaching.size > 0) await Promise.allSettled([...this.detaching.values()]);
  }

  /**
   * Remove the default network's host state: berth's per-bridge rules, the bridge,
   * the IPAM directory and the record. Refused while containers are attached.
   * The shared CNI-* chains stay (other CNI users may rely on them).
   */
  async removeNetwork(): Promise<void> {
    if ([...this.cache.values()].some((s) => s.mode === 'bridge')) throw conflict(`network ${this.name} has attached containers`);
    await removeNetworkRules(this.bridge, this.network?.info.subnet ?? (await this.store.getNetwork(this.name))?.subnet);
    this.rulesDone = false;
    await linkDel(this.bridge);
    await fsp.rm(path.join(this.ipamDir, this.name), { recursive: true, force: true });
    await this.store.removeNetwork(this.name);
    this.network = undefined;
    this.networkInit = undefined;
  }

  /**
   * berthd --cleanup (the daemon stopped): take the default network off the
   * host without making anything first (init would create the bridge).
   * Attachments of containers not in `live` are undone (CNI DEL), then
   * orphans, berth's per-bridge rules, the bridge, the IPAM reservations and
   * the record. Refused, with nothing removed, while a live container is on
   * the bridge or when the bridge belongs to another daemon. Returns what it removed.
   */
  async teardown(live: ReadonlySet<string>): Promise<string[]> {
    const states = await this.store.list((file, err) => this.log.warn('network: unreadable state file', { file, err: messageOf(err) }));
    const kept = states.filter((s) => live.has(s.containerId) && s.mode === 'bridge').map((s) => s.containerId.slice(0, 12));
    if (kept.length) throw conflict(`${kept.length} running container${kept.length === 1 ? ' is' : 's are'} attached to ${this.bridge} (${kept.join(', ')}): the bridge, its rules and their reservations are kept; stop ${kept.length === 1 ? 'it' : 'them'} first`);
    const owner = await bridgeOwner(this.bridge);
    if (owner && owner !== path.resolve(this.opts.stateDir) && existsSync(owner)) throw conflict(`bridge ${this.bridge} belongs to another berth daemon (state in ${owner}): not removed`);
    const removed: string[] = [];
    const rec = await this.store.getNetwork(this.name);
    if (rec) {
      const info: BridgeNetworkInfo = { name: this.name, bridge: this.bridge, subnet: rec.subnet, gateway: gatewayOf(rec.subnet), mtu: this.opts.mtu ?? 1500 };
      this.network = { info, confList: bridgeConfList({ ...info, ipamDataDir: this.ipamDir }) };
    }
    for (const s of states) {
      if (live.has(s.containerId)) continue;
      await this.undo(s);
      removed.push(`${s.mode} attachment of ${s.containerId.slice(0, 12)} (CNI DEL, network namespace)`);
    }
    if (this.network) await this.sweepOrphans(live);
    const rules = [...(await iptablesSave('filter')), ...(await iptablesSave('nat'))].filter((r) => r.comment === `berth network on ${this.bridge}`);
    const hadBridge = await linkExists(this.bridge);
    await this.removeNetwork();
    if (rules.length) removed.push(`${rules.length} iptables rules of ${this.bridge}: ${rules.map((r) => `${r.table} ${r.chain} -> ${r.target ?? '?'}`).join(', ')}`);
    if (hadBridge) removed.push(`bridge ${this.bridge}${rec ? ` (${rec.subnet})` : ''}`);
    if (rec) removed.push(`network record and IPAM reservations of ${this.name}`);
    return removed;
  }

  private ensureNetwork(): Promise<void> {
    this.networkInit ??= this.resolveNetwork().catch((err) => {
      this.networkInit = undefined;
      throw wrap(err, `network ${this.name}`);
    });
    return this.networkInit;
  }

  private async resolveNetwork(): Promise<void> {
    await this.store.init();
    await fsp.mkdir(this.ipamDir, { recursive: true, mode: 0o700 });
    const rec = await this.store.getNetwork(this.name);
    let subnet = rec?.subnet ?? this.opts.subnet;
    if (subnet === undefined) {
      subnet = pickFreeSubnet(await hostIPv4InUse(this.bridge));
    } else if (!rec) {
      const clash = subnetConflict(subnet, await hostIPv4InUse(this.bridge));
      if (clash) throw invalidArgument(`subnet ${subnet} overlaps ${clash}, which the host already uses`);
    } else if (this.opts.subnet && this.opts.subnet !== rec.subnet) {
      this.log.warn('network: keeping the persisted subnet; remove the network to change it', { persisted: rec.subnet, configured: this.opts.subnet });
    }
    if (!rec) await this.store.putNetwork({ version: 1, name: this.name, bridge: this.bridge, subnet });
    const info: BridgeNetworkInfo = { name: this.name, bridge: this.bridge, subnet, gateway: gatewayOf(subnet), mtu: this.opts.mtu ?? (await uplinkMtu()) };
    await ensureBridge(this.bridge, `${info.gateway}/${subnet.split('/')[1]}`, info.mtu, path.resolve(this.opts.stateDir));
    this.network = { info, confList: bridgeConfList({ ...info, ipamDataDir: this.ipamDir }) };
  }

  private async ensureNetworkRules(): Promise<void> {
    if (this.rulesDone) return;
    await this.ensureNetwork();
    await ensureNetworkRules(this.bridge, this.network!.info.subnet);
    this.rulesDone = true;
  }

  private netnsName(id: string): string {
    return `${this.prefix}${id.slice(0, 12)}`;
  }

  private async doAttach(id: string, opts: AttachOptions, hooks: AttachHooks): Promise<NetworkAttachment> {
    await (this.storeReady ??= this.store.init().catch((err: unknown) => {
      this.storeReady = undefined;
      throw err;
    }));
    if (this.cache.has(id) || (await this.store.get(id))) throw conflict(`container ${id} is already attached to a network`);
    const t0 = performance.now();
    const steps: Record<string, number> = {};
    if (opts.mode === 'host') {
      const s: ContainerNetState = { version: 1, containerId: id, mode: 'host', phase: 'attached', runtimeConfig: {}, attachment: { mode: 'host', ports: [] } };
      await this.store.put(s);
      this.cache.set(id, s);
      hooks.netnsReady?.(undefined);
      return s.attachment!;
    }
    if (opts.mode === 'bridge') await this.ensureNetwork(); // `none` needs no bridge: it works even when the bridge is unavailable
    const network = this.network;
    const ports = opts.mode === 'bridge' ? await this.reservePorts(id, opts.ports) : [];
    const netnsName = this.netnsName(id);
    const s: ContainerNetState = {
      version: 1,
      containerId: id,
      mode: opts.mode,
      phase: 'adding',
      netnsName,
      confList: opts.mode === 'bridge' ? confListForPorts(network!.confList, ports.length) : undefined,
      runtimeConfig: opts.mode === 'bridge' ? (portMappingsRuntimeConfig(ports) as unknown as JsonObject) : {},
    };
    if (netnsExists(netnsName)) {
      this.pendingPorts.delete(id);
      throw conflict(`network attach ${id.slice(0, 12)}: network namespace ${netnsName} already exists (another container whose id starts with ${id.slice(0, 12)}?)`);
    }
    try {
      await this.store.put(s);
      this.cache.set(id, s);
      await this.step(steps, 'netns.add', () => netnsAdd(netnsName));
      hooks.netnsReady?.(netnsPath(netnsName));
      const env = { containerId: id, netns: netnsPath(netnsName), ifname: 'eth0' };
      // before the first ADD sets route_localnet on the bridge: the guard must already be there
      if (opts.mode === 'bridge') await this.step(steps, 'rules', () => this.ensureNetworkRules());
      const attachment: NetworkAttachment = { mode: opts.mode, netnsPath: netnsPath(netnsName), ports };
      if (opts.mode === 'bridge') {
        const tChain = performance.now();
        const raw = await this.runner.addList(s.confList!, s.runtimeConfig, env, steps);
        steps['chain.add'] = performance.now() - tChain;
        s.result = raw;
        const addr = sandboxAddress(parseCniResult(raw, 'CNI ADD result'));
        if (!addr) throw internal(`CNI ADD result has no IPv4 address for the container: ${JSON.stringify(raw)}`);
        Object.assign(attachment, { ipAddress: addr.ipAddress, prefixLen: addr.prefixLen, gateway: addr.gateway, macAddress: addr.macAddress });
      }
      s.phase = 'attached';
      s.attachment = attachment;
      await this.step(steps, 'persist', () => this.store.put(s));
      this.report('attach', s, t0, steps);
      return attachment;
    } catch (err) {
      await this.undo(s).catch((e) => this.log.warn('network: cleanup after a failed attach', { container: id, err: messageOf(e) }));
      throw wrap(err, `network attach ${id.slice(0, 12)}`);
    } finally {
      this.pendingPorts.delete(id);
    }
  }

  /** Resolve host ports under one lock, so concurrent attaches never pick the same one. */
  private reservePorts(id: string, requested: readonly PortMapping[]): Promise<PortMapping[]> {
    return this.portLock.run(async () => {
      // a port still held by a container being detached is free as soon as that DEL ends: wait for it
      for (const [cid, p] of [...this.detaching]) {
        const s = this.cache.get(cid);
        if (cid !== id && s && portsOfState(s).some((t) => requested.some((r) => r.hostPort !== 0 && bindingsOverlap(t, normalizePort(r))))) await p.catch(() => {});
      }
      const taken: PortMapping[] = [];
      for (const [cid, s] of this.cache) if (cid !== id) taken.push(...portsOfState(s));
      for (const [cid, p] of this.pendingPorts) if (cid !== id) taken.push(...p);
      const ports = await resolveHostPorts(requested, taken, () => randomInt(0, 2 ** 31 - 1));
      this.pendingPorts.set(id, ports);
      return ports;
    });
  }

  /** Undo whatever of an attachment exists. Throws (keeping the state for a retry) if the chain DEL fails. */
  private async undo(s: ContainerNetState, steps: Record<string, number> = {}): Promise<void> {
    const id = s.containerId;
    const ns = s.netnsName;
    const nsPath = ns && netnsExists(ns) ? netnsPath(ns) : '';
    if (s.mode === 'bridge' && s.confList) {
      const list = s.confList;
      const tChain = performance.now();
      await this.runner.delList(list, s.runtimeConfig, s.result, { containerId: id, netns: nsPath, ifname: 'eth0' }, steps).catch((err) => {
        throw wrap(err, `network detach ${id.slice(0, 12)}: CNI DEL (state kept for a retry)`);
      });
      steps['chain.del'] = performance.now() - tChain;
      if (!nsPath) await this.deleteLeftoverRules(list.name, id);
    }
    if (ns) await this.step(steps, 'netns.del', () => netnsDel(ns));
    await this.store.remove(id);
    this.cache.delete(id);
  }

  /** Without the netns the bridge plugin cannot remove its masquerade rule; remove what carries the id. */
  private async deleteLeftoverRules(network: string, id: string): Promise<void> {
    const rules = rulesForContainer(await iptablesSave('nat'), network, id);
    const chains = pluginChainNames(network, id);
    await deleteRulesAndChains(rules, [
      { table: 'nat', chain: chains.masq },
      { table: 'nat', chain: chains.dnat },
    ]);
  }

  /**
   * Leftovers without a state file (a crash before it was written, or a lost
   * data dir): IPAM reservations and nat rules of this network whose container
   * is not live. DEL them with a result rebuilt from the address, then delete
   * what still carries the id.
   */
  private async sweepOrphans(live: ReadonlySet<string>): Promise<void> {
    const network = this.network!;
    const known = (id: string) => live.has(id) || this.cache.has(id);
    const orphans = new Map<string, string | undefined>();
    const ipamNet = path.join(this.ipamDir, network.info.name);
    for (const f of await fsp.readdir(ipamNet).catch(() => [] as string[])) {
      if (!/^\d+\.\d+\.\d+\.\d+$/.test(f)) continue;
      const owner = (await fsp.readFile(path.join(ipamNet, f), 'utf8').catch(() => '')).split(/\r?\n/)[0]?.trim() ?? '';
      if (owner && validContainerId(owner) && !known(owner)) orphans.set(owner, f);
    }
    const natRules = await iptablesSave('nat');
    // only rules whose container address lies in our subnet: another daemon's network could share the name
    const subnet = parseCidr(network.info.subnet);
    for (const id of containerIdsInRules(natRules, network.info.name)) {
      if (!validContainerId(id) || known(id) || orphans.has(id)) continue;
      const ip = masqueradedAddress(rulesForContainer(natRules, network.info.name, id));
      if (ip && isIPv4(ip) && cidrsOverlap(subnet, parseCidr(ip))) orphans.set(id, ip);
    }
    for (const [id, ip] of orphans) {
      this.log.info('network: removing orphaned CNI state', { container: id, ip });
      const ns = this.netnsName(id);
      const nsPath = netnsExists(ns) ? netnsPath(ns) : '';
      const prefixLen = Number(network.info.subnet.split('/')[1]);
      const result = ip
        ? { cniVersion: network.confList.cniVersion, interfaces: [{ name: 'eth0', sandbox: nsPath || undefined }], ips: [{ interface: 0, address: `${ip}/${prefixLen}`, gateway: network.info.gateway }] }
        : undefined;
      const s: ContainerNetState = { version: 1, containerId: id, mode: 'bridge', phase: 'adding', netnsName: nsPath ? ns : undefined, confList: network.confList, runtimeConfig: { portMappings: [] }, result };
      await this.perContainer.run(id, async () => {
        await this.undo(s).catch((err) => this.log.warn('network: orphan DEL', { container: id, err: messageOf(err) }));
        await this.deleteLeftoverRules(network.info.name, id);
      });
    }
  }

  private async step<T>(steps: Record<string, number>, name: string, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      steps[name] = performance.now() - t0;
    }
  }

  private report(op: 'attach' | 'detach', s: ContainerNetState, t0: number, steps: Record<string, number>): void {
    const t: OperationTiming = { op, containerId: s.containerId, mode: s.mode, ports: portsOfState(s).length, totalMs: performance.now() - t0, steps };
    this.log.debug(`network ${op}`, { container: s.containerId.slice(0, 12), ms: Math.round(t.totalMs), ...Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, Math.round(v)])) });
    this.opts.onTiming?.(t);
  }
}

function portsOfState(s: ContainerNetState): PortMapping[] {
  if (s.attachment) return s.attachment.ports;
  const pm = s.runtimeConfig.portMappings;
  if (!Array.isArray(pm)) return [];
  return pm.map((m: { hostIP?: string; hostPort: number; containerPort: number; protocol: 'tcp' | 'udp' }) => ({
    hostIp: m.hostIP ?? '',
    hostPort: m.hostPort,
    containerPort: m.containerPort,
    protocol: m.protocol,
  }));
}
