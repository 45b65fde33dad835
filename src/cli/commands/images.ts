// berth images [REPOSITORY[:TAG]]
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { ago, humanSize, renderTemplate, table } from '../format.js';

interface Summary {
  Id: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Created: number;
  Size: number;
}

export function register(parent: Command, ctx: CliContext, name = 'images'): Command {
  return parent
    .command(name)
    .description('List images')
    .argument('[repository]', 'REPOSITORY[:TAG] to list')
    .option('-a, --all', 'Show all images (default hides intermediate images)')
    .option('--digests', 'Show digests')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', (v: string, p: string[] = []) => [...p, v])
    .option('--format <string>', 'Format output using a Go template or "json"')
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
      type Row = { Repository: string; Tag: string; Digest: string; ID: string; CreatedSince: string; CreatedAt: string; Size: string };
      const rows: Row[] = [];
      for (const s of list) {
        const tags = s.RepoTags?.filter((t) => t !== '<none>:<none>') ?? [];
        const digests = s.RepoDigests?.filter((d) => d !== '<none>@<none>') ?? [];
        const base = { ID: id(s.Id), CreatedSince: ago(s.Created), CreatedAt: new Date(s.Created * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' +0000 UTC'), Size: humanSize(s.Size) };
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
        const seen = new Set<string>();
        for (const r of rows) if (!seen.has(r.ID)) (seen.add(r.ID), ctx.print(r.ID));
        return;
      }
      if (o.format === 'json') {
        for (const r of rows) ctx.print(JSON.stringify(r));
        return;
      }
      if (o.format && !o.format.startsWith('table')) {
        for (const r of rows) ctx.print(renderTemplate(o.format, r));
        return;
      }
      const head = ['REPOSITORY', 'TAG', ...(o.digests ? ['DIGEST'] : []), 'IMAGE ID', 'CREATED', 'SIZE'];
      ctx.out.write(table([head, ...rows.map((r) => [r.Repository, r.Tag, ...(o.digests ? [r.Digest] : []), r.ID, r.CreatedSince, r.Size])]));
    });
}
