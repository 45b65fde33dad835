// What a container is made of before it runs: the image's config merged with
// the create request (docker's rules), the /etc files berth provides, and the
// options of the OCI spec.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { invalidArgument } from '../../common/errors.js';
import { ETC_FILE_MAX, InRootError, mkdirInRoot, readTextInRoot } from '../../common/inroot.js';
import type { ImageRuntimeConfig } from '../../oci/image.js';
import { parseSeccompOpt, resolveUser, seccompOption, type SpecOptions } from '../../runtime/index.js';
import { hostModeHostsFile, parseExtraHost, resolvConfFile, type NetworkAttachment, type PortMapping } from '../../network/index.js';
import type { ContainerConfig, ContainerRecord, CreateRequest, HostConfig } from './types.js';
import { addedSpecOptions } from './honour.js';

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
export const TINI = '/usr/bin/tini-static';

function mergeEnv(base: string[], over: string[]): string[] {
  const out = new Map<string, string>();
  for (const e of [...base, ...over]) out.set(e.split('=', 1)[0]!, e);
  return [...out.values()];
}

export function mergeConfig(id: string, req: CreateRequest, image: ImageRuntimeConfig): { config: ContainerConfig; path: string; args: string[] } {
  const c = req.config;
  const entrypoint = c.Entrypoint && c.Entrypoint.length ? c.Entrypoint : c.Entrypoint && c.Entrypoint.length === 0 ? null : image.Entrypoint ?? null;
  // An entrypoint given on create drops the image's Cmd (docker's rule).
  const cmd = c.Cmd && c.Cmd.length ? c.Cmd : c.Entrypoint !== undefined && c.Entrypoint !== null ? null : image.Cmd ?? null;
  const argv = [...(entrypoint ?? []), ...(cmd ?? [])];
  if (!argv.length) throw invalidArgument('No command specified');
  const config: ContainerConfig = {
    Hostname: c.Hostname || id.slice(0, 12),
    Domainname: c.Domainname ?? '',
    User: c.User || image.User || '',
    AttachStdin: !!c.AttachStdin,
    AttachStdout: c.AttachStdout ?? false,
    AttachStderr: c.AttachStderr ?? false,
    ...(c.ExposedPorts || image.ExposedPorts ? { ExposedPorts: { ...(image.ExposedPorts ?? {}), ...(c.ExposedPorts ?? {}) } } : {}),
    Tty: !!c.Tty,
    OpenStdin: !!c.OpenStdin,
    StdinOnce: !!c.StdinOnce,
    Env: mergeEnv(image.Env ?? [], c.Env ?? []),
    Cmd: cmd,
    Image: c.Image,
    Volumes: c.Volumes ?? image.Volumes ?? null,
    WorkingDir: c.WorkingDir || image.WorkingDir || '',
    Entrypoint: entrypoint,
    OnBuild: null,
    Labels: { ...(image.Labels ?? {}), ...(c.Labels ?? {}) },
    ...(c.StopSignal || image.StopSignal ? { StopSignal: c.StopSignal || image.StopSignal } : {}),
    ...(c.StopTimeout !== undefined ? { StopTimeout: c.StopTimeout } : {}),
  };
  return { config, path: argv[0]!, args: argv.slice(1) };
}

const RLIMITS = ['as', 'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack'];

export function defaultHostConfig(h: Partial<HostConfig>): HostConfig {
  for (const u of h.Ulimits ?? []) {
    if (!RLIMITS.includes(u.Name) || !Number.isInteger(u.Soft) || !Number.isInteger(u.Hard) || u.Soft > u.Hard) throw invalidArgument(`invalid ulimit ${u.Name}=${u.Soft}:${u.Hard}`);
  }
  for (const o of h.SecurityOpt ?? []) {
    if (parseSeccompOpt(o)) continue; // a malformed profile throws here, at create, with dockerd's words
    if (!/^(no-new-privileges([:=](true|false))?|apparmor[=:]unconfined|label[=:]disable)$/.test(o)) throw invalidArgument(`security option not supported by berth: ${o}`);
  }
  return {
    Binds: h.Binds ?? null,
    NetworkMode: h.NetworkMode || 'default',
    PortBindings: h.PortBindings ?? {},
    RestartPolicy: { Name: h.RestartPolicy?.Name || 'no', MaximumRetryCount: h.RestartPolicy?.MaximumRetryCount ?? 0 },
    AutoRemove: !!h.AutoRemove,
    Memory: h.Memory ?? 0,
    MemorySwap: h.MemorySwap ?? 0,
    NanoCpus: h.NanoCpus ?? 0,
    CpuShares: h.CpuShares ?? 0,
    CpuQuota: h.CpuQuota ?? 0,
    CpuPeriod: h.CpuPeriod ?? 0,
    PidsLimit: h.PidsLimit ?? null,
    ReadonlyRootfs: !!h.ReadonlyRootfs,
    Tmpfs: h.Tmpfs ?? null,
    Init: h.Init ?? null,
    LogConfig: { Type: h.LogConfig?.Type || 'k8s-file', Config: h.LogConfig?.Config ?? {} },
    CapAdd: h.CapAdd ?? null,
    CapDrop: h.CapDrop ?? null,
    ConsoleSize: h.ConsoleSize ?? [0, 0],
    SecurityOpt: h.SecurityOpt ?? null,
    Ulimits: h.Ulimits ?? null,
  };
}

