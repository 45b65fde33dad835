// The create body checked field by field before anything happens: every field
// of Config, HostConfig and NetworkingConfig that docker defines is either one
// berth honours (checked here with dockerd's own messages) or one it refuses
// with a 400 naming it when it is set. "Set" means: not the value the docker
// CLI sends when the flag is not given (null, "", 0, false, [], {}, and a few
// field-specific ones such as MemorySwappiness -1). Pure: the host facts it
// needs (CPUs, memory nodes, the runtime) come in as arguments.
import { invalidArgument } from '../../common/errors.js';
import { parseReference } from '../../common/reference.js';
import { signalNumber } from '../../common/signals.js';
import { ALL_CAPABILITIES } from '../../runtime/index.js';
import { CONFIG_TYPES, HOST_TYPES, checkType, isUnset, unmarshal } from './decode.js';

export { isUnset };

type Json = Record<string, unknown>;

export interface HostFacts {
  /** online CPUs, e.g. [0, 1] */
  cpus: number[];
  /** online memory nodes */
  mems: number[];
  /** the OCI runtime berthd runs containers with ("runc") */
  runtime: string;
}

/**
 * Fields berth does not act on, refused when set: the flag that sets them, and why where it helps.
 * (Networking, volumes, healthchecks and more log drivers are other issues' work.)
 */
const REFUSED: Record<string, string> = {
  'HostConfig.CgroupParent': '--cgroup-parent',
  'HostConfig.BlkioWeight': '--blkio-weight',
  'HostConfig.BlkioWeightDevice': '--blkio-weight-device',
  'HostConfig.BlkioDeviceReadBps': '--device-read-bps',
  'HostConfig.BlkioDeviceWriteBps': '--device-write-bps',
  'HostConfig.BlkioDeviceReadIOps': '--device-read-iops',
  'HostConfig.BlkioDeviceWriteIOps': '--device-write-iops',
  'HostConfig.CpuRealtimePeriod': '--cpu-rt-period',
  'HostConfig.CpuRealtimeRuntime': '--cpu-rt-runtime',
  'HostConfig.DeviceCgroupRules': '--device-cgroup-rule',
  'HostConfig.DeviceRequests': '--gpus',
  'HostConfig.KernelMemoryTCP': 'the API',
  'HostConfig.OomKillDisable': '--oom-kill-disable',
  'HostConfig.CpuCount': '--cpu-count',
  'HostConfig.CpuPercent': '--cpu-percent',
  'HostConfig.VolumeDriver': '--volume-driver',
  'HostConfig.VolumesFrom': '--volumes-from',
  'HostConfig.Mounts': '--mount',
  'HostConfig.Annotations': '--annotation',
  'HostConfig.Cgroup': '--cgroup',
  'HostConfig.Links': '--link',
  'HostConfig.PublishAllPorts': '--publish-all',
  'HostConfig.StorageOpt': '--storage-opt',
  'Config.Volumes': '-v with a container path only (anonymous volume)',
  'Config.NetworkDisabled': 'the API (use --network none)',
  'Config.MacAddress': '--mac-address',
};

const MAPS = ['Config.Volumes', 'HostConfig.StorageOpt', 'HostConfig.Annotations'];

/** docker's message where it has one for a field it refuses itself. */
const DOCKER_WORDS: Record<string, string> = {
  'HostConfig.IOMaximumIOps': 'Invalid QoS settings: linux does not support configuration of maximum IOPs',
  'HostConfig.IOMaximumBandwidth': 'Invalid QoS settings: linux does not support configuration of maximum bandwidth',
  'HostConfig.StorageOpt': "--storage-opt is supported only for overlay over xfs with 'pquota' mount option",
};


/** Docker's logging drivers: berth has its own json-file-like log (conmon's k8s-file) and none of the others. */
const DOCKER_LOG_DRIVERS = ['none', 'local', 'syslog', 'journald', 'gelf', 'fluentd', 'awslogs', 'splunk', 'etwlogs', 'gcplogs', 'logentries'];
const JSON_FILE_OPTS = ['max-file', 'max-size', 'compress', 'labels', 'labels-regex', 'env', 'env-regex', 'tag'];
const BERTH_LOG_OPTS = ['max-file', 'max-size'];

/** The sysctls docker lets a container set (moby's opts.ValidateSysctl): they live in the container's own namespaces. */
const IPC_SYSCTLS = ['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced'];

