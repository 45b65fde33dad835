// berth history IMAGE
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { ago, humanSize, renderTemplate, table } from '../format.js';

interface Row {
  Id: string;
  Created: number;
  CreatedBy: string;
  Size: number;
  Comment: string;
  Tags: string[] | null;
}

export function register(parent: Command, ctx: CliContext, name = 'history'): Command {
  return parent
    .command(name)
    .description('Show the history of an image')
    .argument('<image>', 'IMAGE')
    .option('-H, --human [bool]', 'Print sizes and dates in human readable format', (v) => v !== 'false', true)
    .option('--no-trunc', "Don't truncate output")
    .option('-q, --quiet', 'Only show image IDs')
    .option('--format <string>', 'Format output using a Go template')
    .action(async (image: string, o: { human: boolean; trunc: boolean; quiet?: boolean; format?: string }) => {
      const c = await ctx.client();
      const rows = await c.json<Row[]>('GET', `/images/${encodeURIComponent(image)}/history`);
      const id = (s: string) => (s === '<missing>' || !o.trunc ? s : s.replace(/^sha256:/, '').slice(0, 12));
      if (o.quiet) {
        for (const r of rows) ctx.print(id(r.Id));
        return;
      }
      const createdBy = (s: string) => {
        const t = s.replace(/\t/g, ' ').replace(/\n/g, ' ');
        return o.trunc && [...t].length > 45 ? [...t].slice(0, 44).join('') + '…' : t;
      };
      const fmt = (r: Row) => ({
        ID: id(r.Id),
        CreatedSince: o.human ? ago(r.Created) : new Date(r.Created * 1000).toISOString().replace(/\.\d+Z$/, 'Z'),
        CreatedBy: createdBy(r.CreatedBy),
        Size: o.human ? humanSize(r.Size) : String(r.Size),
        Comment: r.Comment,
      });
      if (o.format) {
        for (const r of rows) ctx.print(renderTemplate(o.format, fmt(r)));
        return;
      }
      ctx.out.write(table([['IMAGE', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT'], ...rows.map((r) => Object.values(fmt(r)))]));
    });
}
