// berth logs: a container's stdout/stderr as kept by its monitor.
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { demux } from '../attach-stream.js';

export function register(parent: Command, ctx: CliContext): Command {
  return parent
    .command('logs')
    .description('Fetch the logs of a container')
    .argument('<container>', 'CONTAINER')
    .option('-f, --follow', 'Follow log output')
    .option('-t, --timestamps', 'Show timestamps')
    .option('-n, --tail <string>', 'Number of lines to show from the end of the logs', 'all')
    .option('--since <string>', 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)')
    .option('--until <string>', 'Show logs before a timestamp or relative')
    .action(async (name: string, o: { follow?: boolean; timestamps?: boolean; tail: string; since?: string; until?: string }) => {
      const c = await ctx.client();
      const info = await c.json<{ Id: string; Config: { Tty: boolean } }>('GET', `/containers/${encodeURIComponent(name)}/json`);
      const res = await c.request('GET', `/containers/${info.Id}/logs`, {
        query: { stdout: true, stderr: true, follow: !!o.follow, timestamps: !!o.timestamps, tail: o.tail, since: relTime(o.since), until: relTime(o.until) },
      });
      const write = info.Config.Tty ? (d: Buffer) => ctx.out.write(d) : demux((s, d) => (s === 2 ? ctx.err : ctx.out).write(d));
      for await (const chunk of res) write(chunk as Buffer);
    });
}

/** "42m", "10s", "1h" → unix seconds; other values go to the daemon as given. */
function relTime(v: string | undefined): string | undefined {
  if (!v) return undefined;
  const m = /^(\d+(?:\.\d+)?)(s|m|h)$/.exec(v);
  if (!m) return v;
  const mult = { s: 1, m: 60, h: 3600 }[m[2] as 's' | 'm' | 'h'];
  return String(Date.now() / 1000 - Number(m[1]) * mult);
}
