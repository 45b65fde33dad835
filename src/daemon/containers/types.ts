// A container as berthd keeps it: docker's Config and HostConfig (the subset
// berth acts on, validated at the API boundary) plus state.

export interface ContainerConfig {
  Hostname: string;
  Domainname: string;
  User: string;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  ExposedPorts?: Record<string, object>;
  Tty: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  Env: string[] | null;
  Cmd: string[] | null;
  Image: string;
  Volumes: Record<string, object> | null;
  WorkingDir: string;
  Entrypoint: string[] | null;
  OnBuild: null;
  Labels: Record<string, string>;
  StopSignal?: string;
  StopTimeout?: number;
}

export interface RestartPolicy {
  Name: '' | 'no' | 'always' | 'on-failure' | 'unless-stopped';
  MaximumRetryCount: number;
}

export interface PortBinding {
  HostIp: string;
  HostPort: string;
}

export interface HostConfig {
  Binds: string[] | null;
  NetworkMode: string;
  PortBindings: Record<string, PortBinding[] | null>;
  RestartPolicy: RestartPolicy;
  AutoRemove: boolean;
  Memory: number;
  MemorySwap: number;
  NanoCpus: number;
  CpuShares: number;
  CpuQuota: number;
  CpuPeriod: number;
  PidsLimit: number | null;
  ReadonlyRootfs: boolean;
  Tmpfs: Record<string, string> | null;
  Init: boolean | null;
  LogConfig: { Type: string; Config: Record<string, string> };
  CapAdd: string[] | null;
  CapDrop: string[] | null;
  ConsoleSize: [number, number];
  SecurityOpt: string[] | null;
  Ulimits: { Name: string; Soft: number; Hard: number }[] | null;
  // Added with the create body's validation (issue 11): records made before them lack them, so
  // readers treat them as absent (see setup.ts).
  Privileged?: boolean;
  Devices?: DeviceMapping[] | null;
  ExtraHosts?: string[] | null;
  Dns?: string[] | null;
  DnsSearch?: string[] | null;
  DnsOptions?: string[] | null;
  Sysctls?: Record<string, string> | null;
  ShmSize?: number;
  PidMode?: string;
  IpcMode?: string;
  UTSMode?: string;
  CgroupnsMode?: string;
  GroupAdd?: string[] | null;
  OomScoreAdj?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
  MemoryReservation?: number;
  MemorySwappiness?: number | null;
  MaskedPaths?: string[] | null;
  ReadonlyPaths?: string[] | null;
  Runtime?: string;
}

export interface DeviceMapping {
  PathOnHost: string;
  PathInContainer: string;
  CgroupPermissions: string;
}

export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface ContainerState {
  Status: ContainerStatus;
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
}

export interface ContainerRecord {
  Id: string;
  /** without the leading "/" */
  Name: string;
  Created: string;
  /** the image ID (sha256:...) */
  Image: string;
  Path: string;
  Args: string[];
  Config: ContainerConfig;
  HostConfig: HostConfig;
  State: ContainerState;
  RestartCount: number;
  HasBeenStartedBefore: boolean;
  HasBeenManuallyStopped: boolean;
}

export interface CreateRequest {
  name?: string;
  /** ?platform=os/arch[/variant]: the image must be of it */
  platform?: string;
  /** what the field-by-field check of the body (validate.ts) warned about */
  warnings?: string[];
  config: Partial<ContainerConfig> & { Image: string };
  hostConfig: Partial<HostConfig>;
}

export const ZERO_TIME = '0001-01-01T00:00:00Z';
