// berth push [-q] NAME[:TAG]   (no tag: every tag of the repository, as docker's --all-tags)
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { formatReference, parseReference } from '../../common/reference.js';
import { encodeAuthHeader, getCredentials, keyForImage } from '../credentials.js';
import { ProgressRenderer } from '../progress.js';

export function register(parent: Command, ctx: CliContext, name = 'push'): Command {
  return parent
    .command(name)
    .description('Upload an image to a registry')
    .argument('<name>', 'NAME[:TAG]')
    .option('-a, --all-tags', 'Push all tags of an image to the repository')
    .option('-q, --quiet', 'Suppress verbose output')
    .action(async (image: string, o: { allTags?: boolean; quiet?: boolean }) => {
      const ref = parseReference(image);
      if (ref.digest) throw new Error(`invalid reference format: cannot push a digest reference`);
      if (!o.allTags && ref.tag === undefined && !o.quiet) ctx.print('Using default tag: latest');
      const tag = o.allTags ? undefined : ref.tag ?? 'latest';
      const auth = getCredentials(keyForImage(image));
      const c = await ctx.client();
      const name = formatReference({ domain: ref.domain, path: ref.path }, true);
      const res = await c.request('POST', `/images/${encodeURIComponent(name)}/push`, { query: { tag }, headers: { 'X-Registry-Auth': encodeAuthHeader(auth) } });
      const r = new ProgressRenderer(ctx.out);
      await c.stream(res, (m) => {
        if (!o.quiet) r.write(m);
      });
      if (o.quiet) ctx.print(formatReference({ ...ref, ...(tag ? { tag } : {}) }, true));
    });
}
