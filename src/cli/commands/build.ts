// berth build [OPTIONS] PATH | -
import { readFileSync } from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { contextTar } from '../buildcontext.js';
import { PlainProgress } from '../buildprogress.js';
import { allCredentials } from '../credentials.js';
import { jsonLines } from '../../client/index.js';
import type { BuildEvent } from '../../api/types.js';

interface Opts {
  tag: string[];
  file?: string;
  buildArg: string[];
  target?: string;
  cache: boolean;
  quiet?: boolean;
  secret: string[];
  label: string[];
  platform?: string;
  cacheFrom: string[];
  network?: string;
  progress: string;
  pull?: boolean;
}

const many = (v: string, p: string[] = []) => [...p, v];

/** --secret id=x,src=path | id=x,env=VAR */
function readSecret(spec: string): [string, string] {
  const kv = new Map(spec.split(',').map((f) => {
    const i = f.indexOf('=');
    return [f.slice(0, i < 0 ? f.length : i), i < 0 ? '' : f.slice(i + 1)] as [string, string];
  }));
  const id = kv.get('id');
  if (!id) throw new Error(`invalid secret "${spec}": id is required`);
  const src = kv.get('src') ?? kv.get('source');
  const env = kv.get('env');
  let data: Buffer;
  if (src) data = readFileSync(src);
  else {
    const v = process.env[env ?? id];
    if (v === undefined) throw new Error(`secret ${id}: no src given and no environment variable ${env ?? id}`);
    data = Buffer.from(v);
  }
  return [id, data.toString('base64')];
}

async function stdinBody(): Promise<{ body: Readable; dockerfile: string }> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  const all = Buffer.concat(chunks);
  const body = new PassThrough();
  body.end(all);
  return { body, dockerfile: 'Dockerfile' };
}

export function register(parent: Command, ctx: CliContext, name = 'build'): Command {
  return parent
    .command(name)
    .description('Build an image from a Dockerfile')
    .argument('<path>', 'context directory, or - to read a Dockerfile or a tar context from stdin')
    .option('-t, --tag <name>', 'Name and optionally a tag in the "name:tag" format', many, [])
    .option('-f, --file <path>', 'Name of the Dockerfile (default "PATH/Dockerfile")')
    .option('--build-arg <arg>', 'Set build-time variables', many, [])
    .option('--target <stage>', 'Set the target build stage to build')
    .option('--no-cache', 'Do not use cache when building the image')
    .option('--pull', 'Always attempt to pull a newer version of the image')
    .option('--cache-from <image>', 'Images to consider as cache sources (repeatable); when given, only they are used as cache, matched on their history as docker\'s legacy builder does, and an image that does not exist is skipped', many, [])
    .option('-q, --quiet', 'Suppress the build output and print image ID on success')
    .option('--secret <spec>', 'Secret to expose to the build (id=mysecret,src=/local/secret)', many, [])
    .option('--label <label>', 'Set metadata for an image', many, [])
    .option('--platform <platform>', 'Set platform if server is multi-platform capable')
    .option('--progress <type>', 'Set type of progress output (auto, plain, tty, quiet). plain: BuildKit\'s format with step durations', 'auto')
    .option('--network <mode>', 'Set the networking mode for the RUN instructions during build: default (the bridge), host or none', undefined)
    .action(async (dir: string, o: Opts) => {
      if (!['auto', 'plain', 'tty', 'quiet'].includes(o.progress)) throw new Error(`invalid --progress "${o.progress}": use auto, plain, tty or quiet`);
      const quiet = o.quiet || o.progress === 'quiet';
      const plain = o.progress === 'plain' && !quiet ? new PlainProgress(ctx.out) : undefined;
      const buildArgs: Record<string, string | null> = {};
      for (const a of o.buildArg) {
        const i = a.indexOf('=');
        if (i < 0) buildArgs[a] = process.env[a] ?? null;
        else buildArgs[a.slice(0, i)] = a.slice(i + 1);
      }
      // BuildKit's convention: SOURCE_DATE_EPOCH from the environment is a build arg
      if (process.env['SOURCE_DATE_EPOCH'] !== undefined && !('SOURCE_DATE_EPOCH' in buildArgs)) buildArgs['SOURCE_DATE_EPOCH'] = process.env['SOURCE_DATE_EPOCH'];
      const labels: Record<string, string> = {};
      for (const l of o.label) {
        const i = l.indexOf('=');
        labels[i < 0 ? l : l.slice(0, i)] = i < 0 ? '' : l.slice(i + 1);
      }
      const secrets = Object.fromEntries(o.secret.map(readSecret));
      const { body, dockerfile } = dir === '-' ? await stdinBody() : await (async () => {
        const c = await contextTar(dir, o.file);
        return { body: c.stream, dockerfile: c.dockerfile };
      })();
      // a Dockerfile from outside the context travels under a generated name: errors show the user's path
      const outside = dir !== '-' && o.file !== undefined && dockerfile.startsWith('.dockerfile.');
      const shown = (msg: string) => (outside ? msg.split(`${dockerfile}:`).join(`${o.file}:`) : msg);
      const c = await ctx.client();
      const res = await c.request('POST', '/build', {
        query: {
          t: o.tag, dockerfile: dir === '-' && o.file ? o.file : dockerfile, buildargs: JSON.stringify(buildArgs), target: o.target,
          nocache: o.cache === false ? '1' : undefined, q: quiet ? '1' : undefined, pull: o.pull ? '1' : undefined, labels: JSON.stringify(labels), platform: o.platform, networkmode: o.network,
          cachefrom: o.cacheFrom.length ? JSON.stringify(o.cacheFrom) : undefined,
        },
        body,
        headers: {
          'Content-Type': 'application/x-tar',
          // as the docker CLI: every stored credential, for the daemon's pulls of base images
          'X-Registry-Config': Buffer.from(JSON.stringify(allCredentials())).toString('base64'),
          ...(o.secret.length ? { 'X-Berth-Build-Secrets': Buffer.from(JSON.stringify(secrets)).toString('base64') } : {}) },
      }).catch((err: unknown) => {
        if (err instanceof Error) err.message = shown(err.message);
        throw err;
      });
      let failure: { message: string; code: number } | undefined;
      await jsonLines(res, (raw) => {
        const m = raw as { stream?: string; error?: string; errorDetail?: { code?: number; message?: string }; berth?: BuildEvent };
        if (m.error) failure = { message: m.error, code: m.errorDetail?.code ?? 1 };
        else if (typeof m.stream === 'string') {
          if (plain) plain.message(m.stream, m.berth);
          else ctx.out.write(m.stream);
        }
      });
      plain?.end();
      if (failure) {
        ctx.err.write(`${shown(failure.message)}\n`);
        process.exitCode = failure.code || 1;
      }
    });
}
