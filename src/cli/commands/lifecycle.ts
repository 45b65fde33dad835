// berth stop / start / restart / kill / rm / wait: one API call per container
// named, the name echoed back on success, docker's message on failure.
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { ApiError, type EngineClient } from '../../client/index.js';
import { pumpStreams } from '../attach-stream.js';

export async function each(ctx: CliContext, names: string[], fn: (c: EngineClient, name: string) => Promise<void>): Promise<void> {
  const c = await ctx.client();
  let failed = false;
  for (const n of names) {
    try {
      await fn(c, n);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      ctx.err.write(`Error response from daemon: ${err.message}\n`);
      failed = true;
    }
  }
  if (failed) process.exitCode = 1;
}

const post = (c: EngineClient, path: string, query: Record<string, string | undefined> = {}) => c.request('POST', path, { query }).then((r) => void r.resume());
const id = (n: string) => `/containers/${encodeURIComponent(n)}`;

export function registerStop(parent: Command, ctx: CliContext): Command {
  return parent
    .command('stop')
    .description('Stop one or more running containers')
    .argument('<container...>')
    .option('-t, --time <int>', 'Seconds to wait before killing the container')
    .option('-s, --signal <string>', 'Signal to send to the container')
    .action((names: string[], o: { time?: string; signal?: string }) => each(ctx, names, async (c, n) => {
      await post(c, `${id(n)}/stop`, { t: o.time, signal: o.signal });
      ctx.print(n);
    }));
}

export function registerRestart(parent: Command, ctx: CliContext): Command {
  return parent
    .command('restart')
    .description('Restart one or more containers')
    .argument('<container...>')
    .option('-t, --time <int>', 'Seconds to wait before killing the container')
    .action((names: string[], o: { time?: string }) => each(ctx, names, async (c, n) => {
      await post(c, `${id(n)}/restart`, { t: o.time });
      ctx.print(n);
    }));
}

export function registerKill(parent: Command, ctx: CliContext): Command {
  return parent
    .command('kill')
    .description('Kill one or more running containers')
    .argument('<container...>')
    .option('-s, --signal <string>', 'Signal to send to the container')
    .action((names: string[], o: { signal?: string }) => each(ctx, names, async (c, n) => {
      await post(c, `${id(n)}/kill`, { signal: o.signal });
      ctx.print(n);
    }));
}

export function registerRm(parent: Command, ctx: CliContext, name = 'rm'): Command {
  return parent
    .command(name)
    .description('Remove one or more containers')
    .argument('<container...>')
    .option('-f, --force', 'Force the removal of a running container (uses SIGKILL)')
    .option('-v, --volumes', 'Remove anonymous volumes associated with the container')
    .action((names: string[], o: { force?: boolean; volumes?: boolean }) => each(ctx, names, async (c, n) => {
      const r = await c.request('DELETE', id(n), { query: { force: o.force ? '1' : undefined, v: o.volumes ? '1' : undefined } });
      r.resume();
      ctx.print(n);
    }));
}

export function registerWait(parent: Command, ctx: CliContext): Command {
  return parent
    .command('wait')
    .description('Block until one or more containers stop, then print their exit codes')
    .argument('<container...>')
    .action((names: string[]) => each(ctx, names, async (c, n) => {
      const r = await c.json<{ StatusCode: number }>('POST', `${id(n)}/wait`);
      ctx.print(String(r.StatusCode));
    }));
}

export function registerStart(parent: Command, ctx: CliContext): Command {
  return parent
    .command('start')
    .description('Start one or more stopped containers')
    .argument('<container...>')
    .option('-a, --attach', "Attach STDOUT/STDERR and forward signals")
    .option('-i, --interactive', "Attach container's STDIN")
    .action(async (names: string[], o: { attach?: boolean; interactive?: boolean }) => {
      if (!o.attach && !o.interactive) {
        return each(ctx, names, async (c, n) => {
          await post(c, `${id(n)}/start`);
          ctx.print(n);
        });
      }
      if (names.length > 1) throw new Error('you cannot start and attach multiple containers at once');
      const c = await ctx.client();
      const info = await c.json<{ Id: string; Config: { Tty: boolean; OpenStdin: boolean } }>('GET', `${id(names[0]!)}/json`);
      const stdin = !!o.interactive && info.Config.OpenStdin;
      const conn = await c.hijack(`/containers/${info.Id}/attach`, { query: { stream: true, stdin, stdout: true, stderr: true } });
      // read from before the start: a container that exits before the start's answer closes the
      // connection at once, and that close must have a listener (see run.ts)
      const pumped = pumpStreams(conn, { tty: info.Config.Tty, stdin, resize: (h, w) => post(c, `/containers/${info.Id}/resize`, { h: String(h), w: String(w) }) });
      try {
        await post(c, `/containers/${info.Id}/start`);
      } catch (err) {
        conn.socket.destroy();
        await pumped;
        throw err;
      }
      await pumped;
      const r = await c.json<{ StatusCode: number }>('POST', `/containers/${info.Id}/wait`);
      process.exitCode = r.StatusCode;
    });
}
