// berth inspect / berth image inspect NAME...
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { renderTemplate } from '../format.js';
import { ApiError } from '../../client/index.js';

export function register(parent: Command, ctx: CliContext, kind: 'object' | 'image' = 'object'): Command {
  const description = kind === 'image' ? 'Display detailed information on one or more images' : 'Return low-level information on berth objects';
  return parent
    .command('inspect')
    .description(description)
    .argument('<name...>', 'IMAGE')
    .option('-f, --format <string>', 'Format output using a Go template')
    .option('--type <type>', 'Return JSON for specified type (image)')
    .action(async (names: string[], o: { format?: string; type?: string }) => {
      if (o.type && o.type !== 'image') throw new Error(`"${o.type}" is not a valid value for --type`);
      const c = await ctx.client();
      const found: unknown[] = [];
      const errors: string[] = [];
      for (const n of names) {
        try {
          found.push(await c.json('GET', `/images/${encodeURIComponent(n)}/json`));
        } catch (err) {
          if (!(err instanceof ApiError) || err.status !== 404) throw err;
          errors.push(`Error: No such ${kind}: ${n}`);
        }
      }
      if (o.format) for (const f of found) ctx.print(renderTemplate(o.format, f));
      else ctx.print(JSON.stringify(found, null, 4));
      for (const e of errors) ctx.err.write(e + '\n');
      if (errors.length) process.exitCode = 1;
    });
}