/** The network mode the manager is asked for: docker's "default" is the bridge. */
export function networkMode(h: HostConfig): 'bridge' | 'host' | 'none' {
  const m = h.NetworkMode;
  if (m === 'default' || m === 'bridge' || m === '') return 'bridge';
  if (m === 'host' || m === 'none') return m;
  throw invalidArgument(`network ${m} not found`);
}

/** -p bindings for the network manager; host port 0 = let it choose one. */
export function portMappings(h: HostConfig): PortMapping[] {
  const out: PortMapping[] = [];
  for (const [key, binds] of Object.entries(h.PortBindings ?? {})) {
    const [port, proto = 'tcp'] = key.split('/');
    if (proto !== 'tcp' && proto !== 'udp') throw invalidArgument(`unsupported protocol ${proto} in port ${key}`);
    const containerPort = Number(port);
    if (!Number.isInteger(containerPort) || containerPort < 1 || containerPort > 65535) throw invalidArgument(`invalid port ${key}`);
    for (const b of binds ?? []) {
      const hostPort = b.HostPort ? Number(b.HostPort) : 0;
      if (!Number.isInteger(hostPort) || hostPort < 0 || hostPort > 65535) throw invalidArgument(`invalid host port ${b.HostPort}`);
      out.push({ hostIp: b.HostIp ?? '', hostPort, containerPort, protocol: proto });
    }
  }
  return out;
}

export interface BindSpec {
  source: string;
  destination: string;
  readonly: boolean;
}

/** -v HOSTDIR:/path[:ro|rw]; named volumes are not supported yet. */
export function parseBind(b: string): BindSpec {
  const parts = b.split(':');
  const [source, destination, mode = 'rw'] = parts as [string, string | undefined, string | undefined];
  if (!destination || parts.length > 3) throw invalidArgument(`invalid volume specification: '${b}'`);
  if (!source.startsWith('/')) throw invalidArgument(`invalid volume specification: '${b}': named volumes are not supported by berth yet`);
  if (!destination.startsWith('/')) throw invalidArgument(`invalid volume specification: '${b}': invalid mount config: destination must be an absolute path`);
  const opts = mode.split(',');
  if (opts.some((o) => !['ro', 'rw', 'z', 'Z', 'private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave', 'nocopy'].includes(o))) throw invalidArgument(`invalid mode: ${mode}`);
  return { source, destination, readonly: opts.includes('ro') };
}

/** /etc/hostname, /etc/hosts and /etc/resolv.conf for the container, in its directory. */
export function writeEtcFiles(dir: string, c: ContainerRecord, net: NetworkAttachment): { hosts: string; hostname: string; resolvConf: string } {
  const files = { hosts: path.join(dir, 'hosts'), hostname: path.join(dir, 'hostname'), resolvConf: path.join(dir, 'resolv.conf') };
  const name = net.mode === 'host' ? os.hostname() : c.Config.Hostname;
  fs.writeFileSync(files.hostname, name + '\n');
  let hosts: string;
  // --add-host lines go after the defaults and before the container's own name, as docker writes them
  const extra = (c.HostConfig.ExtraHosts ?? []).map(parseExtraHost);
  if (net.mode === 'host') hosts = hostModeHostsFile(readOr('/etc/hosts', '127.0.0.1\tlocalhost\n'), extra);
  else {
    hosts = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n';
    for (const e of extra) hosts += `${e.ip}\t${e.name}\n`;
    if (net.ipAddress) hosts += `${net.ipAddress}\t${name}\n`;
  }
  fs.writeFileSync(files.hosts, hosts);
  let resolv = readOr('/etc/resolv.conf', '');
  if (net.mode !== 'host') {
    // Loopback resolvers of the host are unreachable from another network namespace.
    resolv = resolv.split('\n').filter((l) => !/^\s*nameserver\s+(127\.|::1)/.test(l)).join('\n');
    if (!/^\s*nameserver/m.test(resolv)) resolv += '\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n';
  }
  const h = c.HostConfig;
  // --dns, --dns-search, --dns-option each replace the host's lines of their kind
  if (h.Dns?.length || h.DnsSearch?.length || h.DnsOptions?.length) resolv = resolvConfFile(resolv, { ...(h.Dns ? { dns: h.Dns } : {}), ...(h.DnsSearch ? { dnsSearch: h.DnsSearch } : {}), ...(h.DnsOptions ? { dnsOptions: h.DnsOptions } : {}) });
  fs.writeFileSync(files.resolvConf, resolv);
  return files;
}

function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

