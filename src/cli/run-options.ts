// docker run / create flags → the Engine API's create body (Config + HostConfig).
import type { Command } from 'commander';
import * as fs from 'node:fs';
import { compactGoJson } from '../common/gojson.js';

export interface RunFlags {
  detach?: boolean;
  interactive?: boolean;
  tty?: boolean;
  rm?: boolean;
  name?: string;
  env: string[];
  workdir?: string;
  user?: string;
  hostname?: string;
  entrypoint?: string;
  publish: string[];
  memory?: string;
  memorySwap?: string;
  cpus?: string;
  pidsLimit?: string;
  restart?: string;
  readOnly?: boolean;
  tmpfs: string[];
  volume: string[];
  network?: string;
  init?: boolean;
  logOpt: string[];
  logDriver?: string;
  label: string[];
  stopSignal?: string;
  stopTimeout?: string;
  capAdd: string[];
  capDrop: string[];
  securityOpt?: string[];
  ulimit?: string[];
  privileged?: boolean;
  device?: string[];
  addHost?: string[];
  dns?: string[];
  dnsSearch?: string[];
  dnsOption?: string[];
  sysctl?: string[];
  shmSize?: string;
  pid?: string;
  ipc?: string;
  uts?: string;
  cgroupns?: string;
  groupAdd?: string[];
  oomScoreAdj?: string;
  cpusetCpus?: string;
  cpusetMems?: string;
  memoryReservation?: string;
  runtime?: string;
  platform?: string;
}

const collect = (v: string, prev: string[]) => [...prev, v];

export function addRunFlags(cmd: Command): Command {
  return cmd
    .option('-i, --interactive', 'Keep STDIN open even if not attached')
    .option('-t, --tty', 'Allocate a pseudo-TTY')
    .option('--rm', 'Automatically remove the container when it exits')
    .option('--name <string>', 'Assign a name to the container')
    .option('-e, --env <list>', 'Set environment variables', collect, [])
    .option('-w, --workdir <string>', 'Working directory inside the container')
    .option('-u, --user <string>', 'Username or UID (format: <name|uid>[:<group|gid>])')
    .option('-h, --hostname <string>', 'Container host name')
    .option('--entrypoint <string>', 'Overwrite the default ENTRYPOINT of the image')
    .option('-p, --publish <list>', "Publish a container's port(s) to the host", collect, [])
    .option('-m, --memory <bytes>', 'Memory limit')
    .option('--memory-swap <bytes>', "Swap limit equal to memory plus swap: '-1' to enable unlimited swap")
    .option('--cpus <decimal>', 'Number of CPUs')
    .option('--pids-limit <int>', 'Tune container pids limit (set -1 for unlimited)')
    .option('--restart <string>', 'Restart policy to apply when a container exits', 'no')
    .option('--read-only', "Mount the container's root filesystem as read only")
    .option('--tmpfs <list>', 'Mount a tmpfs directory', collect, [])
    .option('-v, --volume <list>', 'Bind mount a volume', collect, [])
    .option('--network <string>', 'Connect a container to a network', 'default')
    .option('--init', 'Run an init inside the container that forwards signals and reaps processes')
    .option('--log-driver <string>', 'Logging driver for the container (berthd has json-file; others are refused)')
    .option('--log-opt <list>', 'Log driver options', collect, [])
    .option('-l, --label <list>', 'Set meta data on a container', collect, [])
    .option('--stop-signal <string>', 'Signal to stop the container')
    .option('--stop-timeout <int>', 'Timeout (in seconds) to stop a container')
    .option('--cap-add <list>', 'Add Linux capabilities', collect, [])
    .option('--cap-drop <list>', 'Drop Linux capabilities', collect, [])
    .option('--ulimit <ulimit>', 'Ulimit options (e.g. nofile=1024:2048)', collect, [])
    .option('--security-opt <list>', 'Security Options (seccomp=<profile.json>|unconfined|builtin, no-new-privileges)', collect, [])
    .option('--privileged', 'Give extended privileges to this container')
    .option('--device <list>', 'Add a host device to the container (HOST[:CONTAINER[:rwm]])', collect, [])
    .option('--add-host <list>', 'Add a custom host-to-IP mapping (host:ip)', collect, [])
    .option('--dns <list>', 'Set custom DNS servers', collect, [])
    .option('--dns-search <list>', 'Set custom DNS search domains', collect, [])
    .option('--dns-option <list>', 'Set DNS options', collect, [])
    .option('--sysctl <map>', 'Sysctl options (namespaced ones: net.*, kernel.shm*/msg*/sem, fs.mqueue.*)', collect, [])
    .option('--shm-size <bytes>', 'Size of /dev/shm')
    .option('--pid <string>', 'PID namespace to use (host)')
    .option('--ipc <string>', 'IPC mode to use (private, shareable, host, none)')
    .option('--uts <string>', 'UTS namespace to use (host)')
    .option('--cgroupns <string>', 'Cgroup namespace to use (host|private)')
    .option('--group-add <list>', 'Add additional groups to join', collect, [])
    .option('--oom-score-adj <int>', "Tune host's OOM preferences (-1000 to 1000)")
    .option('--cpuset-cpus <string>', 'CPUs in which to allow execution (0-3, 0,1)')
    .option('--cpuset-mems <string>', 'MEMs in which to allow execution (0-3, 0,1)')
    .option('--memory-reservation <bytes>', 'Memory soft limit')
    .option('--runtime <string>', 'Runtime to use for this container')
    .option('--platform <string>', 'Set platform if server is multi-platform capable')
    .helpOption('--help', 'Print usage');
}

