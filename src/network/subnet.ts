// IPv4 CIDR arithmetic and the choice of a default subnet that does not
// collide with the host's routes, addresses or nameservers (docker0 is
// 172.17.0.0/16 on these machines; a cloud VPC may use any of 10/8). Pure.
import { invalidArgument } from '../common/errors.js';
import { isIPv4 } from './ports.js';

export interface Cidr {
  base: number;
  prefixLen: number;
}

export function ipToInt(ip: string): number {
  if (!isIPv4(ip)) throw invalidArgument(`invalid IPv4 address: ${ip}`);
  return ip.split('.').reduce((acc, p) => acc * 256 + Number(p), 0);
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function parseCidr(text: string): Cidr {
  const [ip, len] = text.split('/');
  const prefixLen = len === undefined ? 32 : Number(len);
  if (!ip || !/^\d{1,2}$/.test(len ?? '32') || prefixLen > 32) throw invalidArgument(`invalid CIDR: ${text}`);
  const size = 2 ** (32 - prefixLen);
  const base = Math.floor(ipToInt(ip) / size) * size;
  return { base, prefixLen };
}

export function formatCidr(c: Cidr): string {
  return `${intToIp(c.base)}/${c.prefixLen}`;
}

function lastAddr(c: Cidr): number {
  return c.base + 2 ** (32 - c.prefixLen) - 1;
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.base <= lastAddr(b) && b.base <= lastAddr(a);
}

/** The first host address of a subnet: the bridge's gateway address. */
export function gatewayOf(subnet: string): string {
  const c = parseCidr(subnet);
  if (c.prefixLen > 30) throw invalidArgument(`subnet ${subnet} is too small for a bridge network`);
  return intToIp(c.base + 1);
}

export const DEFAULT_SUBNET_CANDIDATES: readonly string[] = [
  ...Array.from({ length: 12 }, (_, i) => `10.${88 + i}.0.0/16`),
  ...Array.from({ length: 13 }, (_, i) => `172.${18 + i}.0.0/16`),
  ...Array.from({ length: 16 }, (_, i) => `192.168.${200 + i}.0/24`),
];

/** Is `subnet` clear of every CIDR or address in `inUse`? Returns the first clash. */
export function subnetConflict(subnet: string, inUse: readonly string[]): string | undefined {
  const c = parseCidr(subnet);
  return inUse.find((u) => cidrsOverlap(c, parseCidr(u)));
}

/** The first candidate that overlaps nothing in `inUse` (routes, interface addresses, nameservers). */
export function pickFreeSubnet(inUse: readonly string[], candidates: readonly string[] = DEFAULT_SUBNET_CANDIDATES): string {
  const free = candidates.find((s) => subnetConflict(s, inUse) === undefined);
  if (!free) throw invalidArgument(`no free subnet for the default bridge among ${candidates.length} candidates; set one in the daemon config`);
  return free;
}
