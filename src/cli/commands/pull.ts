// berth pull [--platform P] [-q] NAME[:TAG|@DIGEST]
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { formatReference, parseReference, withDefaultTag } from '../../common/reference.js';
import { encodeAuthHeader, getCredentials, keyForImage } from '../credentials.js';
import { ProgressRenderer } from '../progress.js';

export function register(parent: Command, ctx: CliContext, name = 'pull'): Command {
  return parent
    .command(name)
    .description('Download an image from a registry')
    .argument('<name>', 'NAME[:TAG|@DIGEST]')
    .option('--platform <string>', 'Set platform if server is multi-platform capable')
    .option('-q, --quiet', 'Suppress verbose output')
    .action(async (image: string, o: { platform?: string; quiet?: boolean }) => {
      const parsed = parseReference(image);
      if (parsed.tag === undefined && parsed.digest === undefined && !o.quiet) ctx.print('Using default tag: latest');
      const ref = withDefaultTag(parsed);
      const fromImage = formatReference({ domain: ref.domain, path: ref.path }, true);
      const auth = getCredentials(keyForImage(image));
      const c = await ctx.client();
      const res = await c.request('POST', '/images/create', {
        query: { fromImage, tag: ref.digest ?? ref.tag, platform: o.platform },
        headers: { 'X-Registry-Auth': encodeAuthHeader(auth) },
      });
      const r = new ProgressRenderer(ctx.out);
      await c.stream(res, (m) => {
        if (!o.quiet) r.write(m);
      });
      ctx.print(formatReference(ref));
    });
}
