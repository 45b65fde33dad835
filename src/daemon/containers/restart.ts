// Restart policies with docker's back-off: the delay starts at 100 ms and
// doubles on each consecutive restart, up to a minute; a container that ran
// for 10 s or more starts the sequence again.
import { messageOf } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { ContainerRecord } from './types.js';

const INITIAL_MS = 100;
const MAX_MS = 60_000;
const RESET_AFTER_MS = 10_000;

export class RestartManager {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly delays = new Map<string, number>();

  constructor(private readonly start: (id: string) => Promise<unknown>, private readonly log: Logger) {}

  shouldRestart(c: ContainerRecord, code: number): boolean {
    if (c.HasBeenManuallyStopped) return false;
    const p = c.HostConfig.RestartPolicy;
    switch (p.Name) {
      case 'always':
      case 'unless-stopped':
        return true;
      case 'on-failure':
        return code !== 0 && (p.MaximumRetryCount <= 0 || c.RestartCount < p.MaximumRetryCount);
      default:
        return false;
    }
  }

  schedule(c: ContainerRecord): void {
    const ran = Date.parse(c.State.FinishedAt) - Date.parse(c.State.StartedAt);
    let delay = this.delays.get(c.Id) ?? 0;
    delay = ran >= RESET_AFTER_MS || delay === 0 ? INITIAL_MS : Math.min(delay * 2, MAX_MS);
    this.delays.set(c.Id, delay);
    this.cancelTimer(c.Id);
    const t = setTimeout(() => {
      this.timers.delete(c.Id);
      this.start(c.Id).catch((err: unknown) => this.log.warn('restart failed', { id: c.Id.slice(0, 12), err: messageOf(err) }));
    }, delay);
    this.timers.set(c.Id, t);
  }

  private cancelTimer(id: string): void {
    const t = this.timers.get(id);
    if (t) clearTimeout(t);
    this.timers.delete(id);
  }

  cancel(id: string): void {
    this.cancelTimer(id);
    this.delays.delete(id);
  }

  cancelAll(): void {
    for (const id of [...this.timers.keys()]) this.cancel(id);
  }
}
