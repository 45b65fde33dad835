// berth ps: docker's columns, including PORTS and STATUS.
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { ago, humanSize, renderTemplate, table } from '../format.js';

interface Port { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }
interface Summary { Id: string; Names: string[]; Image: string; Command: string; Created: number; Ports: Port[]; State: string; Status: string; SizeRw?: number; SizeRootFs?: number }

export function formatPorts(ports: Port[]): string {
  return ports
    .map((p) => (p.PublicPort ? `${p.IP ?? '0.0.0.0'}:${p.PublicPort}->${p.PrivatePort}/${p.Type}` : `${p.PrivatePort}/${p.Type}`))
    .join(', ');
}

/** docker's SIZE: "12B (virtual 1.98MB)" */
function size(s: Summary): string {
  if (s.SizeRw === undefined) return '';
  return `${humanSize(s.SizeRw)} (virtual ${humanSize(s.SizeRootFs ?? s.SizeRw)})`;
}

function ellipsis(s: string, max: number): string {
  const chars = [...s];
  return chars.length > max ? chars.slice(0, max - 1).join('') + '…' : s;
}

export function register(parent: Command, ctx: CliContext, name = 'ps'): Command {
  return parent
    .command(name)
    .description('List containers')
    .option('-a, --all', 'Show all containers (default shows just running)')
    .option('-q, --quiet', 'Only display container IDs')
    .option('--no-trunc', "Don't truncate output")
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', (v: string, p: string[]) => [...p, v], [])
    .option('-n, --last <int>', 'Show n last created containers (includes all states)')
    .option('--format <string>', 'Format output using a Go template')
    .option('-s, --size', 'Display total file sizes')
    .action(async (o: { all?: boolean; quiet?: boolean; trunc: boolean; filter: string[]; last?: string; format?: string; size?: boolean }) => {
      const c = await ctx.client();
      const filters: Record<string, string[]> = {};
      for (const f of o.filter) {
        const i = f.indexOf('=');
        (filters[f.slice(0, i)] ??= []).push(f.slice(i + 1));
      }
      const list = await c.json<Summary[]>('GET', '/containers/json', {
        query: { all: o.all || o.last !== undefined ? '1' : undefined, limit: o.last, size: o.size || /\{\{[^}]*\.Size\b/.test(o.format ?? '') ? '1' : undefined, filters: Object.keys(filters).length ? JSON.stringify(filters) : undefined },
      });
      if (o.quiet) {
        for (const s of list) ctx.print(o.trunc ? s.Id.slice(0, 12) : s.Id);
        return;
      }
      if (o.format) {
        for (const s of list) ctx.print(renderTemplate(o.format, { ...s, ID: s.Id.slice(0, 12), Names: s.Names.map((n) => n.slice(1)).join(','), Ports: formatPorts(s.Ports), Size: size(s) }));
        return;
      }
      const rows = [['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES', ...(o.size ? ['SIZE'] : [])]];
      for (const s of list) {
        rows.push([
          o.trunc ? s.Id.slice(0, 12) : s.Id,
          s.Image,
          `"${o.trunc ? ellipsis(s.Command, 20) : s.Command}"`,
          ago(s.Created),
          s.Status,
          formatPorts(s.Ports),
          s.Names.map((n) => n.slice(1)).join(','),
          ...(o.size ? [size(s)] : []),
        ]);
      }
      ctx.out.write(table(rows));
    });
}
