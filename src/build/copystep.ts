// One COPY or ADD step: expand its words, find where each source comes from
// (context, heredoc, URL, another stage or image), compute the content digest
// that names it in the cache and history, and, when it runs, write it into
// the new layer (ADD unpacks a local tar archive, plain or gzip, bzip2, xz or
// zstd compressed, through the same rules as the context extractor: nothing
// lands outside the target).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { wrap } from '../common/errors.js';
import type { ImageService } from '../image/index.js';
import { applyCopy, CopyError, matchSources, planCopy, type CopyEntry, type CopyPlan, type SourceRoot } from './copy.js';
import { IgnoreMatcher } from './context/dockerignore.js';
import { extractArchive, probeArchive, type ArchiveCompression } from './archive.js';
import type { CopyLike } from './instructions/index.js';
import { withView } from './layers.js';
import { DEFAULT_SHELL } from './metadata.js';
import { DockerfileError, expandWord, type Env } from './parser/index.js';
import { lookupIds, resolveInRoot } from './rootfs.js';
import type { State } from './state.js';
import { createHash } from 'node:crypto';

export interface CopyStepEnv {
  /** the Dockerfile's name, for file:line in errors */
  file: string;
  images: ImageService;
  tmp: string;
  contextDir: string;
  escape: string;
  epoch: number | undefined;
  refState(name: string): Promise<State>;
}

export interface CopyStepPlan {
  createdBy: string;
  /** history comment for what created_by does not show (--chmod, --link), so that --cache-from matches it too */
  comment?: string;
  keyParts: unknown[];
  /**
   * COPY/ADD --link: execute() writes into an empty directory, and the layer
   * depends on nothing of the parent (BuildKit ignores --link when --chmod is
   * given, and so does berth).
   */
  link: boolean;
  execute(layer: (work: (rootfs: string) => Promise<void>) => Promise<boolean>): Promise<boolean>;
}

interface Group {
  src: SourceRoot;
  patterns: string[];
  archive: boolean;
}

function scratchDir(tmp: string, what: string): string {
  const d = path.join(tmp, `${what}-${randomBytes(6).toString('hex')}`);
  fs.mkdirSync(d, { recursive: true });
  return d;
}

async function download(url: string, dir: string): Promise<string> {
  const res = await fetch(url, { redirect: 'follow' });
  if (!res.ok || !res.body) throw new CopyError(`ADD failed: ${url}: HTTP ${res.status}`);
  let name = path.posix.basename(new URL(url).pathname) || 'index.html';
  if (name === '/' || name === '') name = 'index.html';
  const file = path.join(dir, name);
  const out = fs.createWriteStream(file, { mode: 0o600 });
  await new Promise<void>((resolve, reject) => {
    Readable.fromWeb(res.body as import('node:stream/web').ReadableStream).on('error', reject).pipe(out).on('finish', resolve).on('error', reject);
  });
  fs.chmodSync(file, 0o600);
  const lm = res.headers.get('last-modified');
  const t = lm ? new Date(lm) : new Date(0);
  if (!Number.isNaN(t.getTime())) fs.utimesSync(file, t, t);
  return '/' + name;
}

function parseChmod(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^[0-7]{3,4}$/.test(v)) throw new CopyError(`invalid chmod parameter: ${v}`);
  return parseInt(v, 8);
}

/** Plan every group; one description for all of them. */
function planGroups(groups: Group[], dest: string, rootfs: string, exclude: string[], kind: 'COPY' | 'ADD'): { plans: CopyPlan[]; description: string } {
  const count = groups.reduce((n, g) => n + g.patterns.length, 0);
  const plans = groups.map((g) => planCopy(g.src, g.patterns, dest, count > 1 && (dest.endsWith('/') || count > 1), rootfs, exclude, kind));
  if (count > 1 && !dest.endsWith('/')) throw new CopyError(`When using ${kind} with more than one source file, the destination must be a directory and end with a /`);
  if (plans.length === 1) return { plans, description: plans[0]!.description };
  const h = createHash('sha256');
  for (const p of plans) h.update(p.digest);
  return { plans, description: `multi:${h.digest('hex')}` };
}

