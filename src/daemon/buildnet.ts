// The builder's networks, made with the daemon's CNI network manager: per
// build, at most one bridge attachment and one none attachment (each made at
// the first RUN that asks for it, then shared by the build's later steps) and
// detached when the build ends. Attachments are named build-<hex>, so a crash
// mid-build leaves state files that the manager's init() undoes (no build is a
// live container).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from '../common/log.js';
import { messageOf } from '../common/errors.js';
import type { BuildNetworkMode, BuildNetworks, BuildNetworkSession, RunNetwork } from '../build/index.js';
import { hostModeHostsFile, hostModeResolvConf, hostResolvConfPath, hostsFile, resolvConfFile, type NetworkAttachment, type NetworkManager } from '../network/index.js';

function readOr(file: string, fallback: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

function hostResolvConf(): string {
  return readOr(hostResolvConfPath(readOr('/etc/resolv.conf', '')), '');
}

export class CniBuildNetworks implements BuildNetworks {
  constructor(private readonly manager: NetworkManager, private readonly log: Logger) {}

  open(): BuildNetworkSession {
    return new Session(this.manager, this.log);
  }
}

class Session implements BuildNetworkSession {
  private readonly attached = new Map<'bridge' | 'none', { id: string; attachment: Promise<NetworkAttachment> }>();
  private closed = false;

  constructor(private readonly manager: NetworkManager, private readonly log: Logger) {}

  async get(mode: BuildNetworkMode): Promise<RunNetwork> {
    if (this.closed) throw new Error('build network session is closed');
    if (mode === 'host') {
      return { network: { mode: 'host' }, hosts: () => hostModeHostsFile(readOr('/etc/hosts', '127.0.0.1\tlocalhost\n')), resolvConf: hostModeResolvConf(readOr('/etc/resolv.conf', '')) };
    }
    let a = this.attached.get(mode);
    if (!a) {
      // random first: the netns is named after the id's first 12 characters
      const id = `${randomBytes(16).toString('hex')}-build`;
      a = { id, attachment: this.manager.attach(id, { mode, ports: [] }) };
      this.attached.set(mode, a);
    }
    const att = await a.attachment;
    if (!att.netnsPath) throw new Error(`network ${mode}: the attachment has no network namespace`);
    return {
      network: { mode: 'netns', path: att.netnsPath },
      hosts: (hostname) => hostsFile({ hostname, ...(att.ipAddress ? { ip: att.ipAddress } : {}) }),
      resolvConf: resolvConfFile(hostResolvConf()),
    };
  }

  /** Never throws: a detach that fails keeps its state file, which the next init() undoes. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.attached.values()];
    this.attached.clear();
    await Promise.all(
      all.map(async ({ id, attachment }) => {
        await attachment.catch(() => undefined);
        await this.manager.detach(id).catch((err) => this.log.warn('build network: detach failed', { id, err: messageOf(err) }));
      }),
    );
  }
}
