// berth ps: docker's columns, including PORTS and STATUS.
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { goQuote, NIL_PTR } from '../gotemplate/index.js';
import { ago, fieldsUsed, formatRows, formatterRow, humanSize, reportFormatError, table } from '../format.js';

interface Port { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }
interface Summary {
  Id: string; Names: string[]; Image: string; Command: string; Created: number; Ports: Port[]; State: string; Status: string; SizeRw?: number; SizeRootFs?: number;
  Labels?: Record<string, string> | null; Mounts?: { Name?: string; Source?: string; Driver?: string }[] | null; NetworkSettings?: { Networks?: Record<string, unknown> | null } | null;
}

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

/** The default table of `docker ps`, for --format table. */
const DEFAULT_TABLE = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';
const HEADER = {
  ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', CreatedAt: 'CREATED AT', RunningFor: 'CREATED', Ports: 'PORTS', State: 'STATE',
  Status: 'STATUS', Size: 'SIZE', Names: 'NAMES', Labels: 'LABELS', Mounts: 'MOUNTS', Networks: 'NETWORKS', LocalVolumes: 'LOCAL VOLUMES', Platform: 'PLATFORM',
  // SubHeaderContext.Label: the title of a label column is the label's last dotted part
  Label: Object.assign((n: string) => n.split('.').pop()!.replace(/[-_]/g, ' '), { goArgs: ['string' as const] }),
};
const EMPTY: Summary = { Id: '', Names: [], Image: '', Command: '', Created: 0, Ports: [], State: '', Status: '' };
const FIELDS = ['Command', 'CreatedAt', 'ID', 'Image', 'Labels', 'LocalVolumes', 'Mounts', 'Names', 'Networks', 'Platform', 'Ports', 'RunningFor', 'Size', 'State', 'Status'];

/** Go's time.Time.String() of a Unix time, in UTC as these machines run. */
export function goTime(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' +0000 UTC');
}

/** ContainerContext.Names: truncated, a container's own name stands for its link aliases ("/other/alias"). */
function names(s: Summary, trunc: boolean): string {
  const all = s.Names.map((n) => n.slice(1));
  const own = trunc ? all.find((n) => !n.includes('/')) : undefined;
  return own !== undefined ? own : all.join(',');
}

/** docker's formatter.ContainerContext for one container. */
function containerRow(s: Summary, trunc: boolean) {
  const labels = s.Labels ?? {};
  const mounts = s.Mounts ?? [];
  return formatterRow('*formatter.ContainerContext', {
    Command: goQuote(trunc ? ellipsis(s.Command, 20) : s.Command),
    CreatedAt: goTime(s.Created),
    ID: trunc ? s.Id.slice(0, 12) : s.Id,
    Image: s.Image || '<no image>',
    Labels: Object.entries(labels).map(([k, v]) => `${k}=${v}`).sort().join(','),
    LocalVolumes: String(mounts.filter((m) => m.Driver === 'local').length),
    Mounts: mounts.map((m) => (trunc ? ellipsis(m.Name || m.Source || '', 15) : m.Name || m.Source || '')).join(','),
    Names: names(s, trunc),
    Networks: Object.keys(s.NetworkSettings?.Networks ?? {}).sort().join(','),
    Platform: NIL_PTR,
    Ports: formatPorts(s.Ports),
    RunningFor: ago(s.Created),
    Size: (s.SizeRootFs ?? 0) > 0 ? `${humanSize(s.SizeRw ?? 0)} (virtual ${humanSize(s.SizeRootFs!)})` : humanSize(s.SizeRw ?? 0),
    State: s.State,
    Status: s.Status,
    Label: Object.assign((n: string) => labels[n] ?? '', { goArgs: ['string' as const] }),
  });
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
    .option('--format <string>', 'Format output using a custom template: "table", "table TEMPLATE", "json" or a Go template')
    .option('-s, --size', 'Display total file sizes')
    .action(async (o: { all?: boolean; quiet?: boolean; trunc: boolean; filter: string[]; last?: string; format?: string; size?: boolean }) => {
      const format = o.format === 'table' ? DEFAULT_TABLE + (o.size ? '\\t{{.Size}}' : '') : o.format;
      let wantSize = !!o.size;
      if (format && !o.quiet && !wantSize) {
        // as docker: run the template once on an empty row; only a template that reads .Size asks the daemon for sizes
        try {
          wantSize = fieldsUsed(format, '*formatter.ContainerContext', FIELDS, { Label: containerRow(EMPTY, true).Label }).has('Size');
        } catch (err) {
          return reportFormatError(err, ctx.err);
        }
      }
      const c = await ctx.client();
      const filters: Record<string, string[]> = {};
      for (const f of o.filter) {
        const i = f.indexOf('=');
        (filters[f.slice(0, i)] ??= []).push(f.slice(i + 1));
      }
      const list = await c.json<Summary[]>('GET', '/containers/json', {
        query: { all: o.all || o.last !== undefined ? '1' : undefined, limit: o.last, size: wantSize ? '1' : undefined, filters: Object.keys(filters).length ? JSON.stringify(filters) : undefined },
      });
      if (o.quiet) {
        if (o.format) ctx.err.write('WARNING: Ignoring custom format, because both --format and --quiet are set.\n');
        for (const s of list) ctx.print(o.trunc ? s.Id.slice(0, 12) : s.Id);
        return;
      }
      if (format) {
        try {
          ctx.out.write(formatRows(format, list.map((s) => containerRow(s, o.trunc)), HEADER));
        } catch (err) {
          reportFormatError(err, ctx.err);
        }
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
