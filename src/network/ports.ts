// Docker's `-p` / `--publish` syntax, parsed as docker's nat.ParsePortSpec does:
//
//   containerPort[/proto]                    random host port, all addresses
//   hostPort:containerPort[/proto]
//   ip:hostPort:containerPort[/proto]        ip may be [v6] in brackets
//   ip::containerPort[/proto]                random host port on ip
//   8000-8001:80-81                          equal-length ranges map pairwise
//
// A host port of 0 means "pick a free one" (resolved by the network manager at
// attach time). A host range with a single container port (docker picks the
// first free port of the range) is refused with a clear message.
import { invalidArgument } from '../common/errors.js';
import type { PortMapping } from './index.js';

const PROTOCOLS = new Set(['tcp', 'udp']);

interface Range {
  start: number;
  end: number;
}

function parseRange(text: string, what: 'containerPort' | 'hostPort', spec: string): Range {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text);
  if (!m) throw invalidArgument(`invalid ${what}: ${text} (in "${spec}")`);
  const start = Number(m[1]);
  const end = m[2] === undefined ? start : Number(m[2]);
  if (start > 65535 || end > 65535 || end < start) throw invalidArgument(`invalid ${what}: ${text} (in "${spec}")`);
  if (what === 'containerPort' && start === 0) throw invalidArgument(`invalid containerPort: ${text} (in "${spec}")`);
  return { start, end };
}

export function isIPv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255 && (p === '0' || !p.startsWith('0')));
}

function isIPv6(s: string): boolean {
  return /^[0-9a-fA-F:.]+$/.test(s) && s.includes(':') && s.split('::').length <= 2;
}

/** Split "ip:host:container" respecting an IPv6 address in brackets. */
function splitSpec(body: string, spec: string): { ip: string; host: string; container: string } {
  let ip = '';
  let rest = body;
  if (body.startsWith('[')) {
    const close = body.indexOf(']');
    if (close < 0 || body[close + 1] !== ':') throw invalidArgument(`invalid port specification: "${spec}"`);
    ip = body.slice(1, close);
    if (!isIPv6(ip)) throw invalidArgument(`invalid ip address: ${ip} (in "${spec}")`);
    rest = body.slice(close + 2);
    const parts = rest.split(':');
    if (parts.length !== 2) throw invalidArgument(`invalid port specification: "${spec}"`);
    return { ip, host: parts[0]!, container: parts[1]! };
  }
  const parts = body.split(':');
  switch (parts.length) {
    case 1:
      return { ip: '', host: '', container: parts[0]! };
    case 2:
      return { ip: '', host: parts[0]!, container: parts[1]! };
    case 3:
      return { ip: parts[0]!, host: parts[1]!, container: parts[2]! };
    default:
      throw invalidArgument(`invalid port specification: "${spec}"`);
  }
}

/** Parse one `-p` value into one mapping per container port. */
export function parsePortSpec(spec: string): PortMapping[] {
  const raw = spec.trim();
  if (raw === '') throw invalidArgument('invalid port specification: empty');
  let body = raw;
  let protocol = 'tcp';
  const slash = raw.lastIndexOf('/');
  if (slash >= 0) {
    body = raw.slice(0, slash);
    protocol = raw.slice(slash + 1).toLowerCase();
    if (protocol === 'sctp') throw invalidArgument(`unsupported protocol: sctp (in "${spec}"): berth publishes tcp and udp`);
    if (!PROTOCOLS.has(protocol)) throw invalidArgument(`invalid proto: ${raw.slice(slash + 1)} (in "${spec}")`);
  }
  const { ip, host, container } = splitSpec(body, spec);
  if (ip !== '' && !isIPv4(ip)) {
    if (isIPv6(ip)) throw invalidArgument(`IPv6 host address ${ip} is not supported (in "${spec}"): berth's bridge network is IPv4 only`);
    throw invalidArgument(`invalid ip address: ${ip} (in "${spec}")`);
  }
  const c = parseRange(container, 'containerPort', spec);
  const h = host === '' ? { start: 0, end: 0 } : parseRange(host, 'hostPort', spec);
  const count = c.end - c.start + 1;
  const hostCount = h.end - h.start + 1;
  const randomHost = h.start === 0 && h.end === 0;
  if (!randomHost && hostCount !== count) {
    if (count === 1) {
      throw invalidArgument(`host port range ${host} for a single container port is not supported (in "${spec}"): give one host port, or none for a random one`);
    }
    throw invalidArgument(`invalid ranges specified for container and host ports: ${container} and ${host}`);
  }
  if (!randomHost && h.start === 0 && count > 1) throw invalidArgument(`invalid hostPort: ${host} (in "${spec}")`);
  const hostIp = ip === '0.0.0.0' ? '' : ip;
  const out: PortMapping[] = [];
  for (let i = 0; i < count; i++) {
    out.push({ hostIp, hostPort: randomHost ? 0 : h.start + i, containerPort: c.start + i, protocol: protocol as 'tcp' | 'udp' });
  }
  return out;
}

