// Host ports for published container ports: validation, the "already
// allocated" check against other containers' mappings, a probe bind so a port
// a host process listens on is refused as docker refuses it, and random ports
// (`-p 80`, `-p 127.0.0.1::80`) from the kernel's ephemeral range.
import * as net from 'node:net';
import * as dgram from 'node:dgram';
import { promises as fsp } from 'node:fs';
import { conflict, errnoCode, invalidArgument, messageOf } from '../../common/errors.js';
import type { PortMapping } from '../index.js';
import { bindingsOverlap, isIPv4 } from '../ports.js';

export function normalizePort(p: PortMapping): PortMapping {
  const hostIp = p.hostIp === '0.0.0.0' ? '' : p.hostIp;
  const okPort = (n: number, zeroOk: boolean) => Number.isInteger(n) && n >= (zeroOk ? 0 : 1) && n <= 65535;
  if (hostIp !== '' && !isIPv4(hostIp)) throw invalidArgument(`published port: host address ${hostIp} is not an IPv4 address`);
  if (!okPort(p.hostPort, true) || !okPort(p.containerPort, false)) throw invalidArgument(`published port: invalid port in ${JSON.stringify(p)}`);
  if (p.protocol !== 'tcp' && p.protocol !== 'udp') throw invalidArgument(`published port: unsupported protocol ${String(p.protocol)}`);
  return { hostIp, hostPort: p.hostPort, containerPort: p.containerPort, protocol: p.protocol };
}

/** Try to bind the host address and port; resolves to the errno code on failure. */
export function probeBind(p: PortMapping): Promise<string | undefined> {
  const host = p.hostIp || '0.0.0.0';
  if (p.protocol === 'udp') {
    return new Promise((resolve) => {
      const s = dgram.createSocket('udp4');
      s.once('error', (err) => {
        s.close();
        resolve(errnoCode(err) ?? messageOf(err));
      });
      s.bind({ address: host, port: p.hostPort, exclusive: true }, () => s.close(() => resolve(undefined)));
    });
  }
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', (err) => resolve(errnoCode(err) ?? messageOf(err)));
    s.listen({ host, port: p.hostPort, exclusive: true }, () => s.close(() => resolve(undefined)));
  });
}

async function ephemeralRange(): Promise<[number, number]> {
  try {
    const [a, b] = (await fsp.readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')).trim().split(/\s+/).map(Number);
    if (a && b && a <= b) return [a, b];
  } catch {
    /* not Linux */
  }
  return [32768, 60999];
}

function allocatedMessage(p: PortMapping): string {
  return `Bind for ${p.hostIp || '0.0.0.0'}:${p.hostPort} failed: port is already allocated`;
}

/**
 * Give every mapping a concrete host port. `taken` are the mappings of other
 * containers (and of ones being attached right now).
 */
export async function resolveHostPorts(requested: readonly PortMapping[], taken: readonly PortMapping[], nextRandom: () => number): Promise<PortMapping[]> {
  const out: PortMapping[] = [];
  for (const req of requested.map(normalizePort)) {
    const busy = [...taken, ...out];
    if (req.hostPort !== 0) {
      if (busy.some((t) => bindingsOverlap(t, req))) throw conflict(allocatedMessage(req));
      const err = await probeBind(req);
      if (err === 'EADDRINUSE') throw conflict(`${allocatedMessage(req)}: a host process is using it`);
      if (err === 'EADDRNOTAVAIL') throw invalidArgument(`published port: ${req.hostIp} is not an address of this host`);
      if (err === 'EACCES') throw invalidArgument(`published port ${req.hostPort}: permission denied`);
      if (err) throw invalidArgument(`published port ${req.hostIp || '0.0.0.0'}:${req.hostPort}: ${err}`);
      out.push(req);
      continue;
    }
    const [lo, hi] = await ephemeralRange();
    const span = hi - lo + 1;
    let found: PortMapping | undefined;
    for (let i = 0; i < Math.min(span, 200) && !found; i++) {
      const cand = { ...req, hostPort: lo + (nextRandom() % span) };
      if (busy.some((t) => bindingsOverlap(t, cand))) continue;
      const err = await probeBind(cand);
      if (err === 'EADDRNOTAVAIL') throw invalidArgument(`published port: ${req.hostIp} is not an address of this host`);
      if (!err) found = cand;
    }
    if (!found) throw conflict(`no free host port for ${req.containerPort}/${req.protocol} in ${lo}-${hi}`);
    out.push(found);
  }
  return out;
}
