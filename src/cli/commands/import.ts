// berth import FILE|URL|- [REPOSITORY[:TAG]]
import { createReadStream, statSync } from 'node:fs';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { parseReference } from '../../common/reference.js';

export function register(parent: Command, ctx: CliContext, name = 'import'): Command {
  return parent
    .command(name)
    .description('Import the contents from a tarball to create a filesystem image')
    .argument('<file>', 'tarball (plain, gzip or zstd), or - for standard input')
    .argument('[repository]', 'REPOSITORY[:TAG]')
    .option('-c, --change <instruction>', 'Apply Dockerfile instruction to the created image', (v: string, p: string[] = []) => [...p, v])
    .option('-m, --message <string>', 'Set commit message for imported image')
    .option('--platform <string>', 'Set platform if server is multi-platform capable')
    .action(async (file: string, repository: string | undefined, o: { change?: string[]; message?: string; platform?: string }) => {
      let repo: string | undefined;
      let tag: string | undefined;
      if (repository) {
        const ref = parseReference(repository);
        if (ref.digest) throw new Error(`invalid reference format: import cannot name a digest`);
        tag = ref.tag;
        repo = tag !== undefined ? repository.slice(0, repository.length - tag.length - 1) : repository;
      }
      if (/^https?:\/\//.test(file)) throw new Error('importing from a URL is not supported yet: download the tarball and import the file');
      let body: NodeJS.ReadableStream;
      if (file === '-') body = process.stdin;
      else {
        const st = statSync(file, { throwIfNoEntry: false });
        if (!st) throw new Error(`open ${file}: no such file or directory`);
        if (!st.isFile()) throw new Error(`${file} is not a regular file`);
        body = createReadStream(file);
      }
      const c = await ctx.client();
      const res = await c.request('POST', '/images/create', {
        query: { fromSrc: '-', repo, tag, changes: o.change, message: o.message, platform: o.platform },
        body: body as unknown as import('node:stream').Readable,
        headers: { 'Content-Type': 'application/x-tar' },
      });
      await c.stream(res, (m) => {
        if (typeof m['status'] === 'string') ctx.print(m['status']);
      });
    });
}
