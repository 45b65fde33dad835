// berth history IMAGE
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { ago, formatRows, formatterRow, humanSize, reportFormatError, table } from '../format.js';

interface Row {
  Id: string;
  Created: number;
  CreatedBy: string;
  Size: number;
  Comment: string;
  Tags: string[] | null;
}

const HEADER = { ID: 'IMAGE', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT' };
const DEFAULT_TABLE = 'table {{.ID}}\\t{{.CreatedSince}}\\t{{.CreatedBy}}\\t{{.Size}}\\t{{.Comment}}';

export function register(parent: Command, ctx: CliContext, name = 'history'): Command {
  return parent
    .command(name)
    .description('Show the history of an image')
    .argument('<image>', 'IMAGE')
    .option('-H, --human [bool]', 'Print sizes and dates in human readable format', (v) => v !== 'false', true)
    .option('--no-trunc', "Don't truncate output")
    .option('-q, --quiet', 'Only show image IDs')
    .option('--format <string>', 'Format output using a custom template: "table", "table TEMPLATE", "json" or a Go template')
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
        // image.historyContext: CreatedAt is RFC 3339 whatever -H says
        const createdAt = (r: Row) => new Date(r.Created * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
        const ctxRows = rows.map((r) => formatterRow('*image.historyContext', { ...fmt(r), CreatedAt: createdAt(r) }));
        try {
          ctx.out.write(formatRows(o.format === 'table' ? DEFAULT_TABLE : o.format, ctxRows, HEADER));
        } catch (err) {
          reportFormatError(err, ctx.err);
        }
        return;
      }
      ctx.out.write(table([['IMAGE', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT'], ...rows.map((r) => Object.values(fmt(r)))]));
    });
}
