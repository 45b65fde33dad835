// berth exec: run a command in a running container.
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { ApiError } from '../../client/index.js';
import { pumpStreams } from '../attach-stream.js';

interface ExecFlags { detach?: boolean; interactive?: boolean; tty?: boolean; env: string[]; user?: string; workdir?: string }

export function register(parent: Command, ctx: CliContext): Command {
  return parent
    .command('exec')
    .description('Execute a command in a running container')
    .argument('<container>', 'CONTAINER')
    .argument('<command...>', 'COMMAND [ARG...]')
    .passThroughOptions()
    .option('-d, --detach', 'Detached mode: run command in the background')
    .option('-i, --interactive', 'Keep STDIN open even if not attached')
    .option('-t, --tty', 'Allocate a pseudo-TTY')
    .option('-e, --env <list>', 'Set environment variables', (v: string, p: string[]) => [...p, v], [])
    .option('-u, --user <string>', 'Username or UID (format: "<name|uid>[:<group|gid>]")')
    .option('-w, --workdir <string>', 'Working directory inside the container')
    .action(async (container: string, command: string[], f: ExecFlags) => {
      const c = await ctx.client();
      const size = f.tty && process.stdout.isTTY ? [process.stdout.rows, process.stdout.columns] : undefined;
      let id: string;
      try {
        id = (await c.json<{ Id: string }>('POST', `/containers/${encodeURIComponent(container)}/exec`, {
          body: {
            Cmd: command, Env: f.env, User: f.user ?? '', WorkingDir: f.workdir ?? '', Tty: !!f.tty,
            AttachStdin: !!f.interactive && !f.detach, AttachStdout: !f.detach, AttachStderr: !f.detach,
            ...(size ? { ConsoleSize: size } : {}),
          },
        })).Id;
      } catch (err) {
        if (err instanceof ApiError) {
          ctx.err.write(`Error response from daemon: ${err.message}\n`);
          process.exitCode = 1;
          return;
        }
        throw err;
      }
      if (f.detach) {
        (await c.request('POST', `/exec/${id}/start`, { body: { Detach: true, Tty: !!f.tty } })).resume();
        return;
      }
      const conn = await c.hijack(`/exec/${id}/start`, { body: { Detach: false, Tty: !!f.tty } });
      await pumpStreams(conn, {
        tty: !!f.tty,
        stdin: !!f.interactive,
        resize: (h, w) => c.request('POST', `/exec/${id}/resize`, { query: { h, w } }).then((r) => void r.resume()),
      });
      const info = await c.json<{ ExitCode: number | null }>('GET', `/exec/${id}/json`);
      process.exitCode = info.ExitCode ?? 0;
    });
}
