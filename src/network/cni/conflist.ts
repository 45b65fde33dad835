// The CNI network configuration berth hands to the plugins, and the exact
// stdin each plugin gets (CNI spec 1.0.0, "Execution of Network
// Configuration Lists"): the plugin's own object plus the list's name and
// cniVersion, the previous result, and only the runtimeConfig keys the plugin
// declared in its capabilities. Pure: tested without root.
import { createHash } from 'node:crypto';
import type { PortMapping } from '../index.js';

export const CNI_VERSION = '1.0.0';

export type JsonObject = { [k: string]: unknown };

export interface PluginConf extends JsonObject {
  type: string;
  capabilities?: Record<string, boolean>;
}

export interface ConfList {
  cniVersion: string;
  name: string;
  plugins: PluginConf[];
}

export interface BridgeNetworkOptions {
  /** CNI network name: iptables comments and host-local's directory carry it */
  name: string;
  bridge: string;
  /** IPv4 CIDR, e.g. 10.88.0.0/16 */
  subnet: string;
  gateway: string;
  mtu: number;
  /** host-local's dataDir (reservations live in <dataDir>/<name>/) */
  ipamDataDir: string;
}

/**
 * bridge (host-local IPAM, gateway, hairpin) → portmap (snat). No ipMasq and
 * no firewall plugin: their per-container iptables rules are replaced by
 * berth's per-bridge ones (host.ts networkRules), set up once. No tuning: with
 * no options it changes nothing and costs an exec per ADD and DEL.
 */
export function bridgeConfList(o: BridgeNetworkOptions): ConfList {
  return {
    cniVersion: CNI_VERSION,
    name: o.name,
    plugins: [
      {
        type: 'bridge',
        bridge: o.bridge,
        isGateway: true,
        ipMasq: false,
        hairpinMode: true,
        mtu: o.mtu,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: o.subnet, gateway: o.gateway }]],
          routes: [{ dst: '0.0.0.0/0' }],
          dataDir: o.ipamDataDir,
        },
      },
      // snat: 127.0.0.1:hostPort and hairpin need it (route_localnet + SETMARK), see notes/cni.md §5
      { type: 'portmap', capabilities: { portMappings: true }, snat: true },
    ],
  };
}

/** The list a container is attached with: without portmap when it publishes no port (nothing for portmap to do but cost an exec on ADD and DEL). */
export function confListForPorts(list: ConfList, ports: number): ConfList {
  return ports > 0 ? list : { ...list, plugins: list.plugins.filter((p) => p.type !== 'portmap') };
}

/** portmap's runtimeConfig entry; hostIP only when the mapping binds one address. */
export interface CniPortMapping {
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp';
  hostIP?: string;
}

export function portMappingsRuntimeConfig(ports: readonly PortMapping[]): { portMappings: CniPortMapping[] } {
  return {
    portMappings: ports.map((p) => {
      const m: CniPortMapping = { hostPort: p.hostPort, containerPort: p.containerPort, protocol: p.protocol };
      if (p.hostIp && p.hostIp !== '0.0.0.0') m.hostIP = p.hostIp;
      return m;
    }),
  };
}

/** The stdin for one plugin of a list. */
export function pluginInput(list: ConfList, plugin: PluginConf, prevResult: unknown, runtimeConfig: JsonObject): JsonObject & { type: string } {
  const input: JsonObject & { type: string } = { ...plugin, name: list.name, cniVersion: list.cniVersion };
  if (prevResult !== undefined && prevResult !== null) input.prevResult = prevResult;
  const caps = plugin.capabilities ?? {};
  const rc: JsonObject = {};
  for (const [k, v] of Object.entries(runtimeConfig)) if (caps[k]) rc[k] = v;
  if (Object.keys(rc).length > 0) input.runtimeConfig = rc;
  return input;
}

/** The chain names the plugins derive from network name + container id (libcni utils.FormatChainName). */
export function pluginChainNames(network: string, containerId: string): { masq: string; dnat: string } {
  const h = createHash('sha512').update(network + containerId).digest('hex');
  return { masq: `CNI-${h.slice(0, 24)}`, dnat: `CNI-DN-${h.slice(0, 21)}` };
}

/** The comment the bridge and portmap plugins put on a container's nat rules. */
export function pluginComment(network: string, containerId: string): string {
  return `name: "${network}" id: "${containerId}"`;
}
