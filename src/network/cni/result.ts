// Reading what the plugins print: a CNI 1.0.0 result on success, an error
// object on failure. Both cross a process boundary, so both are validated.
import { internal } from '../../common/errors.js';

export interface CniInterface {
  name: string;
  mac?: string;
  sandbox?: string;
}

export interface CniIPConfig {
  address: string;
  gateway?: string;
  interface?: number;
}

export interface CniResult {
  cniVersion: string;
  interfaces: CniInterface[];
  ips: CniIPConfig[];
  routes?: { dst: string; gw?: string }[];
  dns?: Record<string, unknown>;
}

export interface CniError {
  code: number;
  msg: string;
  details?: string;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const optStr = (v: unknown): v is string | undefined => v === undefined || typeof v === 'string';

export function parseCniResult(value: unknown, what = 'CNI result'): CniResult {
  if (!isObj(value)) throw internal(`${what}: not a JSON object`);
  const interfaces = value.interfaces ?? [];
  const ips = value.ips ?? [];
  if (!Array.isArray(interfaces) || !Array.isArray(ips)) throw internal(`${what}: interfaces and ips must be lists`);
  for (const i of interfaces) {
    if (!isObj(i) || typeof i.name !== 'string' || !optStr(i.mac) || !optStr(i.sandbox)) throw internal(`${what}: bad interface entry ${JSON.stringify(i)}`);
  }
  for (const ip of ips) {
    if (!isObj(ip) || typeof ip.address !== 'string' || !optStr(ip.gateway) || (ip.interface !== undefined && typeof ip.interface !== 'number')) {
      throw internal(`${what}: bad ips entry ${JSON.stringify(ip)}`);
    }
  }
  return { ...(value as object), cniVersion: String(value.cniVersion ?? ''), interfaces, ips } as CniResult;
}

export interface SandboxAddress {
  ifname: string;
  ipAddress: string;
  prefixLen: number;
  gateway?: string;
  macAddress?: string;
}

/**
 * The container's IPv4 address: the `ips` entry whose `interface` index points
 * at an interface with a `sandbox` (the one inside the netns); if no entry has
 * an index, the first IPv4 entry.
 */
export function sandboxAddress(r: CniResult): SandboxAddress | undefined {
  const v4 = r.ips.filter((ip) => !ip.address.includes(':'));
  const inSandbox = v4.find((ip) => ip.interface !== undefined && r.interfaces[ip.interface]?.sandbox !== undefined);
  const pick = inSandbox ?? (v4.every((ip) => ip.interface === undefined) ? v4[0] : undefined);
  if (!pick) return undefined;
  const [addr, len] = pick.address.split('/');
  const prefixLen = Number(len);
  if (!addr || !Number.isInteger(prefixLen) || prefixLen < 0 || prefixLen > 32) throw internal(`CNI result: bad address ${pick.address}`);
  const iface = pick.interface !== undefined ? r.interfaces[pick.interface] : undefined;
  return { ifname: iface?.name ?? 'eth0', ipAddress: addr, prefixLen, gateway: pick.gateway, macAddress: iface?.mac };
}

/** A plugin's error object from its stdout, or undefined when stdout is not one. */
export function parseCniError(stdout: string): CniError | undefined {
  try {
    const v: unknown = JSON.parse(stdout);
    if (isObj(v) && typeof v.code === 'number' && typeof v.msg === 'string') {
      return { code: v.code, msg: v.msg, details: typeof v.details === 'string' ? v.details : undefined };
    }
  } catch {
    /* not JSON */
  }
  return undefined;
}

/** DEL errors that mean "already gone" (a chain, link, or netns that does not exist). */
export function isAlreadyGone(message: string): boolean {
  return /does not exist|no such file or directory|not found|no such device|no chain\/target\/match by that name/i.test(message);
}
