// The HostConfig fields berth honours in the OCI spec beyond its first ones
// (--privileged, --device, --sysctl, --shm-size, --pid/--ipc/--uts host,
// --cgroupns, --group-add, --oom-score-adj, --cpuset-*, --memory-reservation,
// --memory-swappiness): turned into spec options, reading the host only for
// device nodes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { invalidArgument } from '../../common/errors.js';
import { ALL_CAPABILITIES, type OciDevice, type OciUser, type SpecOptions } from '../../runtime/index.js';
import type { HostConfig } from './types.js';

/** A device node on the host as the spec's device entry at `inContainer`. */
export function deviceAt(onHost: string, inContainer: string, access: string): OciDevice {
  let st: fs.Stats;
  try {
    st = fs.statSync(onHost);
  } catch (err) {
    throw invalidArgument(`error gathering device information while adding custom device "${onHost}": ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
  }
  if (!st.isCharacterDevice() && !st.isBlockDevice()) throw invalidArgument(`error gathering device information while adding custom device "${onHost}": not a device node`);
  const rdev = st.rdev;
  // glibc's major/minor split of dev_t
  const major = ((rdev >> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
  const minor = (rdev & 0xff) | ((rdev >> 12) & 0xfff00);
  return { path: inContainer, type: st.isBlockDevice() ? 'b' : 'c', major, minor, fileMode: st.mode & 0o7777, uid: st.uid, gid: st.gid, access };
}

// moby's HostDevices skips these: they are mounted by the spec itself or are not devices of the host's own
const SKIP = new Set(['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev', 'console']);

/** Every device node under the host's /dev, as --privileged gets them (moby's devices.HostDevices). */
export function hostDevices(dir = '/dev', depth = 0): OciDevice[] {
  const out: OciDevice[] = [];
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (depth === 0 && SKIP.has(e.name)) continue;
      if (depth < 4) out.push(...hostDevices(p, depth + 1));
    } else if (e.isCharacterDevice() || e.isBlockDevice()) {
      if (depth === 0 && SKIP.has(e.name)) continue;
      try {
        out.push(deviceAt(p, p, 'rwm'));
      } catch {
        /* gone meanwhile */
      }
    }
  }
  return out;
}

/** The capabilities in berthd's own bounding set (all of them, unless berthd itself runs confined). */
export function boundingCaps(status = readStatus()): string[] {
  const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(status);
  if (!m) return ALL_CAPABILITIES;
  const bits = BigInt(`0x${m[1]}`);
  return ALL_CAPABILITIES.filter((_, i) => (bits >> BigInt(i)) & 1n);
}

function readStatus(): string {
  try {
    return fs.readFileSync('/proc/self/status', 'utf8');
  } catch {
    return '';
  }
}

/** A --group-add entry: a number, or a group name looked up in the container's /etc/group. */
export function groupId(g: string, groupText: string): number {
  if (/^\d+$/.test(g)) return Number(g);
  for (const line of groupText.split('\n')) {
    const f = line.split(':');
    if (f[0] === g && /^\d+$/.test(f[2] ?? '')) return Number(f[2]);
  }
  throw invalidArgument(`Unable to find group ${g}: no matching entries in group file`);
}

export function addedSpecOptions(h: HostConfig, groupText: string, user: OciUser): Partial<SpecOptions> {
  const o: Partial<SpecOptions> = {};
  if (h.Privileged) {
    o.privileged = true;
    o.privilegedCaps = boundingCaps();
    o.devices = hostDevices();
  }
  const mapped = (h.Devices ?? []).map((d) => deviceAt(d.PathOnHost, d.PathInContainer || d.PathOnHost, d.CgroupPermissions || 'rwm'));
  if (mapped.length) o.devices = [...(o.devices ?? []).filter((d) => !mapped.some((m) => m.path === d.path)), ...mapped];
  if (h.Sysctls && Object.keys(h.Sysctls).length) o.sysctls = h.Sysctls;
  if (h.ShmSize) o.shmSize = h.ShmSize;
  if (h.PidMode === 'host') o.pidHost = true;
  if (h.IpcMode === 'host' || h.IpcMode === 'none') o.ipcMode = h.IpcMode;
  if (h.UTSMode === 'host') o.utsHost = true;
  if (h.CgroupnsMode === 'private') o.cgroupnsPrivate = true;
  if (h.OomScoreAdj) o.oomScoreAdj = h.OomScoreAdj;
  if (h.CpusetCpus) o.cpusetCpus = h.CpusetCpus;
  if (h.CpusetMems) o.cpusetMems = h.CpusetMems;
  if (h.MemoryReservation) o.memoryReservation = h.MemoryReservation;
  if (h.MemorySwappiness !== undefined && h.MemorySwappiness !== null && h.MemorySwappiness >= 0) o.memorySwappiness = h.MemorySwappiness;
  if (h.MaskedPaths) o.maskedPaths = h.MaskedPaths;
  if (h.ReadonlyPaths) o.readonlyPaths = h.ReadonlyPaths;
  if (h.GroupAdd?.length) {
    const gids = [...(user.additionalGids ?? [])];
    for (const g of h.GroupAdd) {
      const id = groupId(g, groupText);
      if (!gids.includes(id)) gids.push(id);
    }
    o.user = { ...user, additionalGids: gids };
  }
  return o;
}