const TMPFS_OPTS = /^(rw|ro|exec|noexec|suid|nosuid|dev|nodev|sync|async|dirsync|atime|noatime|diratime|nodiratime|relatime|norelatime|strictatime|nostrictatime|mand|nomand|(size|mode|uid|gid|nr_inodes|nr_blocks|huge|mpol)=[^,]+|tmpcopyup|notmpcopyup|private|rprivate|shared|rshared|slave|rslave)$/;

const MIN_MEMORY = 6 * 1024 * 1024;

const bad = (msg: string) => invalidArgument(msg);


/** "0-2,4" as a set of numbers; undefined when it is no such list. */
export function parseCpuList(s: string): number[] | undefined {
  const out = new Set<number>();
  for (const part of s.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) return undefined;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a || b - a > 4096) return undefined;
    for (let i = a; i <= b; i++) out.add(i);
  }
  return [...out].sort((x, y) => x - y);
}

function listText(ns: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < ns.length; ) {
    let j = i;
    while (j + 1 < ns.length && ns[j + 1] === ns[j]! + 1) j++;
    parts.push(i === j ? `${ns[i]}` : `${ns[i]}-${ns[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

const isIPv4 = (s: string) => /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(s) && s.split('.').every((o) => Number(o) <= 255 && String(Number(o)) === o);
const isIPv6 = (s: string) => s.includes(':') && /^[0-9a-fA-F:.]+$/.test(s) && s.split('::').length <= 2;
export const isIP = (s: string): boolean => isIPv4(s) || isIPv6(s);

function normCap(c: string): string {
  const u = c.toUpperCase();
  return u.startsWith('CAP_') ? u : `CAP_${u}`;
}

function checkConfig(b: Json, h: Json): void {
  const image = b['Image'];
  if (typeof image === 'string' && image !== '' && !/^(sha256:)?[a-f0-9]{1,64}$/.test(image)) {
    try {
      parseReference(image);
    } catch (err) {
      throw bad((err as Error).message.replace(/: "[^"]*"$/, ''));
    }
  }
  const wd = b['WorkingDir'];
  if (typeof wd === 'string' && wd !== '' && !wd.startsWith('/')) throw bad(`the working directory '${wd}' is invalid, it needs to be an absolute path`);
  for (const e of (b['Env'] as string[] | null) ?? []) {
    if (e.split('=', 1)[0] === '') throw bad(`invalid environment variable: ${e}`);
  }
  const hn = b['Hostname'];
  if (typeof hn === 'string' && hn !== '') {
    if (hn.length > 253 || !/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(hn)) throw bad(`invalid hostname format: ${hn}`);
    if (h['UTSMode'] === 'host') throw bad('conflicting options: hostname and the UTS mode');
  }
  if (typeof b['StopSignal'] === 'string' && b['StopSignal'] !== '') signalNumber(b['StopSignal']);
  for (const k of Object.keys((b['ExposedPorts'] as Json | null) ?? {})) {
    if (!/^\d{1,5}(-\d{1,5})?(\/(tcp|udp|sctp))?$/.test(k)) throw bad(`invalid port specification: "${k.split('/')[0]}"`);
  }
  const hc = b['Healthcheck'] as Json | null | undefined;
  if (hc && !isUnset(hc)) {
    for (const f of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval']) {
      checkType(hc[f], 'int64', `HealthConfig.Healthcheck.${f}`);
      const v = hc[f] as number | undefined;
      if (v && v < 1_000_000) throw bad(`${f} in Healthcheck cannot be less than 1ms`);
    }
    checkType(hc['Retries'], 'int', 'HealthConfig.Healthcheck.Retries');
    if (((hc['Retries'] as number | undefined) ?? 0) < 0) throw bad('Retries in Healthcheck cannot be negative');
    checkType(hc['Test'], '[]string', 'HealthConfig.Healthcheck.Test');
    const t = (hc['Test'] as string[] | null) ?? [];
    // --no-healthcheck: berth runs no healthchecks, so "disabled" is honoured as it is
    if (!(t.length === 1 && t[0] === 'NONE')) throw bad('Config.Healthcheck (--health-cmd and the other --health-* flags) is not supported by berth yet');
  }
}

function checkResources(h: Json, host: HostFacts, warnings: string[]): void {
  const n = (k: string) => (h[k] as number | null | undefined) ?? 0;
  const memory = n('Memory');
  if (memory !== 0 && memory < MIN_MEMORY) throw bad('Minimum memory limit allowed is 6MB');
  const swap = n('MemorySwap');
  if (swap < -1) throw bad(`invalid MemorySwap ${swap}: use -1 for unlimited swap`);
  if (swap > 0 && memory === 0) throw bad('You should always set the Memory limit when using Memoryswap limit, see usage');
  if (swap > 0 && swap < memory) throw bad('Minimum memoryswap limit should be larger than memory limit, see usage');
  const reservation = n('MemoryReservation');
  if (reservation < 0 || (reservation > 0 && reservation < MIN_MEMORY)) throw bad('Minimum memory reservation allowed is 6MB');
  if (memory > 0 && reservation > 0 && memory < reservation) throw bad('Minimum memory limit can not be less than memory reservation limit, see usage');
  const swappiness = h['MemorySwappiness'] as number | null | undefined;
  if (swappiness !== null && swappiness !== undefined && swappiness !== -1 && (swappiness < 0 || swappiness > 100)) {
    throw bad(`Invalid value: ${swappiness}, valid memory swappiness range is 0-100`);
  }
  if (n('KernelMemory') !== 0) {
    if (n('KernelMemory') < MIN_MEMORY) throw bad('Minimum kernel memory limit allowed is 6MB');
    warnings.push('Specifying a kernel memory limit is deprecated and will be removed in a future release.');
  }
  if (n('CpuShares') < 0) throw bad(`invalid CpuShares ${n('CpuShares')}: the value must not be negative`);
  const nano = n('NanoCpus');
  if (nano !== 0) {
    if (n('CpuPeriod') !== 0) throw bad('Conflicting options: Nano CPUs and CPU Period cannot both be set');
    if (n('CpuQuota') !== 0) throw bad('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
    if (nano < 1e7 || nano > host.cpus.length * 1e9) {
      throw bad(`Range of CPUs is from 0.01 to ${host.cpus.length}.00, as there are only ${host.cpus.length} CPUs available`);
    }
  }
  const period = n('CpuPeriod');
  if (period !== 0 && (period < 1000 || period > 1_000_000)) throw bad('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  const quota = n('CpuQuota');
  if (quota !== 0 && quota !== -1 && quota < 1000) throw bad('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  const pids = n('PidsLimit');
  if (pids < -1) throw bad(`invalid PidsLimit ${pids}: use 0 or -1 for no limit`);
  for (const [k, what, avail, label] of [['CpusetCpus', 'cpus', host.cpus, 'CPUs'], ['CpusetMems', 'mems', host.mems, 'memory nodes']] as const) {
    const v = h[k] as string | null | undefined;
    if (!v) continue;
    const list = parseCpuList(v);
    if (!list) throw bad(`Invalid value ${v} for cpuset ${what}: invalid format: ${v}`);
    if (list.some((c) => !avail.includes(c))) throw bad(`Requested ${label} are not available - requested ${v}, available: ${listText(avail)}`);
  }
  const oom = n('OomScoreAdj');
  if (oom < -1000 || oom > 1000) throw bad(`Invalid value ${oom}, range for oom score adj is [-1000, 1000]`);
  if (n('ShmSize') < 0) throw bad('SHM size can not be less than 0');
  for (const [i, u] of (((h['Ulimits'] as unknown[] | null) ?? []).entries())) {
    if (typeof u !== 'object' || u === null || Array.isArray(u)) throw unmarshal(u, 'HostConfig.HostConfig.Ulimits', 'units.Ulimit');
    const o = u as Json;
    checkType(o['Name'], 'string', 'Ulimit.HostConfig.Ulimits.Name');
    checkType(o['Soft'], 'int64', 'Ulimit.HostConfig.Ulimits.Soft');
    checkType(o['Hard'], 'int64', 'Ulimit.HostConfig.Ulimits.Hard');
    void i;
  }
}

function checkNamespaces(h: Json): void {
  const pid = (h['PidMode'] as string | null) ?? '';
  if (pid.startsWith('container:')) throw bad('HostConfig.PidMode (--pid container:...) is not supported by berth yet');
  if (!['', 'host'].includes(pid)) throw bad(`Invalid PID mode: ${pid}`);
  const ipc = (h['IpcMode'] as string | null) ?? '';
  if (ipc.startsWith('container:')) throw bad('HostConfig.IpcMode (--ipc container:...) is not supported by berth yet');
  if (!['', 'private', 'shareable', 'host', 'none'].includes(ipc)) throw bad(`Invalid IPC mode: ${ipc}`);
  const uts = (h['UTSMode'] as string | null) ?? '';
  if (!['', 'host'].includes(uts)) throw bad(`Invalid UTS mode: ${uts}`);
  const cgns = (h['CgroupnsMode'] as string | null) ?? '';
  if (!['', 'host', 'private'].includes(cgns)) throw bad(`invalid cgroup namespace mode: ${cgns}`);
  const userns = (h['UsernsMode'] as string | null) ?? '';
  if (!['', 'host'].includes(userns)) throw bad(`HostConfig.UsernsMode (--userns ${userns}) is not supported by berth: only the host user namespace`);
  const iso = (h['Isolation'] as string | null) ?? '';
  if (!['', 'default'].includes(iso)) throw bad(`Invalid isolation: "${iso}" - linux only supports 'default'`);
}

function checkSysctls(h: Json): void {
  const net = (h['NetworkMode'] as string | null) ?? '';
  for (const [k, v] of Object.entries((h['Sysctls'] as Record<string, string> | null) ?? {})) {
    const ipc = IPC_SYSCTLS.includes(k) || k.startsWith('fs.mqueue.');
    if (!ipc && !k.startsWith('net.')) throw bad(`sysctl '${k}=${v}' is not allowed`);
    if (k.startsWith('net.') && net === 'host') throw bad(`sysctl '${k}=${v}' is not allowed with --network host: it would change the host's own`);
    if (ipc && h['IpcMode'] === 'host') throw bad(`sysctl '${k}=${v}' is not allowed with --ipc host: it would change the host's own`);
    if (!/^[a-z0-9_.\-/]+$/i.test(k) || k.includes('..') || k.includes('/')) throw bad(`sysctl '${k}=${v}' is not allowed`);
  }
}

