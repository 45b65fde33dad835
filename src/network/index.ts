// The network subsystem: container networking through the CNI plugins
// (bridge, host-local, portmap; lo is brought up in-process), a default bridge
// network, published ports, and the /etc files a container needs.
// This file is the interface the daemon wires; implementations live beside it.

export interface PortMapping {
  /** host address to bind, '' or '0.0.0.0' for all */
  hostIp: string;
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp';
}

export type NetworkMode = 'bridge' | 'host' | 'none';

export interface NetworkAttachment {
  mode: NetworkMode;
  /** the network namespace for the OCI spec (a pinned path); undefined for host mode */
  netnsPath?: string;
  /** eth0's address on the bridge, e.g. "10.88.0.2" (bridge mode only) */
  ipAddress?: string;
  prefixLen?: number;
  gateway?: string;
  macAddress?: string;
  ports: PortMapping[];
}

export interface AttachOptions {
  mode: NetworkMode;
  ports: PortMapping[];
}

export interface AttachHooks {
  netnsReady?(netnsPath: string | undefined): void;
}

/** The default bridge network as resolved by init. */
export interface BridgeNetworkInfo {
  /** CNI network name (rule comments, IPAM directory) */
  name: string;
  bridge: string;
  subnet: string;
  gateway: string;
  mtu: number;
}

export interface NetworkManager {
  /** Make sure the default bridge network exists; sweep leftovers of containers that no longer exist. */
  init(liveContainerIds: ReadonlySet<string>): Promise<void>;
  /**
   * Create the container's network namespace and connect it (CNI ADD); the result is persisted.
   * `hooks.netnsReady` is called as soon as the namespace exists (with its path; undefined for
   * host mode), before the plugins run, so a caller may create the container meanwhile.
   */
  attach(containerId: string, opts: AttachOptions, hooks?: AttachHooks): Promise<NetworkAttachment>;
  /** Undo attach (CNI DEL, netns removal). Idempotent; works after a daemon restart. */
  detach(containerId: string): Promise<void>;
  /** The persisted attachment of a container, if any (known after init). */
  get(containerId: string): NetworkAttachment | undefined;
  // Added with the CNI manager; optional so that managers without a bridge
  // still satisfy the interface.
  /** The default bridge network (subnet, gateway, MTU), once init has run. */
  info?(): BridgeNetworkInfo | undefined;
  /** Wait for detaches in flight: a daemon may detach without awaiting, and drains on shutdown. */
  drain?(): Promise<void>;
}

// The implementation and the pure helpers the daemon needs (runtime spec's
// netns path comes from the attachment; the /etc files are written by the
// daemon into the container's directory and bind-mounted).
export { CniNetworkManager } from './cni/manager.js';
export type { CniNetworkManagerOptions, OperationTiming } from './cni/manager.js';
export { parsePortSpec, parsePortSpecs, formatPortMapping, portBindingsToMappings, mappingsToNetworkSettingsPorts } from './ports.js';
export type { PortBindings } from './ports.js';
export {
  hostsFile,
  hostModeHostsFile,
  hostnameFile,
  resolvConfFile,
  hostModeResolvConf,
  hostResolvConfPath,
  parseExtraHost,
} from './etcfiles.js';
export type { ExtraHost, HostsFileOptions, ResolvConfOptions } from './etcfiles.js';

/** host and none only (no bridge): the daemon's network manager until the CNI one is wired. */
