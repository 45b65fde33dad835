// berth pull [--platform P] [-q] NAME[:TAG|@DIGEST]
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { formatReference, parseReference, withDefaultTag } from '../../common/reference.js';
import { encodeAuthHeader, getCredentials, keyForImage } from '../credentials.js';
import { ProgressRenderer } from '../progress.js';

/** Pull `image` through the daemon, rendering docker's progress to `out`. */
export async function pullImage(ctx: CliContext, image: string, o: { platform?: string; quiet?: boolean; out?: NodeJS.WriteStream } = {}): Promise<void> {
  const out = o.out ?? ctx.out;
  const parsed = parseReference(image);
  // only `pull` itself says so; the pull inside run/create does not (as docker)
  if (parsed.tag === undefined && parsed.digest === undefined && !o.quiet && o.out === undefined) out.write('Using default tag: latest\n');
  const ref = withDefaultTag(parsed);
  const fromImage = formatReference({ domain: ref.domain, path: ref.path }, true);
  const auth = getCredentials(keyForImage(image));
  const c = await ctx.client();
  const res = await c.request('POST', '/images/create', {
    query: { fromImage, tag: ref.digest ?? ref.tag, platform: o.platform },
    headers: { 'X-Registry-Auth': encodeAuthHeader(auth) },
  });
  const r = new ProgressRenderer(out);
  await c.stream(res, (m) => {
    if (!o.quiet) r.write(m);
  });
  if (o.out === undefined) ctx.print(formatReference(ref));
}

export function register(parent: Command, ctx: CliContext, name = 'pull'): Command {
  return parent
    .command(name)
    .description('Download an image from a registry')
    .argument('<name>', 'NAME[:TAG|@DIGEST]')
    .option('--platform <string>', 'Set platform if server is multi-platform capable')
    .option('-q, --quiet', 'Suppress verbose output')
    .action(async (image: string, o: { platform?: string; quiet?: boolean }) => pullImage(ctx, image, o));
}
