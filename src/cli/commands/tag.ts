// berth tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { parseReference } from '../../common/reference.js';

export function register(parent: Command, ctx: CliContext, name = 'tag'): Command {
  return parent
    .command(name)
    .description('Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE')
    .argument('<source>', 'SOURCE_IMAGE[:TAG]')
    .argument('<target>', 'TARGET_IMAGE[:TAG]')
    .action(async (source: string, target: string) => {
      const ref = parseReference(target);
      if (ref.digest) throw new Error('refusing to create a tag with a digest reference');
      const repo = target.slice(0, target.length - (ref.tag !== undefined ? ref.tag.length + 1 : 0));
      const c = await ctx.client();
      const res = await c.request('POST', `/images/${encodeURIComponent(source)}/tag`, { query: { repo, tag: ref.tag } });
      res.resume();
    });
}
