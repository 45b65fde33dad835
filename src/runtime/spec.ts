// OCI runtime spec generation: a pure function from what a container asks for
// (the image's config merged with the create request) to config.json, with
// docker's defaults (capabilities, masked and read-only paths, mounts,
// namespaces, rlimits, seccomp). No file system or process access happens here.
import { seccompFilter, type SeccompOption } from './seccomp/option.js';
import type { OciSeccomp, Platform } from './seccomp/build.js';

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

export interface OciUser {
  uid: number;
  gid: number;
  additionalGids?: number[];
  umask?: number;
}

export interface OciProcess {
  terminal: boolean;
  user: OciUser;
  args: string[];
  env: string[];
  cwd: string;
  capabilities: { bounding: string[]; effective: string[]; permitted: string[] };
  rlimits: { type: string; hard: number; soft: number }[];
  noNewPrivileges: boolean;
  oomScoreAdj?: number;
  consoleSize?: { height: number; width: number };
}

export interface OciSpec {
  ociVersion: string;
  process: OciProcess;
  root: { path: string; readonly: boolean };
  hostname: string;
  mounts: OciMount[];
  linux: {
    namespaces: { type: string; path?: string }[];
    devices?: OciDevice[];
    resources: {
      devices: { allow: boolean; access: string; type?: string; major?: number; minor?: number }[];
      memory?: { limit?: number; swap?: number; reservation?: number; swappiness?: number };
      cpu?: { quota?: number; period?: number; shares?: number; cpus?: string; mems?: string };
      pids?: { limit: number };
    };
    cgroupsPath: string;
    maskedPaths: string[];
    readonlyPaths: string[];
    seccomp?: OciSeccomp;
    sysctl?: Record<string, string>;
  };
}

/** A device node made in the container (--device, and every host device with --privileged). */
export interface OciDevice {
  path: string;
  type: 'c' | 'b';
  major: number;
  minor: number;
  fileMode: number;
  uid: number;
  gid: number;
  /** the cgroup permissions (rwm) it is allowed with */
  access: string;
}

export interface BindMount {
  source: string;
  destination: string;
  readonly: boolean;
}

export interface TmpfsMount {
  destination: string;
  /** docker's --tmpfs options, e.g. "rw,size=64m" */
  options: string;
}

export interface SpecOptions {
  id: string;
  /** absolute path of the mounted rootfs */
  rootfs: string;
  args: string[];
  env: string[];
  cwd: string;
  user: OciUser;
  hostname: string;
  terminal: boolean;
  /** 'host' shares the host's network namespace; otherwise the pinned netns path */
  network: { mode: 'host' } | { mode: 'netns'; path: string };
  readonlyRootfs?: boolean;
  /** bytes */
  memory?: number;
  /** bytes of memory+swap; docker's default is twice --memory */
  memorySwap?: number;
  /** nano CPUs as docker counts them (--cpus 0.5 = 5e8) */
  nanoCpus?: number;
  cpuShares?: number;
  pidsLimit?: number;
  tmpfs?: TmpfsMount[];
  binds?: BindMount[];
  /** host path of an init binary (tini) to run as pid 1 (--init) */
  init?: string;
  /** files berth keeps per container: /etc/hosts, /etc/hostname, /etc/resolv.conf */
  etcFiles?: { hosts?: string; hostname?: string; resolvConf?: string };
  /** extra capabilities (--cap-add) and dropped ones (--cap-drop) */
  capAdd?: string[];
  capDrop?: string[];
  /** --security-opt seccomp=...: the default profile when absent (seccompOption reads SecurityOpt) */
  seccomp?: SeccompOption;
  /** the host's architecture and kernel, for the profile's conditional rules; this host when absent */
  platform?: Platform;
  /** --security-opt no-new-privileges: off unless asked for, as docker (run and both builders) */
  noNewPrivileges?: boolean;
  /** --ulimit, as OCI rlimits */
  ulimits?: { type: string; hard: number; soft: number }[];
  /** --privileged: every capability, no seccomp, no masked or read-only paths, /sys and cgroups writable, all devices allowed */
  privileged?: boolean;
  /** what --privileged grants: every capability the daemon itself holds (a capability outside its bounding set cannot be given) */
  privilegedCaps?: string[];
  /** --device (resolved on the host), or the host's devices with --privileged */
  devices?: OciDevice[];
  /** --sysctl (validated at create: only namespaced ones) */
  sysctls?: Record<string, string>;
  /** --shm-size in bytes; docker's default is 64 MiB */
  shmSize?: number;
  /** --pid/--ipc/--uts host share the host's namespace; --ipc none has no /dev/shm; --cgroupns private */
  pidHost?: boolean;
  ipcMode?: 'private' | 'host' | 'none';
  utsHost?: boolean;
  cgroupnsPrivate?: boolean;
  oomScoreAdj?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  /** bytes, --memory-reservation */
  memoryReservation?: number;
  memorySwappiness?: number;
  /** the API's MaskedPaths / ReadonlyPaths when given (they replace docker's defaults) */
  maskedPaths?: string[];
  readonlyPaths?: string[];
}

