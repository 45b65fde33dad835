// berth run / berth create: create (and start) a container from an image.
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { ApiError, type EngineClient } from '../../client/index.js';
import { addRunFlags, createBody, type RunFlags } from '../run-options.js';
import { pumpStreams } from '../attach-stream.js';
import { pullImage } from './pull.js';
import { formatReference, parseReference, withDefaultTag } from '../../common/reference.js';

/** The docker CLI's exit code for a failed start: 127 not found, 126 not executable, else 125. */
export function startErrorCode(msg: string): number {
  if (/executable file not found|no such file or directory|not found/i.test(msg)) return 127;
  if (/permission denied|cannot execute/i.test(msg)) return 126;
  return 125;
}

async function createContainer(ctx: CliContext, c: EngineClient, image: string, command: string[], f: RunFlags): Promise<string> {
  const size: [number, number] | undefined = f.tty && process.stdout.isTTY ? [process.stdout.rows, process.stdout.columns] : undefined;
  const create = () => c.json<{ Id: string; Warnings?: string[] }>('POST', '/containers/create', { query: { name: f.name, platform: f.platform }, body: createBody(image, command, f, size) });
  let res;
  try {
    res = await create();
  } catch (err) {
    // As the docker CLI does: a missing image is pulled, then the create is retried.
    if (!(err instanceof ApiError) || err.status !== 404 || !/^No such image/.test(err.message)) throw err;
    ctx.err.write(`Unable to find image '${formatReference(withDefaultTag(parseReference(image)), true)}' locally\n`);
    await pullImage(ctx, image, { out: ctx.err });
    res = await create();
  }
  for (const w of res.Warnings ?? []) ctx.err.write(`WARNING: ${w}\n`);
  return res.Id;
}

async function readJson<T>(res: AsyncIterable<unknown>): Promise<T> {
  const chunks: Buffer[] = [];
  for await (const ch of res) chunks.push(ch as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as T;
}

function fail(ctx: CliContext, err: unknown, code: number): void {
  const msg = err instanceof Error ? err.message : String(err);
  ctx.err.write(err instanceof ApiError ? `berth: Error response from daemon: ${msg}\n` : `berth: ${msg}\n`);
  process.exitCode = code;
}

export function register(parent: Command, ctx: CliContext, name: 'run' | 'create' = 'run'): Command {
  const cmd = parent
    .command(name)
    .description(name === 'run' ? 'Create and run a new container from an image' : 'Create a new container')
    .argument('<image>', 'IMAGE')
    .argument('[command...]', 'COMMAND [ARG...]')
    .passThroughOptions();
  if (name === 'run') cmd.option('-d, --detach', 'Run container in background and print container ID');
  addRunFlags(cmd);
  return cmd.action(async (image: string, command: string[], f: RunFlags) => {
    const c = await ctx.client();
    let id: string;
    try {
      id = await createContainer(ctx, c, image, command, name === 'create' ? { ...f, detach: true } : f);
    } catch (err) {
      return fail(ctx, err, 125);
    }
    if (name === 'create') return ctx.print(id);
    if (f.detach) {
      try {
        await c.request('POST', `/containers/${id}/start`).then((r) => r.resume());
      } catch (err) {
        return fail(ctx, err, startErrorCode(err instanceof Error ? err.message : ''));
      }
      return ctx.print(id);
    }
    const conn = await c.hijack(`/containers/${id}/attach`, { query: { stream: true, stdin: !!f.interactive, stdout: true, stderr: true } });
    const resize = (rows: number, cols: number) => c.request('POST', `/containers/${id}/resize`, { query: { h: rows, w: cols } }).then((r) => void r.resume());
    // The streams are read from now on, before the start, as the docker CLI does: a container that
    // exits before the start's answer is read closes this connection at once, and a close nobody
    // listened for is never seen again (the pump then never ended, and node left with code 0
    // without reading the wait's answer).
    const pumped = pumpStreams(conn, { tty: !!f.tty, stdin: !!f.interactive, resize });
    let waited: Promise<{ StatusCode: number }>;
    try {
      // The daemon answers the wait's headers once the wait is in place, so the exit cannot be missed.
      const waitRes = await c.request('POST', `/containers/${id}/wait`, { query: { condition: f.rm ? 'removed' : 'next-exit' } });
      waited = readJson<{ StatusCode: number }>(waitRes);
      waited.catch(() => {});
    } catch (err) {
      conn.socket.destroy();
      await pumped;
      throw err;
    }
    try {
      await c.request('POST', `/containers/${id}/start`).then((r) => r.resume());
    } catch (err) {
      conn.socket.destroy();
      await pumped;
      return fail(ctx, err, startErrorCode(err instanceof Error ? err.message : ''));
    }
    if (f.tty && process.stdout.isTTY) await resize(process.stdout.rows, process.stdout.columns).catch(() => {});
    await pumped;
    const r = await waited;
    process.exitCode = r.StatusCode;
  });
}
