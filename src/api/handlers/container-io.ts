// A container's stdio over the API: logs (stdcopy-framed without a TTY),
// attach on a hijacked connection, and TTY resize.
import { conflict, invalidArgument, messageOf } from '../../common/errors.js';
import { boolParam, type Router } from '../router.js';
import { frame, hijack, STDERR, STDOUT } from '../stream.js';

/** docker's since/until: unix seconds (fractional), or an RFC 3339 time. */
function timeParam(v: string | null): number | undefined {
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v);
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw invalidArgument(`invalid time value: ${v}`);
  return t / 1000;
}

export function containerIoRoutes(r: Router): void {
  r.add('GET', '/containers/{id}/logs', async (ctx) => {
    const c = ctx.daemon.containers.get(ctx.params[0]!);
    const q = ctx.query;
    const stdout = boolParam(q, 'stdout');
    const stderr = boolParam(q, 'stderr');
    if (!stdout && !stderr) throw invalidArgument('Bad parameters: you must choose at least one stream');
    const tailRaw = q.get('tail');
    const tail = tailRaw === null || tailRaw === '' || tailRaw === 'all' ? undefined : Number(tailRaw);
    if (tail !== undefined && (!Number.isInteger(tail) || tail < 0)) throw invalidArgument(`invalid value for tail: ${tailRaw}`);
    const timestamps = boolParam(q, 'timestamps');
    const tty = c.Config.Tty;
    const ac = new AbortController();
    ctx.res.on('close', () => ac.abort());
    const since = timeParam(q.get('since'));
    const until = timeParam(q.get('until'));
    const records = ctx.daemon.containers.logs(c.Id, {
      follow: boolParam(q, 'follow'),
      ...(since !== undefined ? { since } : {}),
      ...(until !== undefined ? { until } : {}),
      ...(tail !== undefined ? { tail } : {}),
      signal: ac.signal,
    });
    ctx.res.writeHead(200, { 'Content-Type': tty ? 'application/vnd.docker.raw-stream' : ctx.version >= 1042 ? 'application/vnd.docker.multiplexed-stream' : 'application/vnd.docker.raw-stream' });
    ctx.res.flushHeaders();
    try {
      for await (const rec of records) {
        if (ac.signal.aborted) break;
        if ((rec.stream === 'stdout' && !stdout) || (rec.stream === 'stderr' && !stderr)) continue;
        const data = Buffer.from((timestamps ? rec.time + ' ' : '') + rec.data);
        ctx.res.write(tty ? data : frame(rec.stream === 'stderr' ? STDERR : STDOUT, data));
      }
    } finally {
      ctx.res.end();
    }
  });

  r.add('POST', '/containers/{id}/attach', (ctx) => {
    const c = ctx.daemon.containers.get(ctx.params[0]!);
    // refused before the connection is hijacked, so that the client gets a 409 (dockerd's words)
    if (c.State.Paused) throw conflict(`container ${ctx.params[0]!} is paused, unpause the container before attach`);
    const q = ctx.query;
    const wantStdin = boolParam(q, 'stdin');
    const wantStdout = boolParam(q, 'stdout');
    const wantStderr = boolParam(q, 'stderr');
    const tty = c.Config.Tty;
    const conn = hijack(ctx, !tty);
    const session = ctx.daemon.containers.attach(c.Id, wantStdin, {
      output: (stream, data) => {
        if (stream === 'stdout' ? !wantStdout : !wantStderr) return;
        conn.write(tty ? data : frame(stream === 'stderr' ? STDERR : STDOUT, data));
      },
      end: () => conn.end(),
    });
    conn.onInput((b) => {
      try {
        session.write(b);
      } catch (err) {
        ctx.daemon.log.warn('attach: stdin write failed', { err: messageOf(err) });
      }
    });
    conn.onInputEnd(() => session.closeStdin());
    conn.onClose(() => session.close());
  });

  r.add('POST', '/containers/{id}/resize', (ctx) => {
    const h = Number(ctx.query.get('h'));
    const w = Number(ctx.query.get('w'));
    if (!Number.isInteger(h) || !Number.isInteger(w) || h < 0 || w < 0) throw invalidArgument('invalid resize parameters');
    ctx.daemon.containers.resize(ctx.params[0]!, h, w);
    ctx.res.writeHead(200, { 'Content-Length': '0' }).end();
  });
}
