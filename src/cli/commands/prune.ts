// berth container prune [-f] [--filter k=v] and berth image prune [-a] [-f] [--filter k=v]:
// docker CLI 28's prompt, list and "Total reclaimed space" line over POST /{containers,images}/prune.
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { humanSize } from '../format.js';

/** prompt.Confirm: the question on stdout, yes only for "y" (any case) on the first line of stdin. */
export async function confirm(ctx: CliContext, warning: string): Promise<boolean> {
  ctx.out.write(`${warning}\nAre you sure you want to continue? [y/N] `);
  const stdin = process.stdin;
  const line = await new Promise<string>((resolve) => {
    let buf = '';
    const done = (s: string) => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.off('error', onEnd);
      stdin.pause();
      resolve(s);
    };
    const onData = (d: string) => {
      buf += d;
      const i = buf.indexOf('\n');
      if (i >= 0) done(buf.slice(0, i));
    };
    const onEnd = () => done(buf);
    stdin.setEncoding('utf8');
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    stdin.on('error', onEnd);
    stdin.resume();
  });
  return line.trim().toLowerCase() === 'y';
}

/** --filter k=v (repeatable) → the API's filters JSON */
export function filtersQuery(list: string[]): string | undefined {
  const filters: Record<string, string[]> = {};
  for (const f of list) {
    const i = f.indexOf('=');
    if (i < 0) throw new Error(`bad format of filter (expected name=value)`);
    (filters[f.slice(0, i)] ??= []).push(f.slice(i + 1));
  }
  return Object.keys(filters).length ? JSON.stringify(filters) : undefined;
}

const collect = (v: string, prev: string[]) => [...prev, v];

export function registerContainerPrune(parent: Command, ctx: CliContext): Command {
  return parent
    .command('prune')
    .description('Remove all stopped containers')
    .option('--filter <filter>', 'Provide filter values (e.g. "until=<timestamp>")', collect, [])
    .option('-f, --force', 'Do not prompt for confirmation')
    .action(async (o: { filter: string[]; force?: boolean }) => {
      const filters = filtersQuery(o.filter);
      // docker: a declined prompt ends quietly, with status 0
      if (!o.force && !(await confirm(ctx, 'WARNING! This will remove all stopped containers.'))) return;
      const c = await ctx.client();
      const r = await c.json<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }>('POST', '/containers/prune', { query: { filters } });
      let space = 0;
      if (r.ContainersDeleted?.length) {
        ctx.out.write(`Deleted Containers:\n${r.ContainersDeleted.map((id) => `${id}\n`).join('')}\n`);
        space = r.SpaceReclaimed;
      }
      ctx.out.write(`Total reclaimed space: ${humanSize(space, 4)}\n`);
    });
}

export function registerImagePrune(parent: Command, ctx: CliContext): Command {
  return parent
    .command('prune')
    .description('Remove unused images')
    .option('-a, --all', 'Remove all unused images, not just dangling ones')
    .option('--filter <filter>', 'Provide filter values (e.g. "until=<timestamp>")', collect, [])
    .option('-f, --force', 'Do not prompt for confirmation')
    .action(async (o: { all?: boolean; filter: string[]; force?: boolean }) => {
      // as the docker CLI: -a is the filter dangling=false
      const filters = filtersQuery([...o.filter, ...(o.all ? ['dangling=false'] : [])]);
      const warning = o.all ? 'WARNING! This will remove all images without at least one container associated to them.' : 'WARNING! This will remove all dangling images.';
      if (!o.force && !(await confirm(ctx, warning))) return;
      const c = await ctx.client();
      const r = await c.json<{ ImagesDeleted: { Untagged?: string; Deleted?: string }[] | null; SpaceReclaimed: number }>('POST', '/images/prune', { query: { filters } });
      let space = 0;
      if (r.ImagesDeleted?.length) {
        const lines = r.ImagesDeleted.map((d) => (d.Untagged ? `untagged: ${d.Untagged}\n` : d.Deleted ? `deleted: ${d.Deleted}\n` : '')).join('');
        ctx.out.write(`Deleted Images:\n${lines}\n`);
        space = r.SpaceReclaimed;
      }
      ctx.out.write(`Total reclaimed space: ${humanSize(space, 4)}\n`);
    });
}