export async function copyStep(ctx: CopyStepEnv, prev: State, ins: CopyLike & { node: { startLine: number } }, env: Env): Promise<CopyStepPlan> {
  const cfg = prev.config.config ?? {};
  const x = (s: string) => expandWord(s, env, ctx.escape);
  const kind = ins.kind === 'copy' ? 'COPY' : 'ADD';
  let dest = x(ins.dest);
  const destShown = dest;
  const trailing = dest.endsWith('/') || dest === '.';
  if (!dest.startsWith('/')) dest = path.posix.join(cfg.WorkingDir || '/', dest);
  dest = path.posix.normalize(dest) + (trailing && !dest.endsWith('/') ? '/' : '');
  const chown = ins.chown === undefined ? undefined : x(ins.chown);
  const chmod = parseChmod(ins.chmod === undefined ? undefined : x(ins.chmod));
  const exclude = ins.exclude.map(x);
  const link = ins.link && chmod === undefined;
  const linkOwner = link && chown !== undefined ? numericOwner(chown, ctx.file, ins.node.startLine, kind) : undefined;
  const from = ins.from === undefined ? undefined : x(ins.from);
  const groups: Group[] = [];
  if (ins.heredocs.length) {
    const dir = scratchDir(ctx.tmp, 'heredoc');
    for (const h of ins.heredocs) {
      fs.writeFileSync(path.join(dir, h.name), h.expand ? expandWord(h.content.replace(/(["'])/g, '\\$1'), env, ctx.escape) : h.content, { mode: 0o644 });
    }
    groups.push({ src: { root: dir, what: 'heredoc' }, patterns: ins.heredocs.map((h) => '/' + h.name), archive: false });
  }
  const sources = ins.sources.filter((s) => !/^\d*<<-?/.test(s)).map(x);
  const urls = sources.filter((s) => /^https?:\/\//.test(s));
  const locals = sources.filter((s) => !/^https?:\/\//.test(s));
  if (ins.checksum !== undefined && urls.length === 0) throw new CopyError('ADD --checksum is only supported for HTTP(S) sources');
  if (urls.length) {
    if (kind === 'COPY') throw new CopyError('COPY does not support URLs: use ADD');
    const dir = scratchDir(ctx.tmp, 'url');
    const names: string[] = [];
    for (const u of urls) names.push(await download(u, dir));
    if (ins.checksum !== undefined) {
      const want = x(ins.checksum);
      if (urls.length !== 1) throw new CopyError('ADD --checksum needs exactly one URL source');
      const got = 'sha256:' + createHash('sha256').update(fs.readFileSync(path.join(dir, names[0]!))).digest('hex');
      if (got !== want) throw new CopyError(`digest mismatch ${got}: ${want}`);
    }
    groups.push({ src: { root: dir, what: 'URL' }, patterns: names, archive: false });
  }
  let fromState: State | undefined;
  if (from !== undefined) {
    // docker's legacy builder's words; what follows says which image and what failed
    fromState = await ctx.refState(from).catch((err: unknown) => Promise.reject(wrap(err, `invalid from flag value ${from}`)));
  }
  const withSource = async <T>(fn: (root: string) => Promise<T>): Promise<T> =>
    fromState ? withView(ctx.images, ctx.tmp, fromState.config.rootfs.diff_ids, fn) : fn(ctx.contextDir);

  const empty = scratchDir(ctx.tmp, 'empty');
  const { description, archives, plainLocals } = await withSource(async (root) => {
    const what = from !== undefined ? `stage or image ${from}` : 'build context';
    const gs = [...groups];
    const archives: { path: string; compression: ArchiveCompression }[] = [];
    const plainLocals: string[] = [];
    const excluded = new IgnoreMatcher(exclude);
    for (const p of locals) {
      // ADD unpacks a local archive that is a source itself or a wildcard's
      // match (not one inside a copied directory), as both docker builders do
      if (kind === 'ADD' && from === undefined) {
        const matches = /[*?[]/.test(p) ? matchSources({ root, what }, p) : [p];
        const found: string[] = [];
        const rest: string[] = [];
        for (const m of matches) {
          const compression = excluded.matches(path.posix.normalize('/' + m).slice(1)) ? undefined : await probeArchive(resolveInRoot(root, m));
          if (compression === undefined) rest.push(m);
          else {
            found.push(m);
            archives.push({ path: m, compression });
          }
        }
        if (found.length) {
          for (const m of found) gs.push({ src: { root, what }, patterns: [m], archive: true });
          for (const m of rest) gs.push({ src: { root, what }, patterns: [m], archive: false });
          plainLocals.push(...rest);
          continue;
        }
      }
      gs.push({ src: { root, what }, patterns: [p], archive: false });
      plainLocals.push(p);
    }
    return { ...planGroups(merge(gs), dest, empty, exclude, kind), archives, plainLocals };
  });
  const shell = cfg.Shell ?? DEFAULT_SHELL;
  // docker's legacy builder glues the --chown flag to the description (sic)
  const createdBy = `${shell.join(' ')} #(nop) ${kind} ${chown !== undefined ? `--chown=${chown}` : ''}${description} in ${destShown} `;
  return {
    createdBy,
    ...(chmod !== undefined || link ? { comment: ['berth.copy.v0', ...(chmod !== undefined ? [`--chmod=${chmod.toString(8).padStart(4, '0')}`] : []), ...(link ? ['--link'] : [])].join(' ') } : {}),
    keyParts: [kind, description, dest, chown ?? '', chmod ?? '', exclude, from ?? '', archives, link],
    link,
    execute: (layer) =>
      withSource(async (root) =>
        layer(async (rootfs) => {
          const owner = linkOwner ?? (chown === undefined ? undefined : await lookupIds(rootfs, chown, true));
          const opts = { ...(owner ? { owner } : {}), ...(chmod !== undefined ? { chmod } : {}) };
          const what = from !== undefined ? `stage or image ${from}` : 'build context';
          const plain: Group[] = [...groups];
          for (const p of plainLocals) plain.push({ src: { root, what }, patterns: [p], archive: false });
          const { plans } = planGroups(merge(plain.length ? plain : []), dest, rootfs, exclude, kind);
          for (const plan of plans) applyCopy(plan, rootfs, opts);
          for (const a of archives) {
            const out = scratchDir(ctx.tmp, 'archive');
            await extractArchive(resolveInRoot(root, a.path), a.compression, out, a.path);
            const plan = planCopy({ root: out, what: 'archive', keepOwner: true }, ['/'], dest.endsWith('/') ? dest : dest + '/', true, rootfs, [], kind);
            applyCopy(plan, rootfs, { ...opts, keepOwner: true });
          }
        }),
      ),
  };
}

/**
 * --chown with --link, as BuildKit resolves it: the layer is made on scratch,
 * which has no /etc/passwd or /etc/group, so only numbers and "root" name an
 * owner (a user alone gives uid = gid); any other name is an error (BuildKit
 * fails with "invalid user index: -1").
 */
function numericOwner(spec: string, file: string, line: number, kind: string): { uid: number; gid: number } {
  const parts = spec.split(':');
  const id = (v: string | undefined) => (v === 'root' ? 0 : v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined);
  const uid = id(parts[0]);
  const gid = parts.length > 1 ? id(parts.slice(1).join(':')) : uid;
  if (uid === undefined || gid === undefined) {
    throw new DockerfileError(file, line, 1, `${kind} --link --chown=${spec}: user and group must be numeric ids (or root) with --link: the layer is made apart from the stage, without its /etc/passwd and /etc/group`);
  }
  return { uid, gid };
}

/** Groups with the same root become one (so that "a b /dst/" is planned together). */
function merge(groups: Group[]): Group[] {
  const out: Group[] = [];
  for (const g of groups) {
    const same = out.find((o) => o.src.root === g.src.root && o.archive === g.archive && !g.archive);
    if (same) same.patterns.push(...g.patterns);
    else out.push({ ...g, patterns: [...g.patterns] });
  }
  return out;
}

export type { CopyEntry };
