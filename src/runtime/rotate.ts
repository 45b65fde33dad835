// docker's --log-opt max-size/max-file for conmon's k8s-file log: when the log
// passes max-size, berth renames it (ctr.log → ctr.log.1, older ones shifted,
// beyond max-file dropped) and asks conmon to reopen it through the ctl FIFO.
// conmon writes to the renamed file until it reopens, so no line is lost
// (notes §3); conmon's own --log-size-max would instead empty the file.
import * as fs from 'node:fs';
import type { Monitor } from './monitor.js';

export function rotatedFiles(logPath: string, maxFile: number): string[] {
  const out: string[] = [];
  for (let i = maxFile - 1; i >= 1; i--) if (fs.existsSync(`${logPath}.${i}`)) out.push(`${logPath}.${i}`);
  return out;
}

export class LogRotator {
  private watcher: fs.FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(private readonly monitor: Monitor, private readonly bundle: string, private readonly logPath: string, private readonly maxSize: number, private readonly maxFile: number) {}

  start(): this {
    const check = () => void this.check();
    try {
      this.watcher = fs.watch(this.logPath, check);
    } catch {
      /* not there yet: the timer covers it */
    }
    this.timer = setInterval(check, 1000);
    this.timer.unref();
    return this;
  }

  private async check(): Promise<void> {
    if (this.busy) return;
    let size: number;
    try {
      size = fs.statSync(this.logPath).size;
    } catch {
      return;
    }
    if (size < this.maxSize) return;
    this.busy = true;
    try {
      const keep = Math.max(this.maxFile, 1);
      // max-file counts the live file: it and ctr.log.1 .. ctr.log.<max-file - 1>
      if (keep > 1) fs.rmSync(`${this.logPath}.${keep - 1}`, { force: true });
      for (let i = keep - 2; i >= 1; i--) if (fs.existsSync(`${this.logPath}.${i}`)) fs.renameSync(`${this.logPath}.${i}`, `${this.logPath}.${i + 1}`);
      fs.renameSync(this.logPath, `${this.logPath}.1`);
      this.monitor.reopenLog(this.bundle);
      // max-file 1: the old lines go, as with docker's json-file
      if (keep === 1) setTimeout(() => fs.rmSync(`${this.logPath}.1`, { force: true }), 200).unref();
      this.watcher?.close();
      await new Promise((r) => setTimeout(r, 50));
      try {
        this.watcher = fs.watch(this.logPath, () => void this.check());
      } catch {
        this.watcher = undefined;
      }
    } catch {
      /* conmon gone: the container is exiting */
    } finally {
      this.busy = false;
    }
  }

  stop(): void {
    this.watcher?.close();
    if (this.timer) clearInterval(this.timer);
  }
}
