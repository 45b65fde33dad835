// What the builder needs from networking (the daemon implements it with its
// CNI network manager): one session per build, which hands each RUN the
// namespace of its network mode and the /etc/hosts and resolv.conf to show
// it. A session attaches lazily (a build without RUN costs nothing), shares
// one namespace per mode between the build's steps, and close() undoes all of
// it, whether the build succeeded or not.
import type { ExecNetwork } from '../runtime/index.js';

/** What RUN steps of one build can ask for; `default` in a Dockerfile means the build's mode. */
export type BuildNetworkMode = 'bridge' | 'host' | 'none';

export interface RunNetwork {
  network: ExecNetwork;
  /** /etc/hosts for a step whose hostname is `hostname` */
  hosts(hostname: string): string;
  resolvConf: string;
}

export interface BuildNetworkSession {
  get(mode: BuildNetworkMode): Promise<RunNetwork>;
  /** Detach everything get() attached. Idempotent. */
  close(): Promise<void>;
}

export interface BuildNetworks {
  open(): BuildNetworkSession;
}

/** The API's `networkmode` (docker build --network): docker's names for the modes this builder has. */
export function buildNetworkMode(v: string | undefined): BuildNetworkMode {
  if (v === undefined || v === '' || v === 'default' || v === 'bridge') return 'bridge';
  if (v === 'host' || v === 'none') return v;
  throw new Error(`network mode "${v}" is not supported by this builder (default, bridge, host or none)`);
}
