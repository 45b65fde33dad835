// The three files docker writes for a container and bind-mounts over its
// /etc: hosts, hostname and resolv.conf. Pure functions of their inputs (the
// daemon reads the host's files and writes the results into the container's
// directory); nothing here queries DNS.
import { invalidArgument } from '../common/errors.js';
import { isIPv4 } from './ports.js';

export interface ExtraHost {
  name: string;
  ip: string;
}

export interface HostsFileOptions {
  hostname: string;
  domainname?: string;
  /** the container's address on its network; absent for `--network none` */
  ip?: string;
  /** `--add-host name:ip` entries, in order */
  extraHosts?: readonly ExtraHost[];
}

// libnetwork's etchosts default content, tab-separated as docker writes it.
const DEFAULT_HOSTS = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
];

/** /etc/hosts for a bridge or none container: defaults, --add-host lines, then "<ip>\t<hostname>". */
export function hostsFile(o: HostsFileOptions): string {
  const lines = [...DEFAULT_HOSTS];
  for (const h of o.extraHosts ?? []) lines.push(`${h.ip}\t${h.name}`);
  if (o.ip) {
    const names = o.domainname ? `${o.hostname}.${o.domainname} ${o.hostname}` : o.hostname;
    lines.push(`${o.ip}\t${names}`);
  }
  return lines.join('\n') + '\n';
}

/** /etc/hosts for `--network host`: docker copies the host's file, adding --add-host lines if any. */
export function hostModeHostsFile(hostHosts: string, extraHosts: readonly ExtraHost[] = []): string {
  if (extraHosts.length === 0) return hostHosts;
  const base = hostHosts.endsWith('\n') || hostHosts === '' ? hostHosts : hostHosts + '\n';
  return base + extraHosts.map((h) => `${h.ip}\t${h.name}\n`).join('');
}

export function hostnameFile(hostname: string): string {
  return `${hostname}\n`;
}

export interface ResolvConfOptions {
  /** `--dns`, `--dns-search`, `--dns-option`: when any is given docker writes a file from them */
  dns?: readonly string[];
  dnsSearch?: readonly string[];
  dnsOptions?: readonly string[];
  /** IPv6 on the container's network; berth's bridge is IPv4 only, so false by default */
  ipv6?: boolean;
}

const LOCALHOST_NS = /^[ \t]*nameserver[ \t]+(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1)[ \t]*$/;
const IPV6_NS = /^[ \t]*nameserver[ \t]+([0-9A-Fa-f:]*:[0-9A-Fa-f:.]*)[ \t]*$/;
const DEFAULT_V4 = ['nameserver 8.8.8.8', 'nameserver 8.8.4.4'];
const DEFAULT_V6 = ['nameserver 2001:4860:4860::8888', 'nameserver 2001:4860:4860::8844'];

export function nameservers(resolvConf: string): string[] {
  const out: string[] = [];
  for (const line of resolvConf.split('\n')) {
    const m = /^[ \t]*nameserver[ \t]+(\S+)/.exec(line);
    if (m) out.push(m[1]!);
  }
  return out;
}

/**
 * /etc/resolv.conf for a container on a bridge (or none) network, as docker's
 * FilterResolvDNS makes it: the host's file with localhost nameservers (127.x,
 * ::1) blanked out, IPv6 ones too unless the network has IPv6, and docker's
 * public defaults appended only when no nameserver is left. search/options
 * lines are kept.
 */
export function resolvConfFile(hostResolvConf: string, o: ResolvConfOptions = {}): string {
  if (o.dns?.length || o.dnsSearch?.length || o.dnsOptions?.length) return explicitResolvConf(hostResolvConf, o);
  const lines = hostResolvConf.split('\n').map((line) => {
    if (LOCALHOST_NS.test(line)) return '';
    if (!o.ipv6 && IPV6_NS.test(line)) return '';
    return line;
  });
  let text = lines.join('\n');
  if (nameservers(text).length === 0) {
    const dns = o.ipv6 ? [...DEFAULT_V4, ...DEFAULT_V6] : DEFAULT_V4;
    text += '\n' + dns.join('\n');
  }
  return text.endsWith('\n') ? text : text + '\n';
}

/** Docker: given --dns/--dns-search/--dns-option, each replaces the host's lines of that kind. */
function explicitResolvConf(host: string, o: ResolvConfOptions): string {
  const hostLines = host.split('\n');
  const pick = (key: string) =>
    hostLines
      .map((l) => new RegExp(`^[ \\t]*${key}[ \\t]+(.*)$`).exec(l)?.[1]?.trim())
      .filter((v): v is string => !!v);
  const ns = o.dns?.length ? [...o.dns] : nameservers(resolvConfFile(host, { ipv6: o.ipv6 }));
  const search = o.dnsSearch?.length ? o.dnsSearch.filter((s) => s !== '.') : pick('(?:search|domain)').flatMap((s) => s.split(/\s+/));
  const options = o.dnsOptions?.length ? [...o.dnsOptions] : pick('options').flatMap((s) => s.split(/\s+/));
  const out: string[] = [];
  if (search.length) out.push(`search ${search.join(' ')}`);
  for (const n of ns) out.push(`nameserver ${n}`);
  if (options.length) out.push(`options ${options.join(' ')}`);
  return out.join('\n') + '\n';
}

/** `--network host`: docker copies the host's resolv.conf unchanged (its 127.x resolver is reachable). */
export function hostModeResolvConf(hostResolvConf: string): string {
  return hostResolvConf;
}

/**
 * When the host runs systemd-resolved (only 127.0.0.53 in /etc/resolv.conf),
 * docker reads the upstream list from /run/systemd/resolve/resolv.conf instead.
 * Returns the path the daemon should read.
 */
export function hostResolvConfPath(etcResolvConf: string): string {
  const ns = nameservers(etcResolvConf);
  return ns.length === 1 && ns[0] === '127.0.0.53' ? '/run/systemd/resolve/resolv.conf' : '/etc/resolv.conf';
}

/** Validate `--add-host name:ip` (docker also accepts name=ip in newer versions). */
export function parseExtraHost(spec: string): ExtraHost {
  const m = /^([^:=\s]+)[:=](.+)$/.exec(spec);
  const ip = m?.[2]?.replace(/^\[(.*)\]$/, '$1');
  if (!m || !ip || !(isIPv4(ip) || (ip.includes(':') && /^[0-9a-fA-F:.]+$/.test(ip)))) {
    throw invalidArgument(`invalid argument "${spec}" for "--add-host": expected host:ip`);
  }
  return { name: m[1]!, ip };
}
