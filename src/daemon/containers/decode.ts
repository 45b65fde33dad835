// The create body's field types as docker's Go structs declare them, and the
// encoding/json errors a value of the wrong type gets (with docker's struct
// paths), so that a type error reads as dockerd's does. Pure.
import { invalidArgument } from '../../common/errors.js';

type Json = Record<string, unknown>;

/** Go's type for each field, for decoding errors worded as encoding/json words them. */
export type GoType = 'int64' | 'int' | 'uint16' | 'bool' | 'string' | '[]string' | 'map[string]string' | 'object' | 'array' | 'strslice' | '[]uint';

export const CONFIG_TYPES: Record<string, GoType> = {
  Hostname: 'string', Domainname: 'string', User: 'string', AttachStdin: 'bool', AttachStdout: 'bool', AttachStderr: 'bool',
  ExposedPorts: 'object', Tty: 'bool', OpenStdin: 'bool', StdinOnce: 'bool', Env: '[]string', Cmd: 'strslice', Healthcheck: 'object',
  ArgsEscaped: 'bool', Image: 'string', Volumes: 'object', WorkingDir: 'string', Entrypoint: 'strslice', NetworkDisabled: 'bool',
  MacAddress: 'string', OnBuild: '[]string', Labels: 'map[string]string', StopSignal: 'string', StopTimeout: 'int', Shell: 'strslice',
  HostConfig: 'object', NetworkingConfig: 'object',
};

export const HOST_TYPES: Record<string, GoType> = {
  CpuShares: 'int64', Memory: 'int64', CgroupParent: 'string', BlkioWeight: 'uint16', BlkioWeightDevice: 'array', BlkioDeviceReadBps: 'array',
  BlkioDeviceWriteBps: 'array', BlkioDeviceReadIOps: 'array', BlkioDeviceWriteIOps: 'array', CpuPeriod: 'int64', CpuQuota: 'int64',
  CpuRealtimePeriod: 'int64', CpuRealtimeRuntime: 'int64', CpusetCpus: 'string', CpusetMems: 'string', Devices: 'array',
  DeviceCgroupRules: '[]string', DeviceRequests: 'array', KernelMemory: 'int64', KernelMemoryTCP: 'int64', MemoryReservation: 'int64',
  MemorySwap: 'int64', MemorySwappiness: 'int64', NanoCpus: 'int64', OomKillDisable: 'bool', Init: 'bool', PidsLimit: 'int64',
  Ulimits: 'array', CpuCount: 'int64', CpuPercent: 'int64', IOMaximumIOps: 'int64', IOMaximumBandwidth: 'int64', Binds: '[]string',
  ContainerIDFile: 'string', LogConfig: 'object', NetworkMode: 'string', PortBindings: 'object', RestartPolicy: 'object',
  AutoRemove: 'bool', VolumeDriver: 'string', VolumesFrom: '[]string', Mounts: 'array', ConsoleSize: '[]uint', Annotations: 'map[string]string',
  CapAdd: '[]string', CapDrop: '[]string', CgroupnsMode: 'string', Dns: '[]string', DnsOptions: '[]string', DnsSearch: '[]string',
  ExtraHosts: '[]string', GroupAdd: '[]string', IpcMode: 'string', Cgroup: 'string', Links: '[]string', OomScoreAdj: 'int',
  PidMode: 'string', Privileged: 'bool', PublishAllPorts: 'bool', ReadonlyRootfs: 'bool', SecurityOpt: '[]string', StorageOpt: 'map[string]string',
  Tmpfs: 'map[string]string', UTSMode: 'string', UsernsMode: 'string', ShmSize: 'int64', Sysctls: 'map[string]string', Runtime: 'string',
  Isolation: 'string', MaskedPaths: '[]string', ReadonlyPaths: '[]string',
};

function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v;
}

/** encoding/json's "cannot unmarshal" for a value of the wrong type, with docker's struct path. */
export function unmarshal(v: unknown, where: string, type: string): Error {
  const what = typeof v === 'number' ? `number ${String(v)}` : jsonType(v);
  return invalidArgument(`json: cannot unmarshal ${what} into Go struct field ${where} of type ${type}`);
}

const INT_RANGE: Record<string, [number, number]> = {
  int64: [-(2 ** 63), 2 ** 63 - 1], int: [-(2 ** 63), 2 ** 63 - 1], uint16: [0, 65535], uint: [0, 2 ** 64 - 1],
};

export function checkType(v: unknown, t: GoType, where: string): void {
  if (v === null || v === undefined) return;
  switch (t) {
    case 'int64': case 'int': case 'uint16':
      if (typeof v !== 'number') throw unmarshal(v, where, t);
      if (!Number.isInteger(v) || v < INT_RANGE[t]![0] || v > INT_RANGE[t]![1]) throw unmarshal(v, where, t);
      return;
    case 'bool': if (typeof v !== 'boolean') throw unmarshal(v, where, 'bool'); return;
    case 'string': if (typeof v !== 'string') throw unmarshal(v, where, 'string'); return;
    case '[]string':
      if (!Array.isArray(v)) throw unmarshal(v, where, '[]string');
      for (const x of v) if (typeof x !== 'string') throw unmarshal(x, where, 'string');
      return;
    case 'strslice':
      if (typeof v === 'string') return;
      if (!Array.isArray(v)) throw unmarshal(v, where, 'strslice.StrSlice');
      for (const x of v) if (typeof x !== 'string') throw unmarshal(x, where, 'string');
      return;
    case '[]uint':
      if (!Array.isArray(v)) throw unmarshal(v, where, '[2]uint');
      for (const x of v) if (typeof x !== 'number' || !Number.isInteger(x) || x < 0) throw unmarshal(x, where, 'uint');
      return;
    case 'map[string]string':
      if (typeof v !== 'object' || Array.isArray(v)) throw unmarshal(v, where, 'map[string]string');
      for (const x of Object.values(v as Json)) if (typeof x !== 'string') throw unmarshal(x, where, 'string');
      return;
    case 'object': if (typeof v !== 'object' || Array.isArray(v)) throw unmarshal(v, where, 'struct'); return;
    case 'array': if (!Array.isArray(v)) throw unmarshal(v, where, '[]struct'); return;
  }
}

/** The value the docker CLI sends for a flag that was not given. */
export function isUnset(v: unknown): boolean {
  if (v === null || v === undefined || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.every(isUnset);
  if (typeof v === 'object') return Object.values(v as Json).every(isUnset);
  return false;
}
