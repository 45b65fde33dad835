// The network subsystem: container networking through the CNI plugins
// (bridge, host-local, portmap, firewall, loopback, tuning), a default bridge
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

export interface NetworkManager {
  /** Make sure the default bridge network exists; sweep leftovers of containers that no longer exist. */
  init(liveContainerIds: ReadonlySet<string>): Promise<void>;
  /** Create the container's network namespace and connect it (CNI ADD); the result is persisted. */
  attach(containerId: string, opts: AttachOptions): Promise<NetworkAttachment>;
  /** Undo attach (CNI DEL, netns removal). Idempotent; works after a daemon restart. */
  detach(containerId: string): Promise<void>;
  /** The persisted attachment of a container, if any. */
  get(containerId: string): NetworkAttachment | undefined;
}

/** host and none only (no bridge): the daemon's network manager until the CNI one is wired. */
export { LocalNetworkManager } from './local.js';