/** How Go words a failed open/read in `opening seccomp profile (x) failed: ...` */
function goFileError(op: string, file: string, e: NodeJS.ErrnoException): string {
  const words: Record<string, string> = { ENOENT: 'no such file or directory', EACCES: 'permission denied', EISDIR: 'is a directory', ENOTDIR: 'not a directory', ELOOP: 'too many levels of symbolic links' };
  return `${e.code === 'EISDIR' ? 'read' : op} ${file}: ${words[e.code ?? ''] ?? e.message}`;
}

/**
 * --security-opt as the docker CLI sends it: every option but no-new-privileges
 * needs a value, and seccomp=<file> becomes seccomp=<the file's JSON, compacted>
 * (`unconfined` and `builtin` are names, not files).
 */
export function securityOpts(opts: string[], readFile: (p: string) => string = (p) => fs.readFileSync(p, 'utf8')): string[] {
  return opts.map((opt) => {
    let sep = opt.indexOf('=');
    if (sep < 0 && opt !== 'no-new-privileges') sep = opt.indexOf(':');
    const key = sep < 0 ? opt : opt.slice(0, sep);
    const value = sep < 0 ? '' : opt.slice(sep + 1);
    if (key === 'no-new-privileges') return opt;
    if (value === '') throw new Error(`Invalid --security-opt: ${JSON.stringify(opt)}`);
    if (key !== 'seccomp' || value === 'unconfined' || value === 'builtin') return opt;
    let text: string;
    try {
      text = readFile(value);
    } catch (e) {
      throw new Error(`opening seccomp profile (${value}) failed: ${goFileError('open', value, e as NodeJS.ErrnoException)}`);
    }
    try {
      return `seccomp=${compactGoJson(text)}`;
    } catch (e) {
      throw new Error(`compacting json for seccomp profile (${value}) failed: ${(e as Error).message}`);
    }
  });
}

/** docker's --ulimit name=soft[:hard] */
export function parseUlimit(v: string): { Name: string; Soft: number; Hard: number } {
  const m = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(v);
  if (!m) throw new Error(`invalid ulimit argument: ${v}`);
  const soft = Number(m[2]);
  return { Name: m[1]!, Soft: soft, Hard: m[3] !== undefined ? Number(m[3]) : soft };
}

/** docker's --device HOST[:CONTAINER][:PERMISSIONS] */
export function parseDevice(v: string): { PathOnHost: string; PathInContainer: string; CgroupPermissions: string } {
  const parts = v.split(':');
  let perms = 'rwm';
  if (parts.length > 1 && /^[rwm]{1,3}$/.test(parts.at(-1)!)) perms = parts.pop()!;
  if (parts.length > 2 || !parts[0]) throw new Error(`invalid argument "${v}" for "--device" flag: bad format for path: ${v}`);
  return { PathOnHost: parts[0], PathInContainer: parts[1] ?? parts[0], CgroupPermissions: perms };
}

function parseSysctls(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of list) {
    const i = s.indexOf('=');
    if (i <= 0) throw new Error(`invalid argument "${s}" for "--sysctl" flag: sysctl '${s}' is not allowed`);
    out[s.slice(0, i)] = s.slice(i + 1);
  }
  return out;
}

function intFlag(v: string, flag: string): number {
  if (!/^-?\d+$/.test(v)) throw new Error(`invalid argument "${v}" for "${flag}" flag: strconv.ParseInt: parsing "${v}": invalid syntax`);
  return Number(v);
}

/** go-units RAMInBytes: 32m, 1g, 512k, plain bytes. */
export function ramInBytes(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b)?$/i.exec(v.trim());
  if (!m) throw new Error(`invalid size: '${v}'`);
  const mult: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };
  return Math.floor(Number(m[1]) * mult[m[2]!.toLowerCase()]!);
}

