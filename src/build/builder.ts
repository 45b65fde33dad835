// The builder's entry point: a context (tar, or a bare Dockerfile) and build
// options in, an image out. It unpacks the context into a private scratch
// directory, applies .dockerignore, parses the Dockerfile, plans the stages
// the target needs and solves them, then writes the config and manifest and
// records the image under its tags.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import type BetterSqlite3 from 'better-sqlite3';
import { invalidArgument, messageOf } from '../common/errors.js';
import type { Logger } from '../common/log.js';
import { removeTree, removeTreeSync } from '../common/mounts.js';
import { formatReference, parseReference, withDefaultTag, type Reference } from '../common/reference.js';
import { MediaType } from '../oci/mediatypes.js';
import type { Manifest } from '../oci/image.js';
import { ociArch, type ImageService } from '../image/index.js';
import type { BuildEvent } from './events.js';
import type { Credentials } from '../registry/index.js';
import { BuildCache } from './cache.js';
import { usableSource, type CacheSource } from './cachefrom.js';
import { extractContext } from './context/extract.js';
import { readDockerfile, readDockerignore } from './context/files.js';
import { IgnoreMatcher, parseDockerignore } from './context/dockerignore.js';
import type { Executor } from '../runtime/index.js';
import { buildNetworkMode, type BuildNetworks } from './network.js';
import { buildGraph } from './graph.js';
import { BuildArgs, parseStagesSliced, platformArgs } from './instructions/index.js';
import { CacheMounts } from './run.js';
import { Solver } from './solver.js';
import { serializeConfig } from './state.js';

export interface BuildRequest {
  /** the Dockerfile's path inside the context */
  dockerfile: string;
  tags: string[];
  buildArgs: ReadonlyMap<string, string | undefined>;
  target?: string;
  noCache: boolean;
  /** --pull: pull every base image first, even one that is here */
  pull?: boolean;
  labels: Record<string, string>;
  platform?: string;
  /** secret id → content */
  secrets: ReadonlyMap<string, Buffer>;
  /** --cache-from image references (ones that do not exist are skipped, as docker does) */
  cacheFrom?: readonly string[];
  /** the network of RUN steps without --network: docker's networkmode (default/bridge, host, none) */
  networkMode?: string;
  /** X-Registry-Config: credentials for pulling base images, by registry host */
  registryConfig?: Readonly<Record<string, Credentials>>;
}

/**
 * A pull's progress as the legacy builder's text: the status lines, not the
 * byte counters ("Downloading", "Extracting" with a bar), which a stream of
 * text cannot redraw.
 */
function pullLine(m: PullMessage): string {
  if (!m.status || /^(Downloading|Extracting|Verifying Checksum|Waiting)$/.test(m.status)) return '';
  return m.id ? `${m.id}: ${m.status}\n` : `${m.status}\n`;
}

export interface BuildProgress {
  /** a message of the legacy stream; `ev` says what it is (the `berth` field, see events.ts) */
  stream(text: string, ev?: BuildEvent): void;
  aux(obj: Record<string, unknown>): void;
}

export interface BuilderDeps {
  images: ImageService;
  db: BetterSqlite3.Database;
  executor?: Executor;
  /** per-build networks for RUN steps */
  networks: BuildNetworks;
  /**
   * Pull an image a FROM (or COPY --from, RUN --mount from=) names that is not
   * here, as docker's builders do; `auth` is the request's registry
   * credentials by registry host. Without it such an image is "No such image".
   * It is called while the build holds `images.gcLock` shared and must not
   * take that lock again.
   */
  pull?(ref: string, auth: Readonly<Record<string, Credentials>> | undefined, progress: (m: PullMessage) => void): Promise<void>;
  /** the builder's state directory (scratch space, cache mounts) */
  root: string;
  log: Logger;
}

/** what a pull reports (docker's JSON progress message) */
export interface PullMessage {
  status?: string;
  id?: string;
}

export interface BuildResult {
  id: string;
  tags: string[];
}

/** First bytes of the body decide: a tar (plain or gzip) or a bare Dockerfile. */
async function peek(body: Readable): Promise<{ head: Buffer; rest: Readable }> {
  const chunks: Buffer[] = [];
  let size = 0;
  const it = body[Symbol.asyncIterator]();
  let done = false;
  while (size < 512) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    const b = Buffer.from(r.value as Buffer);
    chunks.push(b);
    size += b.length;
  }
  const head = Buffer.concat(chunks);
  const rest = new PassThrough();
  rest.write(head);
  if (done) rest.end();
  else
    void (async () => {
      try {
        // Once the reader of `rest` gives up (a bad context), the rest of the upload is read and dropped, so
        // the client can finish sending and read the error instead of a reset connection.
        for (let r = await it.next(); !r.done; r = await it.next()) {
          if (rest.destroyed || rest.write(r.value as Buffer)) continue;
          await new Promise<void>((res) => {
            const go = () => {
              rest.off('drain', go);
              rest.off('close', go);
              res();
            };
            rest.on('drain', go);
            rest.on('close', go);
          });
        }
        if (!rest.destroyed) rest.end();
      } catch (e) {
        rest.destroy(e as Error);
      }
    })();
  return { head, rest };
}

