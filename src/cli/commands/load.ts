// berth load [-i FILE]
import { createReadStream, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';

export function register(parent: Command, ctx: CliContext, name = 'load'): Command {
  return parent
    .command(name)
    .description('Load an image from a tar archive or STDIN')
    .option('-i, --input <file>', 'Read from tar archive file, instead of STDIN')
    .option('-q, --quiet', 'Suppress the load output')
    .action(async (o: { input?: string; quiet?: boolean }) => {
      let body: Readable;
      if (o.input) {
        const st = statSync(o.input, { throwIfNoEntry: false });
        if (!st) throw new Error(`open ${o.input}: no such file or directory`);
        body = createReadStream(o.input);
      } else {
        if (process.stdin.isTTY) throw new Error('requested load from stdin, but stdin is empty');
        body = process.stdin;
      }
      const c = await ctx.client();
      const res = await c.request('POST', '/images/load', { query: { quiet: o.quiet ? '1' : '0' }, body, headers: { 'Content-Type': 'application/x-tar' } });
      await c.stream(res, (m) => {
        if (typeof m['stream'] === 'string' && !o.quiet) ctx.out.write(m['stream']);
      });
    });
}
