// berth save [-o FILE] IMAGE...
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';

export function register(parent: Command, ctx: CliContext, name = 'save'): Command {
  return parent
    .command(name)
    .description('Save one or more images to a tar archive (streamed to STDOUT by default)')
    .argument('<image...>', 'IMAGE')
    .option('-o, --output <file>', 'Write to a file, instead of STDOUT')
    .action(async (images: string[], o: { output?: string }) => {
      if (!o.output && process.stdout.isTTY) throw new Error('cowardly refusing to save to a terminal. Use the -o flag or redirect');
      const c = await ctx.client();
      const query = { names: images };
      const res = await c.request('GET', '/images/get', { query });
      if (!o.output) {
        await pipeline(res, process.stdout);
        return;
      }
      // Write beside the target and rename: a failed save leaves no half file.
      const tmp = path.join(path.dirname(o.output), `.${path.basename(o.output)}.berth-tmp`);
      try {
        await pipeline(res, createWriteStream(tmp, { mode: 0o600 }));
        if (!res.complete) throw new Error('the daemon ended the stream early');
        renameSync(tmp, o.output);
      } catch (err) {
        rmSync(tmp, { force: true });
        throw err;
      }
    });
}