/** moby's oci/caps/defaults.go */
export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

/** moby's oci/defaults.go */
export const MASKED_PATHS = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];
export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export const INIT_PATH = '/sbin/docker-init';
export const CPU_PERIOD = 100_000;

/** Every capability (moby's caps.GetAllCapabilities), in the kernel's bit order: what --privileged gives. */
export const ALL_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK',
  'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE',
  'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

function defaultMounts(shmSize = 64 << 20): OciMount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', shmSize % 1024 === 0 ? `size=${shmSize / 1024}k` : `size=${shmSize}`] },
  ];
}

/** docker --tmpfs defaults: noexec,nosuid,nodev unless the options say otherwise. */
function tmpfsOptions(opts: string): string[] {
  const given = opts.split(',').map((s) => s.trim()).filter(Boolean);
  const out = ['nosuid', 'nodev', 'noexec'];
  for (const o of given) {
    if (o === 'exec') out.splice(out.indexOf('noexec'), 1);
    else if (o === 'suid') out.splice(out.indexOf('nosuid'), 1);
    else if (o === 'dev') out.splice(out.indexOf('nodev'), 1);
    else if (!out.includes(o)) out.push(o);
  }
  return out;
}

function capabilities(add: string[] = [], drop: string[] = []): string[] {
  const norm = (c: string) => (c.toUpperCase().startsWith('CAP_') ? c.toUpperCase() : `CAP_${c.toUpperCase()}`);
  const dropAll = drop.some((c) => c.toUpperCase() === 'ALL');
  let caps = dropAll ? [] : DEFAULT_CAPABILITIES.filter((c) => !drop.map(norm).includes(c));
  for (const c of add.map(norm)) if (!caps.includes(c)) caps.push(c);
  caps = caps.filter((c) => c !== 'CAP_ALL');
  return caps;
}