function checkDevices(h: Json): void {
  for (const d of (h['Devices'] as unknown[] | null) ?? []) {
    if (typeof d !== 'object' || d === null || Array.isArray(d)) throw unmarshal(d, 'HostConfig.HostConfig.Devices', 'container.DeviceMapping');
    const o = d as Json;
    for (const f of ['PathOnHost', 'PathInContainer', 'CgroupPermissions']) checkType(o[f], 'string', `DeviceMapping.HostConfig.Devices.${f}`);
    const onHost = (o['PathOnHost'] as string | null) ?? '';
    const inCtr = (o['PathInContainer'] as string | null) || onHost;
    const perms = (o['CgroupPermissions'] as string | null) || 'rwm';
    if (!onHost.startsWith('/')) throw bad(`invalid device mapping: PathOnHost "${onHost}" must be an absolute path`);
    if (!inCtr.startsWith('/') || inCtr.split('/').includes('..')) throw bad(`invalid device mapping: PathInContainer "${inCtr}" must be an absolute path`);
    if (!/^[rwm]{1,3}$/.test(perms) || new Set(perms).size !== perms.length) throw bad(`invalid device mode: ${perms}`);
  }
}

function checkNetworkish(h: Json): void {
  for (const e of (h['ExtraHosts'] as string[] | null) ?? []) {
    const m = /^([^:=]+)[:=](.*)$/.exec(e);
    if (!m || !m[1]) throw bad(`bad format for add-host: "${e}"`);
    const ip = m[2]!.replace(/^\[(.*)\]$/, '$1');
    if (ip === 'host-gateway') throw bad(`HostConfig.ExtraHosts: "host-gateway" (--add-host ${m[1]}:host-gateway) is not supported by berth yet`);
    if (!isIP(ip)) throw bad(`invalid IP address in add-host: "${ip}"`);
  }
  for (const d of (h['Dns'] as string[] | null) ?? []) if (!isIP(d)) throw bad(`${d} is not an ip address`);
  for (const s of (h['DnsSearch'] as string[] | null) ?? []) {
    if (s !== '.' && (s.length > 255 || !/^[A-Za-z0-9_.-]+$/.test(s) || s.startsWith('.') || s.startsWith('-'))) throw bad(`${s} is not a valid domain`);
  }
  for (const o of (h['DnsOptions'] as string[] | null) ?? []) if (!/^[A-Za-z0-9_:.+-]+$/.test(o)) throw bad(`invalid DNS option: ${o}`);
}

