// /info and /version: what the daemon reports about itself and the machine,
// in the Engine API's shapes.
import * as os from 'node:os';
import { existsSync, readFileSync } from 'node:fs';
import type { Daemon } from './daemon.js';

export const ENGINE_VERSION = '0.1.0';
export const API_VERSION = '1.45';
export const MIN_API_VERSION = '1.24';
export const GIT_COMMIT = process.env['BERTH_GIT_COMMIT'] ?? 'unknown';

export interface VersionInfo {
  Platform: { Name: string };
  Components: { Name: string; Version: string; Details?: Record<string, string> }[];
  Version: string;
  ApiVersion: string;
  MinAPIVersion: string;
  GitCommit: string;
  GoVersion: string;
  Os: string;
  Arch: string;
  KernelVersion: string;
  BuildTime: string;
}

export function versionInfo(): VersionInfo {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  return {
    Platform: { Name: 'berth' },
    Components: [
      {
        Name: 'Engine',
        Version: ENGINE_VERSION,
        Details: { ApiVersion: API_VERSION, MinAPIVersion: MIN_API_VERSION, GitCommit: GIT_COMMIT, GoVersion: `node ${process.version}`, Os: 'linux', Arch: arch, KernelVersion: os.release() },
      },
    ],
    Version: ENGINE_VERSION,
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: GIT_COMMIT,
    GoVersion: `node ${process.version}`,
    Os: 'linux',
    Arch: arch,
    KernelVersion: os.release(),
    BuildTime: '',
  };
}

function cgroupVersion(): '1' | '2' {
  return existsSync('/sys/fs/cgroup/cgroup.controllers') ? '2' : '1';
}

function operatingSystem(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'));
    if (m) return m[1]!;
  } catch {
    /* fall through */
  }
  return os.type();
}

export type SystemInfo = Record<string, unknown>;

export async function systemInfo(d: Daemon): Promise<SystemInfo> {
  const cg = cgroupVersion();
  const all = d.containers.list();
  const running = all.filter((c) => c.State.Running && !c.State.Paused).length;
  const paused = all.filter((c) => c.State.Paused).length;
  return {
    ID: d.id,
    Containers: all.length,
    ContainersRunning: running,
    ContainersPaused: paused,
    ContainersStopped: all.length - running - paused,
    Images: d.images.meta.count(),
    Driver: 'overlay2',
    DriverStatus: [
      ['Backing Filesystem', 'extfs'],
      ['Supports d_type', 'true'],
      ['Using metacopy', 'false'],
      ['Native Overlay Diff', 'true'],
      ['userxattr', 'false'],
    ],
    Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'none'], Authorization: null, Log: ['k8s-file'] },
    MemoryLimit: true,
    SwapLimit: cg === '2',
    CpuCfsPeriod: true,
    CpuCfsQuota: true,
    CPUShares: true,
    CPUSet: true,
    PidsLimit: true,
    IPv4Forwarding: true,
    BridgeNfIptables: true,
    BridgeNfIp6tables: true,
    Debug: d.config.logLevel === 'debug',
    NFd: 0,
    OomKillDisable: cg === '1',
    NGoroutines: 0,
    SystemTime: new Date().toISOString(),
    LoggingDriver: 'k8s-file',
    CgroupDriver: 'cgroupfs',
    CgroupVersion: cg,
    NEventsListener: 0,
    KernelVersion: os.release(),
    OperatingSystem: operatingSystem(),
    OSVersion: '',
    OSType: 'linux',
    Architecture: os.machine(),
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: {
      AllowNondistributableArtifactsCIDRs: null,
      AllowNondistributableArtifactsHostnames: null,
      InsecureRegistryCIDRs: ['127.0.0.0/8', ...d.config.insecureRegistries.filter((r) => r.includes('/'))],
      IndexConfigs: {
        'docker.io': { Name: 'docker.io', Mirrors: d.config.registryMirrors, Secure: true, Official: true },
      },
      Mirrors: d.config.registryMirrors,
    },
    NCPU: os.cpus().length,
    MemTotal: os.totalmem(),
    GenericResources: null,
    DockerRootDir: d.paths.dataRoot,
    HttpProxy: process.env['HTTP_PROXY'] ?? '',
    HttpsProxy: process.env['HTTPS_PROXY'] ?? '',
    NoProxy: process.env['NO_PROXY'] ?? '',
    Name: os.hostname(),
    Labels: [],
    ExperimentalBuild: false,
    ServerVersion: d.version().Version,
    Runtimes: { runc: { path: '/usr/sbin/runc' }, crun: { path: '/usr/bin/crun' } },
    DefaultRuntime: d.config.defaultRuntime ?? 'runc',
    Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
    LiveRestoreEnabled: true,
    Isolation: '',
    InitBinary: 'docker-init',
    ContainerdCommit: { ID: '', Expected: '' },
    RuncCommit: { ID: '', Expected: '' },
    InitCommit: { ID: '', Expected: '' },
    SecurityOptions: ['name=seccomp,profile=builtin', `name=cgroupns`].slice(0, cg === '2' ? 2 : 1),
    Warnings: [],
  };
}
