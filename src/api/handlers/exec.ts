// exec: POST /containers/{id}/exec, POST /exec/{id}/start (hijacked unless
// detached), GET /exec/{id}/json, POST /exec/{id}/resize.
import { invalidArgument, messageOf } from '../../common/errors.js';
import type { ExecConfig } from '../../daemon/index.js';
import { sendJSON, type Router } from '../router.js';
import { bool, readJsonBody, str, strList, strSlice } from '../body.js';
import { frame, hijack, STDERR, STDOUT } from '../stream.js';

export function execRoutes(r: Router): void {
  r.add('POST', '/containers/{id}/exec', async (ctx) => {
    const b = await readJsonBody(ctx);
    const cs = b['ConsoleSize'];
    const cfg: ExecConfig = {
      Cmd: strSlice(b, 'Cmd') ?? [],
      Env: strList(b, 'Env') ?? [],
      User: str(b, 'User') ?? '',
      WorkingDir: str(b, 'WorkingDir') ?? '',
      Tty: bool(b, 'Tty') ?? false,
      AttachStdin: bool(b, 'AttachStdin') ?? false,
      AttachStdout: bool(b, 'AttachStdout') ?? false,
      AttachStderr: bool(b, 'AttachStderr') ?? false,
      Privileged: bool(b, 'Privileged') ?? false,
      ...(Array.isArray(cs) && cs.length === 2 && cs.every((x) => typeof x === 'number') ? { ConsoleSize: cs as [number, number] } : {}),
    };
    if (cfg.Privileged) throw invalidArgument('privileged exec is not supported by berth');
    sendJSON(ctx.res, 201, { Id: ctx.daemon.exec.create(ctx.params[0]!, cfg) });
  });

  r.add('POST', '/exec/{id}/start', async (ctx) => {
    const b = await readJsonBody(ctx);
    const s = ctx.daemon.exec.get(ctx.params[0]!);
    if (bool(b, 'Detach')) {
      await ctx.daemon.exec.start(s.ID, undefined, false);
      ctx.res.writeHead(200, { 'Content-Length': '0' }).end();
      return;
    }
    const tty = s.Config.Tty;
    const conn = hijack(ctx, !tty);
    const write = (stream: number, data: Buffer) => conn.write(tty ? data : frame(stream, data));
    let ended!: () => void;
    const outputEnded = new Promise<void>((r2) => (ended = r2));
    try {
      const { session, exit } = await ctx.daemon.exec.start(s.ID, {
        output: (stream, data) => {
          if (stream === 'stdout' ? s.Config.AttachStdout : s.Config.AttachStderr) write(stream === 'stderr' ? STDERR : STDOUT, data);
        },
        end: () => ended(),
      }, true);
      conn.onInput((d) => session?.write(d));
      conn.onInputEnd(() => session?.closeStdin());
      conn.onClose(() => session?.close());
      // The exit code is known before the stream ends, so the client's inspect after EOF sees it.
      await Promise.all([outputEnded, exit]);
    } catch (err) {
      write(STDOUT, Buffer.from(messageOf(err) + '\r\n'));
    }
    conn.end();
  });

  r.add('GET', '/exec/{id}/json', (ctx) => {
    const s = ctx.daemon.exec.get(ctx.params[0]!);
    sendJSON(ctx.res, 200, {
      CanRemove: false,
      ContainerID: s.ContainerID,
      DetachKeys: '',
      ExitCode: s.ExitCode,
      ID: s.ID,
      OpenStderr: s.Config.AttachStderr,
      OpenStdin: s.Config.AttachStdin,
      OpenStdout: s.Config.AttachStdout,
      ProcessConfig: { arguments: s.Config.Cmd.slice(1), entrypoint: s.Config.Cmd[0], privileged: false, tty: s.Config.Tty, user: s.Config.User },
      Running: s.Running,
      Pid: s.Pid,
    });
  });

  r.add('POST', '/exec/{id}/resize', (ctx) => {
    const h = Number(ctx.query.get('h'));
    const w = Number(ctx.query.get('w'));
    if (!Number.isInteger(h) || !Number.isInteger(w)) throw invalidArgument('invalid resize parameters');
    ctx.daemon.exec.resize(ctx.params[0]!, h, w);
    ctx.res.writeHead(200, { 'Content-Length': '0' }).end();
  });
}