function isTar(head: Buffer): boolean {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return true;
  if (head.length === 0) return true;
  return head.length >= 262 && head.toString('latin1', 257, 262) === 'ustar';
}

function applyIgnore(dir: string, m: IgnoreMatcher): void {
  const walk = (abs: string, rel: string) => {
    for (const n of fs.readdirSync(abs)) {
      const r = rel ? `${rel}/${n}` : n;
      const p = path.join(abs, n);
      const st = fs.lstatSync(p);
      if (st.isDirectory()) {
        if (m.canSkipDir(r)) fs.rmSync(p, { recursive: true, force: true });
        else {
          walk(p, r);
          if (m.matches(r) && fs.readdirSync(p).length === 0) fs.rmdirSync(p);
        }
      } else if (m.matches(r)) fs.rmSync(p, { force: true });
    }
  };
  walk(dir, '');
}

/*
 * The builder's state under the data root:
 *   build/
 *     tmp/b-XXXX/         one build's scratch space, removed when it ends
 *       context/          the unpacked context (.dockerignore applied)
 *       secrets/<id>      --secret files, 0400, bind-mounted read-only into a RUN
 *       build-<hex>/      a step's rootfs mount point; view-<hex>/ for --from
 *     cache-mounts/<h>/   RUN --mount=type=cache directories, by id
 *   berth.db: table build_steps (key → the step's history entry and layer, see cache.ts),
 *             table build_link_cache (--link key → the layer blob and diff ID)
 */
export class Builder {
  readonly cache: BuildCache;
  private readonly cacheMounts: CacheMounts;

  constructor(private readonly deps: BuilderDeps) {
    this.cache = new BuildCache(deps.db, (err) => deps.log.warn('build cache: records could not be written', { error: messageOf(err) }));
    const m = this.cache.migration;
    if (m.droppedLegacy || m.vacuumed) deps.log.info('build cache: database upgraded', { droppedOldRecords: m.droppedLegacy, vacuumed: m.vacuumed });
    if (m.vacuumError) deps.log.warn('build cache: could not turn auto_vacuum on (prune will not shrink berth.db)', { error: m.vacuumError });
    this.cacheMounts = new CacheMounts(path.join(deps.root, 'cache-mounts'));
    fs.mkdirSync(path.join(deps.root, 'tmp'), { recursive: true, mode: 0o700 });
    fs.mkdirSync(path.join(deps.root, 'cache-mounts'), { recursive: true, mode: 0o700 });
    // scratch directories left by a crash (the daemon's recovery unmounted what was mounted in them; one still mounted is refused, not deleted through)
    for (const n of fs.readdirSync(path.join(deps.root, 'tmp'))) {
      try {
        removeTreeSync(path.join(deps.root, 'tmp', n));
      } catch (err) {
        deps.log.warn('could not remove a build scratch directory', { dir: n, error: messageOf(err) });
      }
    }
  }

  /** The --cache-from images that exist; like docker's daemon, one that cannot be used is skipped with a warning in the log. */
  private async cacheSources(refs: readonly string[]): Promise<CacheSource[]> {
    const out: CacheSource[] = [];
    for (const name of refs) {
      try {
        const img = await this.deps.images.get(name);
        const src: CacheSource = { id: img.record.id, name, config: img.config, layers: img.manifest.layers, target: img.record.target };
        if (usableSource(src)) out.push(src);
        else this.deps.log.warn('cache-from image has a history that does not match its layers, skipping', { image: name });
      } catch (err) {
        this.deps.log.warn('could not look up cache-from image, skipping', { image: name, error: messageOf(err) });
      }
    }
    return out;
  }

  private finish(id: string, tags: Reference[], progress: BuildProgress): BuildResult {
    progress.aux({ ID: id });
    progress.stream(`Successfully built ${id.slice(7, 19)}\n`, { kind: 'built', id });
    const shown = tags.map((r) => formatReference(r, true));
    for (const t of shown) progress.stream(`Successfully tagged ${t}\n`, { kind: 'tagged', name: t });
    return { id, tags: shown };
  }

  get hasExecutor(): boolean {
    return this.deps.executor !== undefined;
  }