function parsePorts(list: string[]): { bindings: Record<string, { HostIp: string; HostPort: string }[]>; exposed: Record<string, object> } {
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  const exposed: Record<string, object> = {};
  for (const p of list) {
    const [spec, proto = 'tcp'] = p.split('/') as [string, string | undefined];
    const parts = spec.split(':');
    let ip = '';
    let host = '';
    let ctr: string;
    if (parts.length === 1) ctr = parts[0]!;
    else if (parts.length === 2) [host, ctr] = parts as [string, string];
    else [ip, host, ctr] = [parts.slice(0, -2).join(':'), parts.at(-2)!, parts.at(-1)!];
    if (!/^\d+$/.test(ctr) || (host && !/^\d+$/.test(host)) || !['tcp', 'udp', 'sctp'].includes(proto)) throw new Error(`invalid argument "${p}" for "-p, --publish" flag`);
    const key = `${ctr}/${proto}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({ HostIp: ip, HostPort: host });
  }
  return { bindings, exposed };
}

export function createBody(image: string, command: string[], f: RunFlags, consoleSize?: [number, number]): Record<string, unknown> {
  const [rpName, rpCount] = (f.restart ?? 'no').split(':') as [string, string | undefined];
  if (rpCount !== undefined && rpName !== 'on-failure') throw new Error(`invalid restart policy format: maximum retry count can only be used with 'on-failure'`);
  const logConfig: Record<string, string> = {};
  for (const o of f.logOpt) {
    const i = o.indexOf('=');
    if (i < 0) throw new Error(`invalid log opt '${o}'`);
    logConfig[o.slice(0, i)] = o.slice(i + 1);
  }
  const tmpfs: Record<string, string> = {};
  for (const t of f.tmpfs) {
    const i = t.indexOf(':');
    tmpfs[i < 0 ? t : t.slice(0, i)] = i < 0 ? '' : t.slice(i + 1);
  }
  const labels: Record<string, string> = {};
  for (const l of f.label) {
    const i = l.indexOf('=');
    labels[i < 0 ? l : l.slice(0, i)] = i < 0 ? '' : l.slice(i + 1);
  }
  const env = f.env.map((e) => (e.includes('=') ? e : process.env[e] !== undefined ? `${e}=${process.env[e]}` : e)).filter((e) => e.includes('='));
  const ports = parsePorts(f.publish);
  const attach = !f.detach;
  const memory = f.memory ? ramInBytes(f.memory) : 0;
  return {
    Hostname: f.hostname ?? '',
    User: f.user ?? '',
    AttachStdin: attach && !!f.interactive,
    AttachStdout: attach,
    AttachStderr: attach,
    Tty: !!f.tty,
    OpenStdin: !!f.interactive,
    StdinOnce: attach && !!f.interactive,
    Env: env,
    Cmd: command.length ? command : null,
    Image: image,
    WorkingDir: f.workdir ?? '',
    Entrypoint: f.entrypoint !== undefined ? (f.entrypoint === '' ? [] : [f.entrypoint]) : null,
    Labels: labels,
    ExposedPorts: ports.exposed,
    ...(f.stopSignal ? { StopSignal: f.stopSignal } : {}),
    ...(f.stopTimeout ? { StopTimeout: Number(f.stopTimeout) } : {}),
    HostConfig: {
      Binds: f.volume.length ? f.volume : null,
      NetworkMode: f.network ?? 'default',
      PortBindings: ports.bindings,
      RestartPolicy: { Name: rpName, MaximumRetryCount: rpCount ? Number(rpCount) : 0 },
      AutoRemove: !!f.rm,
      Memory: memory,
      MemorySwap: f.memorySwap ? (f.memorySwap === '-1' ? -1 : ramInBytes(f.memorySwap)) : 0,
      NanoCpus: f.cpus ? Math.round(Number(f.cpus) * 1e9) : 0,
      PidsLimit: f.pidsLimit ? Number(f.pidsLimit) : null,
      ReadonlyRootfs: !!f.readOnly,
      Tmpfs: Object.keys(tmpfs).length ? tmpfs : null,
      Init: f.init ? true : null,
      LogConfig: { Type: f.logDriver ?? '', Config: logConfig },
      CapAdd: f.capAdd.length ? f.capAdd : null,
      CapDrop: f.capDrop.length ? f.capDrop : null,
      SecurityOpt: f.securityOpt?.length ? securityOpts(f.securityOpt) : null,
      Ulimits: (f.ulimit ?? []).map(parseUlimit),
      Privileged: !!f.privileged,
      Devices: (f.device ?? []).map(parseDevice),
      ExtraHosts: f.addHost?.length ? f.addHost : null,
      Dns: f.dns ?? [],
      DnsSearch: f.dnsSearch ?? [],
      DnsOptions: f.dnsOption ?? [],
      ...(f.sysctl?.length ? { Sysctls: parseSysctls(f.sysctl) } : {}),
      ShmSize: f.shmSize ? ramInBytes(f.shmSize) : 0,
      PidMode: f.pid ?? '',
      IpcMode: f.ipc ?? '',
      UTSMode: f.uts ?? '',
      CgroupnsMode: f.cgroupns ?? '',
      GroupAdd: f.groupAdd?.length ? f.groupAdd : null,
      OomScoreAdj: f.oomScoreAdj ? intFlag(f.oomScoreAdj, '--oom-score-adj') : 0,
      CpusetCpus: f.cpusetCpus ?? '',
      CpusetMems: f.cpusetMems ?? '',
      MemoryReservation: f.memoryReservation ? ramInBytes(f.memoryReservation) : 0,
      ...(f.runtime ? { Runtime: f.runtime } : {}),
      ...(consoleSize ? { ConsoleSize: consoleSize } : {}),
    },
  };
}