function checkSecurityOpts(h: Json): void {
  for (const opt of (h['SecurityOpt'] as string[] | null) ?? []) {
    if (opt === 'no-new-privileges') continue;
    let kv = opt.split('=');
    if (kv.length === 1) kv = opt.split(':');
    const [k] = kv;
    if (kv.length < 2) throw bad(`invalid --security-opt 1: "${opt}"`);
    // seccomp=... is the seccomp module's to judge
    if (!['seccomp', 'apparmor', 'label', 'no-new-privileges', 'systempaths'].includes(k!)) throw bad(`invalid --security-opt 2: "${opt}"`);
  }
}

function checkLogConfig(h: Json): void {
  const lc = h['LogConfig'] as Json | null | undefined;
  if (!lc) return;
  checkType(lc['Type'], 'string', 'LogConfig.HostConfig.LogConfig.Type');
  checkType(lc['Config'], 'map[string]string', 'LogConfig.HostConfig.LogConfig.Config');
  const type = (lc['Type'] as string | null) ?? '';
  if (!['', 'json-file', 'k8s-file'].includes(type)) {
    if (DOCKER_LOG_DRIVERS.includes(type)) throw bad(`HostConfig.LogConfig.Type: log driver "${type}" (--log-driver) is not supported by berth; it has json-file only`);
    throw bad(`error looking up logging plugin ${type}: plugin "${type}" not found`);
  }
  for (const k of Object.keys((lc['Config'] as Json | null) ?? {})) {
    if (!JSON_FILE_OPTS.includes(k)) throw bad(`unknown log opt '${k}' for json-file log driver`);
    if (!BERTH_LOG_OPTS.includes(k)) throw bad(`HostConfig.LogConfig.Config: log opt '${k}' (--log-opt) of the json-file log driver is not supported by berth`);
  }
}

