// berth inspect / berth image inspect / berth container inspect NAME...
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { renderTemplate } from '../format.js';
import { ApiError, type EngineClient } from '../../client/index.js';

type Kind = 'object' | 'image' | 'container';

async function find(c: EngineClient, kind: Kind, n: string, size: boolean): Promise<unknown | undefined> {
  const paths = kind === 'image' ? ['images'] : kind === 'container' ? ['containers'] : ['containers', 'images'];
  for (const p of paths) {
    try {
      return await c.json('GET', `/${p}/${encodeURIComponent(n)}/json`, p === 'containers' && size ? { query: { size: '1' } } : {});
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 404) throw err;
    }
  }
  return undefined;
}

export function register(parent: Command, ctx: CliContext, kind: Kind = 'object'): Command {
  const description =
    kind === 'image' ? 'Display detailed information on one or more images' : kind === 'container' ? 'Display detailed information on one or more containers' : 'Return low-level information on berth objects';
  return parent
    .command('inspect')
    .description(description)
    .argument('<name...>', kind === 'object' ? 'NAME|ID' : kind.toUpperCase())
    .option('-f, --format <string>', 'Format output using a Go template')
    .option('--type <type>', 'Return JSON for specified type (container, image)')
    .option('-s, --size', 'Display total file sizes if the type is container')
    .action(async (names: string[], o: { format?: string; type?: string; size?: boolean }) => {
      if (o.type && o.type !== 'image' && o.type !== 'container') throw new Error(`"${o.type}" is not a valid value for --type`);
      const k: Kind = (o.type as Kind | undefined) ?? kind;
      const c = await ctx.client();
      const found: unknown[] = [];
      const errors: string[] = [];
      for (const n of names) {
        const v = await find(c, k, n, !!o.size);
        if (v === undefined) errors.push(`Error: No such ${k}: ${n}`);
        else found.push(v);
      }
      if (o.format) for (const f of found) ctx.print(renderTemplate(o.format, f));
      else ctx.print(JSON.stringify(found, null, 4));
      for (const e of errors) ctx.err.write(e + '\n');
      if (errors.length) process.exitCode = 1;
    });
}