function parseSize(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([kmgt]?)b?$/i.exec(v.trim());
  if (!m) return undefined;
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2]!.toLowerCase() as '' | 'k'] ?? 1;
  return Math.floor(Number(m[1]) * mult);
}

export function logSizeMax(c: ContainerRecord): number | undefined {
  const v = c.HostConfig.LogConfig.Config['max-size'];
  if (!v) return undefined;
  const n = parseSize(v);
  if (n === undefined) throw invalidArgument(`invalid value for log-opt max-size: ${v}`);
  return n;
}

export function logMaxFile(c: ContainerRecord): number {
  const v = c.HostConfig.LogConfig.Config['max-file'];
  if (v === undefined) return 1;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw invalidArgument(`invalid value for log-opt max-file: ${v}`);
  return n;
}

export interface UserDb {
  passwd: string;
  group: string;
}

/**
 * The container's /etc/passwd and /etc/group, read inside its root filesystem
 * (a link to a host file finds nothing there, as in docker; a missing file is
 * empty). A FIFO, a device or a huge file is refused with an error: docker
 * waits on a FIFO for ever.
 */
export async function readUserDb(rootfs: string): Promise<UserDb> {
  const read = async (file: string) => {
    try {
      return (await readTextInRoot(rootfs, file, { maxBytes: ETC_FILE_MAX })) ?? '';
    } catch (err) {
      if (err instanceof InRootError) throw invalidArgument(`unable to read ${err.message}`);
      throw err;
    }
  };
  return { passwd: await read('/etc/passwd'), group: await read('/etc/group') };
}

/** mkdir -p of the container's working directory inside its root filesystem, owned by root (docker's rule). */
export function makeWorkingDir(rootfs: string, dir: string): void {
  try {
    mkdirInRoot(rootfs, dir);
  } catch (err) {
    if (err instanceof InRootError) throw invalidArgument(`cannot create the working directory ${dir}: ${err.message}`);
    throw err;
  }
}

export function specOptions(c: ContainerRecord, rootfs: string, users: UserDb, net: NetworkAttachment, etc: { hosts: string; hostname: string; resolvConf: string }): SpecOptions {
  const user = resolveUser(c.Config.User, users.passwd, users.group);
  let env = c.Config.Env ?? [];
  if (!env.some((e) => e.startsWith('PATH='))) env = [DEFAULT_PATH, ...env];
  env = mergeEnv([`HOSTNAME=${net.mode === 'host' ? os.hostname() : c.Config.Hostname}`], env);
  if (c.Config.Tty && !env.some((e) => e.startsWith('TERM='))) env.push('TERM=xterm');
  if (!env.some((e) => e.startsWith('HOME='))) env.push(`HOME=${user.home}`);
  const h = c.HostConfig;
  let nanoCpus = h.NanoCpus;
  if (!nanoCpus && h.CpuQuota > 0) nanoCpus = Math.round((h.CpuQuota / (h.CpuPeriod || 100000)) * 1e9);
  if (h.Init && !fs.existsSync(TINI)) throw invalidArgument(`--init: ${TINI} (Debian's tini) is not installed`);
  const ociUser = { uid: user.uid, gid: user.gid, ...(user.additionalGids.length ? { additionalGids: user.additionalGids } : {}) };
  return {
    id: c.Id,
    rootfs,
    args: [c.Path, ...c.Args],
    env,
    cwd: c.Config.WorkingDir || '/',
    user: ociUser,
    hostname: net.mode === 'host' ? os.hostname() : c.Config.Hostname,
    terminal: c.Config.Tty,
    network: net.netnsPath ? { mode: 'netns', path: net.netnsPath } : { mode: 'host' },
    readonlyRootfs: h.ReadonlyRootfs,
    ...(h.Memory ? { memory: h.Memory, memorySwap: h.MemorySwap > 0 ? h.MemorySwap : h.MemorySwap === -1 ? undefined : h.Memory * 2 } : {}),
    ...(nanoCpus ? { nanoCpus } : {}),
    ...(h.CpuShares ? { cpuShares: h.CpuShares } : {}),
    ...(h.PidsLimit && h.PidsLimit > 0 ? { pidsLimit: h.PidsLimit } : {}),
    tmpfs: Object.entries(h.Tmpfs ?? {}).map(([destination, options]) => ({ destination, options })),
    binds: (h.Binds ?? []).map(parseBind),
    ...(h.Init ? { init: TINI } : {}),
    etcFiles: etc,
    capAdd: h.CapAdd ?? [],
    capDrop: h.CapDrop ?? [],
    ulimits: (h.Ulimits ?? []).map((u) => ({ type: `RLIMIT_${u.Name.toUpperCase()}`, soft: u.Soft, hard: u.Hard })),
    seccomp: seccompOption(h.SecurityOpt, !!h.Privileged),
    noNewPrivileges: (h.SecurityOpt ?? []).some((o) => /^no-new-privileges([:=]true)?$/.test(o)),
    ...addedSpecOptions(h, users.group, ociUser),
  };
}