function checkMounts(h: Json): void {
  for (const b of (h['Binds'] as string[] | null) ?? []) {
    const parts = b.split(':');
    const dest = parts[1];
    if (dest !== undefined && dest !== '' && parts[0]!.startsWith('/')) {
      if (!dest.startsWith('/')) throw bad(`invalid volume specification: '${b}': invalid mount config for type "bind": invalid mount path: '${dest}' mount path must be absolute`);
      if (dest.replace(/\/+$/, '') === '' || dest.split('/').every((s) => s === '' || s === '.' || s === '..')) {
        throw bad(`invalid volume specification: '${b}': invalid mount config for type "bind": invalid specification: destination can't be '/'`);
      }
    }
  }
  for (const [dest, opts] of Object.entries((h['Tmpfs'] as Record<string, string> | null) ?? {})) {
    if (!dest.startsWith('/')) throw bad(`invalid mount path: '${dest}' mount path must be absolute`);
    if (dest.replace(/\/+$/, '') === '') throw bad(`invalid tmpfs mount: destination can't be '/'`);
    for (const o of opts.split(',').map((s) => s.trim()).filter(Boolean)) {
      if (!TMPFS_OPTS.test(o)) throw bad(`invalid tmpfs option ["${o.split('=').join('" "')}"]`);
    }
  }
  for (const p of [...((h['MaskedPaths'] as string[] | null) ?? []), ...((h['ReadonlyPaths'] as string[] | null) ?? [])]) {
    if (!p.startsWith('/')) throw bad(`invalid masked or read-only path "${p}": it must be absolute`);
  }
}

function checkRestart(h: Json): void {
  const rp = h['RestartPolicy'] as Json | null | undefined;
  if (!rp) return;
  checkType(rp['Name'], 'string', 'RestartPolicy.HostConfig.RestartPolicy.Name');
  checkType(rp['MaximumRetryCount'], 'int', 'RestartPolicy.HostConfig.RestartPolicy.MaximumRetryCount');
  const name = (rp['Name'] as string | null) ?? '';
  const max = (rp['MaximumRetryCount'] as number | null) ?? 0;
  if (!['', 'no', 'always', 'on-failure', 'unless-stopped'].includes(name)) throw bad(`invalid restart policy '${name}'`);
  if (max < 0) throw bad('maximum retry count cannot be negative');
  if (max > 0 && name !== 'on-failure') throw bad(`maximum retry count cannot be used with restart policy '${name}'`);
  if (h['AutoRemove'] === true && !['', 'no'].includes(name)) throw bad("can't create 'AutoRemove' container with restart policy");
}

