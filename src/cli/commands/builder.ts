// berth builder prune [-a] [-f]: empties the build cache (POST /build/prune).
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { humanSize } from '../format.js';

export function register(parent: Command, ctx: CliContext): Command {
  const builder = parent.command('builder').description('Manage builds');
  builder
    .command('prune')
    .description('Remove build cache')
    .option('-a, --all', 'Remove all unused build cache, not just dangling ones (berth keeps no other kind: the same)')
    .option('-f, --force', 'Do not prompt for confirmation (berth never prompts)')
    .action(async (o: { all?: boolean }) => {
      const c = await ctx.client();
      const res = await c.json<{ SpaceReclaimed?: number }>('POST', '/build/prune', { query: { all: o.all ? '1' : undefined } });
      // docker's words and units (units.HumanSize: 4 significant digits, decimal)
      ctx.out.write(`Total reclaimed space: ${humanSize(res?.SpaceReclaimed ?? 0, 4)}\n`);
    });
  return builder;
}
