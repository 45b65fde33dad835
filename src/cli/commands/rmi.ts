// berth rmi IMAGE...
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { ApiError } from '../../client/index.js';

export function register(parent: Command, ctx: CliContext, name = 'rmi'): Command {
  return parent
    .command(name)
    .description('Remove one or more images')
    .argument('<image...>', 'IMAGE')
    .option('-f, --force', 'Force removal of the image')
    .option('--no-prune', 'Do not delete untagged parents')
    .action(async (images: string[], o: { force?: boolean; prune: boolean }) => {
      const c = await ctx.client();
      let failed = false;
      for (const img of images) {
        try {
          const items = await c.json<{ Untagged?: string; Deleted?: string }[]>('DELETE', `/images/${encodeURIComponent(img)}`, { query: { force: o.force ? '1' : undefined, noprune: o.prune ? undefined : '1' } });
          for (const it of items) ctx.print(it.Untagged ? `Untagged: ${it.Untagged}` : `Deleted: ${it.Deleted}`);
        } catch (err) {
          if (!(err instanceof ApiError)) throw err;
          ctx.err.write(`Error response from daemon: ${err.message}\n`);
          failed = true;
        }
      }
      if (failed) process.exitCode = 1;
    });
}