function checkNetworking(b: Json, h: Json): void {
  const nc = b['NetworkingConfig'] as Json | null | undefined;
  if (!nc) return;
  checkType(nc['EndpointsConfig'], 'object', 'NetworkingConfig.EndpointsConfig');
  const eps = (nc['EndpointsConfig'] as Json | null) ?? {};
  const names = Object.keys(eps);
  if (names.length > 1) throw bad(`Container cannot be connected to network endpoints: ${names.join(', ')}`);
  const mode = (h['NetworkMode'] as string | null) || 'default';
  for (const n of names) {
    const ep = eps[n];
    if (ep === null) continue;
    if (typeof ep !== 'object' || Array.isArray(ep)) throw unmarshal(ep, `NetworkingConfig.EndpointsConfig`, 'network.EndpointSettings');
    for (const [k, v] of Object.entries(ep as Json)) {
      if (!isUnset(v)) throw bad(`NetworkingConfig.EndpointsConfig.${n}.${k} is not supported by berth yet`);
    }
    // an endpoint with nothing set asks for nothing more than the network mode does
    const same = n === mode || (['default', 'bridge'].includes(n) && ['default', 'bridge'].includes(mode));
    if (!same && !isUnset(ep)) throw bad(`NetworkingConfig.EndpointsConfig: network "${n}" is not the container's network mode "${mode}"; user-defined networks are not supported by berth yet`);
  }
}

function checkCaps(h: Json): void {
  for (const k of ['CapAdd', 'CapDrop']) {
    for (const c of (h[k] as string[] | null) ?? []) {
      if (c.toUpperCase() === 'ALL') continue;
      if (!ALL_CAPABILITIES.includes(normCap(c))) throw bad(`invalid ${k}: unknown capability: "${normCap(c)}"`);
    }
  }
}

/**
 * Checks a create body (the Config fields at its top level, HostConfig and NetworkingConfig inside)
 * and returns docker's warnings; throws an InvalidArgument error (400) with docker's message, or one
 * naming the field, for the first problem.
 */
export function validateCreateBody(body: Json, host: HostFacts): string[] {
  const warnings: string[] = [];
  for (const [k, t] of Object.entries(CONFIG_TYPES)) checkType(body[k], t, `ContainerConfigWrapper.${k}`);
  const h = (body['HostConfig'] as Json | null | undefined) ?? {};
  for (const [k, t] of Object.entries(HOST_TYPES)) checkType(h[k], t, `HostConfig.HostConfig.${k}`);
  for (const [k, msg] of Object.entries(DOCKER_WORDS)) {
    const [where, f] = k.split('.') as [string, string];
    const v = (where === 'Config' ? body : h)[f];
    if (MAPS.includes(k) ? typeof v === 'object' && v !== null && Object.keys(v).length > 0 : !isUnset(v)) throw bad(msg);
  }
  for (const [k, flag] of Object.entries(REFUSED)) {
    const [where, f] = k.split('.') as [string, string];
    const v = (where === 'Config' ? body : h)[f];
    // a map (Volumes {"/data": {}}) is set by its keys, whatever their values
    const set = MAPS.includes(k) ? typeof v === 'object' && v !== null && Object.keys(v).length > 0 : !isUnset(v);
    if (set) throw bad(`${k} (${flag}) is not supported by berth`);
  }
  checkConfig(body, h);
  checkResources(h, host, warnings);
  checkNamespaces(h);
  checkSysctls(h);
  checkDevices(h);
  checkNetworkish(h);
  checkSecurityOpts(h);
  checkLogConfig(h);
  checkMounts(h);
  checkRestart(h);
  checkNetworking(body, h);
  checkCaps(h);
  const runtime = (h['Runtime'] as string | null) ?? '';
  if (runtime !== '' && runtime !== host.runtime) throw bad(`Unknown runtime specified ${runtime}`);
  const cs = h['ConsoleSize'] as number[] | null | undefined;
  if (cs && cs.length !== 2) throw bad(`json: cannot unmarshal array into Go struct field HostConfig.HostConfig.ConsoleSize of type [2]uint`);
  return warnings;
}
