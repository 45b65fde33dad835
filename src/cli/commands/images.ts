// berth images [REPOSITORY[:TAG]]
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { ago, formatRows, formatterRow, humanSize, reportFormatError, table } from '../format.js';
import { goTime } from './ps.js';

interface Summary {
  Id: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Created: number;
  Size: number;
  Containers?: number;
  SharedSize?: number;
}

const HEADER = {
  ID: 'IMAGE ID', Repository: 'REPOSITORY', Tag: 'TAG', Digest: 'DIGEST', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', Size: 'SIZE',
  Containers: 'CONTAINERS', VirtualSize: 'SIZE', SharedSize: 'SHARED SIZE', UniqueSize: 'UNIQUE SIZE',
};

/** docker's default `images` table, for --format table. */
function defaultTable(digests: boolean): string {
  return `table {{.Repository}}\\t{{.Tag}}\\t${digests ? '{{.Digest}}\\t' : ''}{{.ID}}\\t{{.CreatedSince}}\\t{{.Size}}`;
}

export function register(parent: Command, ctx: CliContext, name = 'images'): Command {
  return parent
    .command(name)
    .description('List images')
    .argument('[repository]', 'REPOSITORY[:TAG] to list')
    .option('-a, --all', 'Show all images (default hides intermediate images)')
    .option('--digests', 'Show digests')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', (v: string, p: string[] = []) => [...p, v])
    .option('--format <string>', 'Format output using a custom template: "table", "table TEMPLATE", "json" or a Go template')
    .option('--no-trunc', "Don't truncate output")
    .option('-q, --quiet', 'Only show image IDs')
    .action(async (repo: string | undefined, o: { all?: boolean; digests?: boolean; filter?: string[]; format?: string; trunc: boolean; quiet?: boolean }) => {
      const filters: Record<string, string[]> = {};
      for (const f of o.filter ?? []) {
        const i = f.indexOf('=');
        if (i <= 0) throw new Error(`bad format of filter (expected name=value)`);
        (filters[f.slice(0, i)] ??= []).push(f.slice(i + 1));
      }
      if (repo) (filters['reference'] ??= []).push(repo);
      const c = await ctx.client();
      const list = await c.json<Summary[]>('GET', '/images/json', { query: { all: o.all ? '1' : undefined, filters: Object.keys(filters).length ? JSON.stringify(filters) : undefined } });
      const id = (s: string) => (o.trunc ? s.replace(/^sha256:/, '').slice(0, 12) : s);
      type Row = { Repository: string; Tag: string; Digest: string; ID: string; CreatedSince: string; CreatedAt: string; Size: string; Containers: string; SharedSize: string; UniqueSize: string; VirtualSize: string };
      const rows: Row[] = [];
      for (const s of list) {
        const tags = s.RepoTags?.filter((t) => t !== '<none>:<none>') ?? [];
        const digests = s.RepoDigests?.filter((d) => d !== '<none>@<none>') ?? [];
        // formatter.imageContext: the -1 the daemon sends when it did not count is "N/A"
        const counted = (n: number | undefined, f: (n: number) => string) => (n === undefined || n < 0 ? 'N/A' : f(n));
        const base = {
          ID: id(s.Id), CreatedSince: ago(s.Created), CreatedAt: goTime(s.Created), Size: humanSize(s.Size),
          Containers: counted(s.Containers, String), SharedSize: counted(s.SharedSize, (n) => humanSize(n)),
          UniqueSize: counted(s.SharedSize, (n) => humanSize(s.Size - n)), VirtualSize: humanSize(s.Size, 4),
        };
        const digestOf = (repoName: string) => digests.find((d) => d.startsWith(repoName + '@'))?.split('@')[1] ?? '<none>';
        for (const t of tags) {
          const i = t.lastIndexOf(':');
          rows.push({ Repository: t.slice(0, i), Tag: t.slice(i + 1), Digest: digestOf(t.slice(0, i)), ...base });
        }
        // As docker: a repository the image is known in only by digest gets a row with TAG <none>.
        const tagged = new Set(tags.map((t) => t.slice(0, t.lastIndexOf(':'))));
        for (const dg of digests) {
          const [repoName, digest] = dg.split('@') as [string, string];
          if (!tagged.has(repoName)) (tagged.add(repoName), rows.push({ Repository: repoName, Tag: '<none>', Digest: digest, ...base }));
        }
        if (tags.length === 0 && digests.length === 0) rows.push({ Repository: '<none>', Tag: '<none>', Digest: '<none>', ...base });
      }
      if (o.quiet) {
        if (o.format) ctx.err.write('WARNING: Ignoring custom format, because both --format and --quiet are set.\n');
        const seen = new Set<string>();
        for (const r of rows) if (!seen.has(r.ID)) (seen.add(r.ID), ctx.print(r.ID));
        return;
      }
      if (o.format) {
        const format = o.format === 'table' ? defaultTable(!!o.digests) : o.format;
        try {
          ctx.out.write(formatRows(format, rows.map((r) => formatterRow('*formatter.imageContext', r)), HEADER));
        } catch (err) {
          reportFormatError(err, ctx.err);
        }
        return;
      }
      const head = ['REPOSITORY', 'TAG', ...(o.digests ? ['DIGEST'] : []), 'IMAGE ID', 'CREATED', 'SIZE'];
      ctx.out.write(table([head, ...rows.map((r) => [r.Repository, r.Tag, ...(o.digests ? [r.Digest] : []), r.ID, r.CreatedSince, r.Size])]));
    });
}
