// berth attach: connect the terminal to a running container's stdio.
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { pumpStreams } from '../attach-stream.js';

export function register(parent: Command, ctx: CliContext): Command {
  return parent
    .command('attach')
    .description("Attach local standard input, output, and error streams to a running container")
    .argument('<container>', 'CONTAINER')
    .option('--no-stdin', 'Do not attach STDIN')
    .action(async (name: string, o: { stdin: boolean }) => {
      const c = await ctx.client();
      const info = await c.json<{ Id: string; State: { Running: boolean }; Config: { Tty: boolean; OpenStdin: boolean } }>('GET', `/containers/${encodeURIComponent(name)}/json`);
      if (!info.State.Running) {
        ctx.err.write('You cannot attach to a stopped container, start it first\n');
        process.exitCode = 1;
        return;
      }
      const stdin = o.stdin && info.Config.OpenStdin;
      const conn = await c.hijack(`/containers/${info.Id}/attach`, { query: { stream: true, stdin, stdout: true, stderr: true } });
      const resize = (h: number, w: number) => c.request('POST', `/containers/${info.Id}/resize`, { query: { h, w } }).then((r) => void r.resume());
      const pumped = pumpStreams(conn, { tty: info.Config.Tty, stdin, resize });
      if (info.Config.Tty && process.stdout.isTTY) await resize(process.stdout.rows, process.stdout.columns).catch(() => {});
      await pumped;
      const r = await c.json<{ StatusCode: number }>('POST', `/containers/${info.Id}/wait`);
      process.exitCode = r.StatusCode;
    });
}
