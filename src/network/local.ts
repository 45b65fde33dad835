// A minimal NetworkManager for modes `host` and `none` only: `none` pins an
// empty network namespace (`ip netns add berth-<id>`, loopback up), `host`
// shares the host's. Bridge networking is the CNI manager's job; until it is
// wired, asking for it is a clear error rather than a silent fallback.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run } from '../common/exec.js';
import { invalidArgument } from '../common/errors.js';
import { writeFileAtomic } from '../common/atomic.js';
import type { AttachOptions, NetworkAttachment, NetworkManager } from './index.js';

const NETNS_DIR = '/run/netns';

export class LocalNetworkManager implements NetworkManager {
  private readonly attachments = new Map<string, NetworkAttachment>();

  /** `stateDir` keeps one JSON file per attachment, so detach works after a restart. */
  constructor(private readonly stateDir: string) {
    fs.mkdirSync(stateDir, { recursive: true });
  }

  static netnsName(id: string): string {
    return `berth-${id.slice(0, 12)}`;
  }

  async init(live: ReadonlySet<string>): Promise<void> {
    for (const f of fs.readdirSync(this.stateDir)) {
      if (!f.endsWith('.json')) continue;
      const id = f.slice(0, -5);
      try {
        const a = JSON.parse(fs.readFileSync(path.join(this.stateDir, f), 'utf8')) as NetworkAttachment;
        this.attachments.set(id, a);
      } catch {
        fs.rmSync(path.join(this.stateDir, f), { force: true });
        continue;
      }
      if (!live.has(id)) await this.detach(id);
    }
  }

  async attach(id: string, opts: AttachOptions): Promise<NetworkAttachment> {
    if (opts.mode === 'bridge') throw invalidArgument('bridge networking is not available yet in this berthd: use --network none or --network host');
    let a: NetworkAttachment;
    if (opts.mode === 'host') a = { mode: 'host', ports: [] };
    else {
      const name = LocalNetworkManager.netnsName(id);
      const nsPath = path.join(NETNS_DIR, name);
      if (!fs.existsSync(nsPath)) await run('ip', ['netns', 'add', name]);
      try {
        await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
      } catch (err) {
        await run('ip', ['netns', 'delete', name], { allowFailure: true });
        throw err;
      }
      a = { mode: 'none', netnsPath: nsPath, ports: [] };
    }
    await writeFileAtomic(path.join(this.stateDir, `${id}.json`), JSON.stringify(a));
    this.attachments.set(id, a);
    return a;
  }

  async detach(id: string): Promise<void> {
    const a = this.attachments.get(id);
    if (a?.netnsPath || a === undefined) {
      const name = LocalNetworkManager.netnsName(id);
      if (fs.existsSync(path.join(NETNS_DIR, name))) await run('ip', ['netns', 'delete', name], { allowFailure: true });
    }
    this.attachments.delete(id);
    fs.rmSync(path.join(this.stateDir, `${id}.json`), { force: true });
  }

  get(id: string): NetworkAttachment | undefined {
    return this.attachments.get(id);
  }
}