/** Parse every `-p` value; a later duplicate of the same host binding is an error, as in docker. */
export function parsePortSpecs(specs: readonly string[]): PortMapping[] {
  const all = specs.flatMap(parsePortSpec);
  const seen = new Set<string>();
  for (const p of all) {
    if (p.hostPort === 0) continue;
    const key = `${p.hostIp || '0.0.0.0'}:${p.hostPort}/${p.protocol}`;
    if (seen.has(key)) throw invalidArgument(`host port ${key} is published twice`);
    seen.add(key);
  }
  return all;
}

/** Two bindings collide when protocol and port match and the addresses overlap ('' = all). */
export function bindingsOverlap(a: PortMapping, b: PortMapping): boolean {
  return a.protocol === b.protocol && a.hostPort === b.hostPort && (a.hostIp === '' || b.hostIp === '' || a.hostIp === b.hostIp);
}

/** Docker's PORTS column form: "127.0.0.1:8080->80/tcp", "0.0.0.0:8800->80/tcp". */
export function formatPortMapping(p: PortMapping): string {
  return `${p.hostIp || '0.0.0.0'}:${p.hostPort}->${p.containerPort}/${p.protocol}`;
}

/** The Engine API's HostConfig.PortBindings: {"80/tcp": [{"HostIp": "", "HostPort": "8800"}]}. */
export type PortBindings = Record<string, { HostIp?: string; HostPort?: string }[] | null>;

/** PortBindings (what `docker run -p` sends) → mappings for attach; HostPort "" means a random port. */
export function portBindingsToMappings(bindings: PortBindings | null | undefined): PortMapping[] {
  const out: PortMapping[] = [];
  for (const [key, list] of Object.entries(bindings ?? {})) {
    const m = /^(\d{1,5})(?:\/(tcp|udp|sctp))?$/i.exec(key);
    if (!m) throw invalidArgument(`invalid port in PortBindings: ${JSON.stringify(key)}`);
    const proto = (m[2] ?? 'tcp').toLowerCase();
    for (const b of list ?? [{}]) {
      const ip = b.HostIp ?? '';
      const host = b.HostPort ?? '';
      const ipPart = ip.includes(':') ? `[${ip}]` : ip;
      const spec = ip ? `${ipPart}:${host}:${m[1]}` : host ? `${host}:${m[1]}` : m[1]!;
      out.push(...parsePortSpec(`${spec}/${proto}`));
    }
  }
  return out;
}

/** NetworkSettings.Ports as docker reports a running container's published ports. */
export function mappingsToNetworkSettingsPorts(ports: readonly PortMapping[]): Record<string, { HostIp: string; HostPort: string }[]> {
  const out: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of ports) (out[`${p.containerPort}/${p.protocol}`] ??= []).push({ HostIp: p.hostIp || '0.0.0.0', HostPort: String(p.hostPort) });
  return out;
}