  /** `signal` aborts the build: the running step's container is killed, and everything the build made is undone. */
  async build(body: Readable, req: BuildRequest, progress: BuildProgress, signal?: AbortSignal): Promise<BuildResult> {
    const tags: Reference[] = req.tags.map((t) => {
      const r = withDefaultTag(parseReference(t));
      if (r.digest) throw invalidArgument(`invalid tag "${t}": a tag cannot contain a digest`);
      return r;
    });
    const arch = ociArch();
    const platform = { os: 'linux', architecture: arch };
    if (req.platform) {
      const [os, a] = req.platform.split('/');
      if (os !== 'linux' || (a && a !== arch)) throw invalidArgument(`platform ${req.platform} is not supported by this builder (only linux/${arch})`);
    }
    let networkMode: ReturnType<typeof buildNetworkMode>;
    try {
      networkMode = buildNetworkMode(req.networkMode);
    } catch (err) {
      throw invalidArgument((err as Error).message);
    }
    const images = this.deps.images;
    return images.gcLock.shared(async () => {
      const tmp = fs.mkdtempSync(path.join(this.deps.root, 'tmp', 'b-'));
      const network = this.deps.networks.open();
      let closing: Promise<void> | undefined;
      try {
        const ctxDir = path.join(tmp, 'context');
        fs.mkdirSync(ctxDir, { mode: 0o755 });
        const { head, rest } = await peek(body);
        let dockerfileText: string;
        try {
          if (isTar(head)) {
            await extractContext(rest, ctxDir);
            dockerfileText = await readDockerfile(ctxDir, req.dockerfile);
          } else {
            const chunks: Buffer[] = [];
            for await (const c of rest) chunks.push(c as Buffer);
            dockerfileText = Buffer.concat(chunks).toString('utf8');
          }
        } finally {
          if (!rest.readableEnded) rest.destroy();
        }
        const ignoreText = await readDockerignore(ctxDir);
        if (ignoreText !== undefined) applyIgnore(ctxDir, new IgnoreMatcher(parseDockerignore(ignoreText)));

        const df = await parseStagesSliced(dockerfileText, path.posix.basename(req.dockerfile) || 'Dockerfile');
        const args = new BuildArgs(req.buildArgs, df.metaArgs, platformArgs({ os: 'linux', arch }), df.escape);
        const graph = buildGraph(df, req.target, args.meta);
        const sde = req.buildArgs.get('SOURCE_DATE_EPOCH');
        let epoch: number | undefined;
        if (sde !== undefined && sde !== '') {
          epoch = Number(sde);
          if (!Number.isInteger(epoch) || epoch < 0) throw invalidArgument(`invalid SOURCE_DATE_EPOCH: ${sde}`);
        }
        const secretDir = path.join(tmp, 'secrets');
        fs.mkdirSync(secretDir, { mode: 0o700 });
        const secrets = new Map<string, string>();
        for (const [id, data] of req.secrets) {
          if (!/^[A-Za-z0-9._-]+$/.test(id)) throw invalidArgument(`invalid secret id "${id}"`);
          const f = path.join(secretDir, id);
          fs.writeFileSync(f, data, { mode: 0o400 });
          secrets.set(id, f);
        }
        const cacheFrom = req.cacheFrom?.length ? await this.cacheSources(req.cacheFrom) : undefined;
        const solver = new Solver(
          {
            images, cache: this.cache, ...(this.deps.executor ? { executor: this.deps.executor } : {}), network, networkMode, tmp, cacheMounts: this.cacheMounts, ...(signal ? { signal } : {}),
            ...(this.deps.pull ? { pull: (ref: string, say: (text: string) => void) => this.deps.pull!(ref, req.registryConfig, (m) => say(pullLine(m))) } : {}),
          },
          df, graph, args,
          { noCache: req.noCache, ...(req.pull ? { pull: true } : {}), ...(epoch !== undefined ? { epoch } : {}), platform, secrets, ...(cacheFrom ? { cacheFrom } : {}) },
          ctxDir,
          (t, ev) => progress.stream(t, ev),
        );
        const state = await solver.solve();
        // No step runs any more: the network goes while the image is written.
        closing = network.close();
        const unused = args.unused();
        if (unused.length) progress.stream(`[Warning] One or more build-args [${unused.join(' ')}] were not consumed\n`);
        if (Object.keys(req.labels).length) {
          state.config.config = { ...state.config.config, Labels: { ...(state.config.config?.Labels ?? {}), ...req.labels } };
        }
        // the build ended on a --cache-from source's last step: that image is the result, as docker's legacy builder gives it
        if (state.image && !Object.keys(req.labels).length && !/index|manifest\.list/.test(state.image.target.mediaType)) {
          const { id } = await images.commitImage(state.image.target, state.config, tags);
          return this.finish(id, tags, progress);
        }
        const cfgRaw = serializeConfig(state.config);
        const cfg = await images.content.put(cfgRaw);
        const manifest: Manifest = {
          schemaVersion: 2,
          mediaType: MediaType.OciManifest,
          config: { mediaType: MediaType.OciConfig, digest: cfg.digest, size: cfg.size },
          layers: state.layers,
        };
        const man = await images.content.put(Buffer.from(JSON.stringify(manifest)));
        const { id } = await images.commitImage({ mediaType: MediaType.OciManifest, digest: man.digest, size: man.size }, state.config, tags);
        return this.finish(id, tags, progress);
      } finally {
        await (closing ?? network.close());
        // off the answer's path: a restart's sweep (above) takes what a crash leaves of it
        removeTree(tmp).catch((err) => this.deps.log.warn('could not remove a build scratch directory', { dir: tmp, error: messageOf(err) }));
      }
    });
  }
}