export function generateSpec(o: SpecOptions): OciSpec {
  const caps = o.privileged ? o.privilegedCaps ?? ALL_CAPABILITIES : capabilities(o.capAdd, o.capDrop);
  const seccomp = seccompFilter(o.seccomp ?? { mode: o.privileged ? 'unconfined' : 'default' }, caps, o.platform);
  const mounts = defaultMounts(o.shmSize);
  if (o.privileged) {
    // as moby's WithPrivileged... : /sys and the cgroup mount read-write
    for (const m of mounts) if (m.destination === '/sys' || m.destination === '/sys/fs/cgroup') m.options = m.options.filter((x) => x !== 'ro');
  }
  if (o.ipcMode === 'host') {
    const i = mounts.findIndex((m) => m.destination === '/dev/shm');
    mounts[i] = { destination: '/dev/shm', type: 'bind', source: '/dev/shm', options: ['rbind', 'rprivate', 'rw'] };
  } else if (o.ipcMode === 'none') mounts.splice(mounts.findIndex((m) => m.destination === '/dev/shm'), 1);
  const etc = o.etcFiles ?? {};
  const etcBind = (dest: string, src: string | undefined) => {
    if (src) mounts.push({ destination: dest, type: 'bind', source: src, options: ['rbind', 'rprivate', o.readonlyRootfs ? 'ro' : 'rw'] });
  };
  etcBind('/etc/resolv.conf', etc.resolvConf);
  etcBind('/etc/hostname', etc.hostname);
  etcBind('/etc/hosts', etc.hosts);
  for (const t of o.tmpfs ?? []) mounts.push({ destination: t.destination, type: 'tmpfs', source: 'tmpfs', options: tmpfsOptions(t.options) });
  for (const b of o.binds ?? []) mounts.push({ destination: b.destination, type: 'bind', source: b.source, options: ['rbind', 'rprivate', b.readonly ? 'ro' : 'rw'] });
  let args = o.args;
  if (o.init) {
    mounts.push({ destination: INIT_PATH, type: 'bind', source: o.init, options: ['bind', 'ro'] });
    args = [INIT_PATH, '--', ...args];
  }
  // A later mount on the same destination replaces an earlier default (docker lets -v /dev/shm win).
  const byDest = new Map<string, OciMount>();
  for (const m of mounts) {
    byDest.delete(m.destination);
    byDest.set(m.destination, m);
  }
  const namespaces: { type: string; path?: string }[] = [];
  if (!o.pidHost) namespaces.push({ type: 'pid' });
  if (o.ipcMode !== 'host') namespaces.push({ type: 'ipc' });
  if (!o.utsHost) namespaces.push({ type: 'uts' });
  namespaces.push({ type: 'mount' });
  if (o.network.mode === 'netns') namespaces.push({ type: 'network', path: o.network.path });
  if (o.cgroupnsPrivate) namespaces.push({ type: 'cgroup' });
  const devices = o.devices ?? [];
  const resources: OciSpec['linux']['resources'] = {
    devices: o.privileged
      ? [{ allow: true, access: 'rwm' }]
      : [{ allow: false, access: 'rwm' }, ...defaultDevices(), ...devices.map((d) => ({ allow: true, type: d.type, major: d.major, minor: d.minor, access: d.access }))],
  };
  if (o.memory) resources.memory = { limit: o.memory, swap: o.memorySwap ?? o.memory * 2 };
  if (o.memoryReservation) resources.memory = { ...(resources.memory ?? {}), reservation: o.memoryReservation };
  if (o.memorySwappiness !== undefined) resources.memory = { ...(resources.memory ?? {}), swappiness: o.memorySwappiness };
  if (o.nanoCpus) resources.cpu = { quota: Math.round((o.nanoCpus * CPU_PERIOD) / 1e9), period: CPU_PERIOD };
  if (o.cpuShares) resources.cpu = { ...(resources.cpu ?? {}), shares: o.cpuShares };
  if (o.cpusetCpus) resources.cpu = { ...(resources.cpu ?? {}), cpus: o.cpusetCpus };
  if (o.cpusetMems) resources.cpu = { ...(resources.cpu ?? {}), mems: o.cpusetMems };
  if (o.pidsLimit !== undefined && o.pidsLimit > 0) resources.pids = { limit: o.pidsLimit };
  return {
    ociVersion: '1.0.2-dev',
    process: {
      terminal: o.terminal,
      user: o.user,
      args,
      env: o.env,
      cwd: o.cwd || '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      // No rlimits of its own: like docker, the container inherits the daemon's (raising them needs CAP_SYS_RESOURCE).
      rlimits: o.ulimits ?? [],
      noNewPrivileges: !!o.noNewPrivileges,
      ...(o.oomScoreAdj ? { oomScoreAdj: o.oomScoreAdj } : {}),
    },
    root: { path: o.rootfs, readonly: !!o.readonlyRootfs },
    // runc refuses a hostname without a UTS namespace of the container's own
    hostname: o.utsHost ? '' : o.hostname,
    mounts: [...byDest.values()],
    linux: {
      namespaces,
      ...(devices.length ? { devices } : {}),
      resources,
      cgroupsPath: `/berth/${o.id}`,
      maskedPaths: o.privileged ? [] : o.maskedPaths ?? MASKED_PATHS,
      readonlyPaths: o.privileged ? [] : o.readonlyPaths ?? READONLY_PATHS,
      ...(seccomp ? { seccomp } : {}),
      ...(o.sysctls && Object.keys(o.sysctls).length ? { sysctl: o.sysctls } : {}),
    },
  };
}

/** The device cgroup rules of moby's default spec (null, zero, full, random, urandom, tty, ptmx, pts). */
function defaultDevices(): OciSpec['linux']['resources']['devices'] {
  const c = (major: number, minor: number) => ({ allow: true, type: 'c', major, minor, access: 'rwm' });
  return [
    { allow: true, type: 'c', access: 'm' },
    { allow: true, type: 'b', access: 'm' },
    c(1, 3), c(1, 5), c(1, 7), c(1, 8), c(1, 9), c(5, 0), c(5, 1), c(5, 2),
    { allow: true, type: 'c', major: 136, access: 'rwm' },
  ];
}
