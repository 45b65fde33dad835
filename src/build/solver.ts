// The solver: builds the stages the target needs, each as soon as the stages
// it depends on are done (independent ones in parallel, see schedule.ts), one
// step at a time within a stage. Each step first computes its cache key
// (parent key + instruction after expansion + what it sees); a usable cache
// record is reused ("---> Using cache"), otherwise the step runs and is recorded.
//
// A step costs what it adds, not the size of what came before (a Dockerfile
// of thousands of lines builds in linear time): states share their lists
// along a stage (state.ts), variables are read through an index (envindex.ts),
// a cache record holds only the step's own history entry and layer (cache.ts),
// and only a stage's last step prints a digest of the whole config. Steps that
// await nothing slow (cached or config-only ones) hand the event loop back
// every few ms, so that the daemon's other requests are answered meanwhile.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Digest } from '../common/digest.js';
import { isKind, wrap } from '../common/errors.js';
import { formatReference, parseReference, withDefaultTag } from '../common/reference.js';
import type { ImageService } from '../image/index.js';
import type { ImageRuntimeConfig } from '../oci/image.js';
import type { BuildCache } from './cache.js';
import { cacheKey } from './cache.js';
import type { Executor } from '../runtime/index.js';
import type { BuildNetworkMode, BuildNetworkSession } from './network.js';
import { resolveStageRef, type BuildGraph } from './graph.js';
import { BuildArgs, parseSingle, type Dockerfile, type Instruction, type RunMount, type Stage } from './instructions/index.js';
import { layersPresent, mountView, withLayer } from './layers.js';
import { ConfigEnv } from './envindex.js';
import { applyMetadata, DEFAULT_PATH, DEFAULT_SHELL, nop, type MetaState } from './metadata.js';
import { expandWord } from './parser/index.js';
import { mkdirInRoot, lookupIds, resolveInRoot } from './rootfs.js';
import { treeDigest } from './treedigest.js';
import { chainIds } from '../snapshot/index.js';
import { CacheMounts, containerId, HEREDOC_DIR, prepareMounts, progressWriter, removeCreated, runCommand, RunError } from './run.js';
import { addHistory, addLayer, configId, copyState, nextState, timestamp, type State } from './state.js';
import { copyStep, type CopyStepEnv } from './copystep.js';
import { runStages, StageCancelled } from './schedule.js';
import { matchCacheFrom, type CacheSource } from './cachefrom.js';
import { linkedLayer } from './link.js';
import type { Emit } from './events.js';

export interface SolveOptions {
  noCache: boolean;
  /** --pull: base images are pulled even when they are here */
  pull?: boolean;
  /** SOURCE_DATE_EPOCH, seconds */
  epoch?: number;
  platform: { os: string; architecture: string; variant?: string };
  /** secret id → host file */
  secrets: ReadonlyMap<string, string>;
  /**
   * --cache-from images (those that exist). When set, as in docker's legacy
   * builder, they are the only cache: steps are matched on their history
   * (cachefrom.ts), the build_cache table is not consulted.
   */
  cacheFrom?: CacheSource[];
}

/** A step as --cache-from matches it. */
interface StepOrigin {
  /** the state before the step */
  parent: State;
  /** the state the step's result extends (its config already applied) */
  base: State;
  createdBy: string;
  comment?: string;
}

export interface SolverDeps {
  images: ImageService;
  cache: BuildCache;
  executor?: Executor;
  /** this build's networks (attached at the first RUN that needs one) */
  network: BuildNetworkSession;
  /** the mode of RUN steps without --network (docker build --network) */
  networkMode: BuildNetworkMode;
  /** private scratch directory of this build */
  tmp: string;
  /** RUN --mount=type=cache directories (the daemon's, shared by concurrent builds) */
  cacheMounts: CacheMounts;
  /** pull an image that is not here (a FROM, COPY --from or RUN --mount from=), saying what happens */
  pull?(ref: string, say: (text: string) => void): Promise<void>;
  /** aborts the build: every stage stops (a running step is killed), no further step starts */
  signal?: AbortSignal;
}

export type { Emit } from './events.js';

/** How many stages build at once. */
export const PARALLEL_STAGES = 4;

/** The longest stretch of steps (ms) before the event loop gets a turn. */
const SLICE_MS = 4;

/** What belongs to the stage being built (stages run concurrently). */
interface StageRun {
  index: number;
  /** the number of the step printed last, and when it began (performance.now()) */
  step: number;
  stepStart: number;
  emit: Emit;
  signal: AbortSignal;
  /** the --cache-from source this stage took a step from: its later steps look only there */
  narrowed?: CacheSource;
  /** a step of this stage missed the cache: the later ones are not looked up (docker's imageProber) */
  busted?: boolean;
}

/** A pull that failed, in BuildKit's words: the image it was for and what failed. */
function sourceError(ref: string, err: unknown): Error {
  let name = ref;
  try {
    name = formatReference(withDefaultTag(parseReference(ref)));
  } catch {
    /* the pull's own error says what is wrong with the name */
  }
  return wrap(err, `failed to resolve source metadata for ${name}`);
}

export class Solver {
  private readonly results = new Map<number, State>();
  private readonly total: number;
  /** the step numbers of each stage start here (Dockerfile order, as if built one after another) */
  private readonly firstStep = new Map<number, number>();
  // Each stage runs on a view of the solver (Object.create(this)) whose own
  // `run` says which stage it is: the step methods reach it through `this`.
  // (An AsyncLocalStorage did this before, but it left async hooks on in
  // the daemon for good, a cost on every promise of every later request.)
  private readonly run: StageRun | undefined = undefined;
  private readonly unpacked = new Map<string, Promise<void>>();
  private readonly pulls = new Map<string, Promise<void>>();
  /** layer blobs found in the content store during this build */
  private readonly presentBlobs = new Set<string>();
  /** content digests of bind-mount sources in the context (which does not change during a build) */
  private readonly contextDigests = new Map<string, Promise<string>>();
  /** when the event loop last had a turn (shared by the stages, which run on one thread) */
  private readonly slice = { start: performance.now() };

  constructor(
    private readonly deps: SolverDeps,
    private readonly df: Dockerfile,
    private readonly graph: BuildGraph,
    private readonly args: BuildArgs,
    private readonly opts: SolveOptions,
    private readonly contextDir: string,
    private readonly out: Emit,
  ) {
    let n = 0;
    for (const s of [...graph.order].sort((a, b) => a.index - b.index)) {
      this.firstStep.set(s.index, n);
      n += 1 + s.instructions.length;
    }
    this.total = n;
  }

  async solve(): Promise<State> {
    const tasks = this.graph.order.map((s) => ({
      index: s.index,
      deps: this.graph.deps.get(s.index) ?? new Set<number>(),
      run: async (emit: Emit, sig: AbortSignal) => {
        const view: Solver = Object.create(this, { run: { value: { index: s.index, step: this.firstStep.get(s.index)!, stepStart: performance.now(), emit, signal: sig } satisfies StageRun } });
        const st = await view.stage(s);
        this.results.set(s.index, st);
        return st;
      },
    }));
    const results = await runStages(tasks, PARALLEL_STAGES, this.out, this.deps.signal);
    return results.get(this.graph.target.index)!;
  }

  private get stageRun(): StageRun {
    const r = this.run;
    if (!r) throw new Error('solver step outside of a stage');
    return r;
  }

  private get emit(): Emit {
    return this.stageRun.emit;
  }

  private get stageIndex(): number {
    return this.stageRun.index;
  }

  /** Stop between steps once another stage failed. */
  private checkCancelled(): void {
    if (this.stageRun.signal.aborted) throw new StageCancelled(`stage ${this.stageIndex}`);
  }

  private header(text: string): void {
    this.checkCancelled();
    const r = this.stageRun;
    r.step++;
    r.stepStart = performance.now();
    r.emit(`Step ${r.step}/${this.total} : ${text}\n`, { kind: 'step', step: r.step, total: this.total, text });
  }

  /** ` ---> <id>` (`id` '' for scratch, as docker prints it) */
  private done(st: State, id = (st.image?.id ?? configId(st.config)).slice(7, 19)): void {
    const r = this.stageRun;
    r.emit(` ---> ${id}\n`, { kind: 'done', step: r.step, seconds: (performance.now() - r.stepStart) / 1000 });
  }

  private usingCache(text = ' ---> Using cache\n'): void {
    const r = this.stageRun;
    r.emit(text, { kind: 'cached', step: r.step });
  }

  private chatter(text: string): void {
    this.emit(text, { kind: 'chatter' });
  }

  /** An image or an earlier stage, by name, as a state. */
  async refState(name: string, before: number): Promise<State> {
    if (name.toLowerCase() === 'scratch') return this.scratch();
    const r = resolveStageRef(this.df, name, before);
    if (r.stage) {
      const st = this.results.get(r.stage.index);
      if (!st) throw new Error(`stage ${r.stage.name ?? r.stage.index} has not been built`);
      return copyState(st);
    }
    const img = await this.image(r.image!);
    await this.deps.images.unpack(img.config, img.manifest.layers);
    return { config: structuredClone(img.config), layers: [...img.manifest.layers], key: img.record.id };
  }

  /**
   * A step's failure names where it is (`Dockerfile:3: COPY failed: ...`),
   * as parse errors do; docker's own words follow unchanged. Cancellations
   * and errors that already say where they are pass as they are.
   */
  private atLine(err: unknown, line: number): unknown {
    if (!(err instanceof Error) || err instanceof StageCancelled || err.name === 'AbortError' || line <= 0) return err;
    const where = `${this.df.file}:${line}: `;
    if (!err.message.startsWith(`${this.df.file}:`)) err.message = where + err.message;
    return err;
  }

  /** A local image, pulled first when it is not here or --pull says so (once per build, however many stages name it). */
  private async image(ref: string): ReturnType<ImageService['get']> {
    if (!(this.opts.pull && this.deps.pull)) {
      try {
        return await this.deps.images.get(ref);
      } catch (err) {
        if (!this.deps.pull || !isKind(err, 'NotFound')) throw err;
      }
    }
    let p = this.pulls.get(ref);
    if (!p) this.pulls.set(ref, (p = this.deps.pull(ref, (t) => t && this.emit(t)).catch((err: unknown) => Promise.reject(sourceError(ref, err)))));
    await p;
    return this.deps.images.get(ref);
  }

  private scratch(): State {
    const p = this.opts.platform;
    return {
      config: { architecture: p.architecture, os: p.os, ...(p.variant ? { variant: p.variant } : {}), config: {}, rootfs: { type: 'layers', diff_ids: [] }, history: [] },
      layers: [],
      key: cacheKey(['scratch', p]),
    };
  }

  private async stage(s: Stage): Promise<State> {
    this.header(s.node.original);
    const baseName = expandWord(s.base, this.args.meta, this.df.escape);
    let st = await this.refState(baseName, s.index).catch((err: unknown) => {
      throw this.atLine(err, s.node.startLine);
    });
    st.config.config ??= {};
    // as both docker builders: a stage without PATH gets the default one, in the image too
    const env0 = st.config.config.Env ?? [];
    if (!env0.some((e) => e.startsWith('PATH='))) st.config.config.Env = [DEFAULT_PATH, ...env0];
    const declared = new Map<string, string>();
    const meta: MetaState = { cfg: st.config.config, cmdSet: false };
    if (st.key.startsWith('sha256:')) this.done(st, st.key.slice(7, 19));
    else if (baseName.toLowerCase() === 'scratch') this.done(st, '');
    else this.done(st);
    // the base image's ONBUILD triggers run first, then are cleared
    const triggers = st.config.config.OnBuild ?? [];
    const instructions: Instruction[] = [];
    if (triggers.length) {
      this.emit(`# Executing ${triggers.length} build trigger${triggers.length > 1 ? 's' : ''}\n`);
      for (const t of triggers) instructions.push(parseSingle(t));
    }
    st.config.config.OnBuild = null;
    let isTrigger = triggers.length;
    const all = [...instructions, ...s.instructions];
    for (const [i, ins] of all.entries()) {
      await this.breathe();
      this.checkCancelled();
      if (isTrigger-- <= 0) this.header(ins.node.original);
      try {
        st = await this.instruction(s, st, ins, declared, meta);
      } catch (err) {
        // a base image's ONBUILD trigger fails at the FROM that brought it
        throw this.atLine(err, instructions.includes(ins) ? s.node.startLine : ins.node.startLine);
      }
      meta.cfg = st.config.config!;
      // The image ID (a digest of the whole config) costs the size of the config: it is shown for
      // the stage's result; a step within the stage (an image nothing keeps) shows the start of its
      // cache key, which names its result as well.
      if (isTrigger < 0) this.done(st, i === all.length - 1 ? undefined : st.key.slice(0, 12));
    }
    return st;
  }

  /** Give the event loop a turn once the steps since the last one took SLICE_MS. */
  private async breathe(): Promise<void> {
    if (performance.now() - this.slice.start < SLICE_MS) return;
    await new Promise<void>((r) => setImmediate(r));
    this.slice.start = performance.now();
  }

  /**
   * The step from the cache, or undefined. As docker's legacy builder, once a
   * step of a stage missed, the stage's later steps are not looked up: their
   * keys chain on a state that was just made (a lookup per step was most of
   * the cost of a long Dockerfile's first build).
   */
  private async cached(key: string, origin: StepOrigin): Promise<State | undefined> {
    if (this.opts.noCache || this.stageRun.busted) return undefined;
    const hit = await this.lookup(key, origin);
    if (!hit) this.stageRun.busted = true;
    return hit;
  }

  private async lookup(key: string, origin: StepOrigin): Promise<State | undefined> {
    if (this.opts.cacheFrom) return this.fromSources(key, origin);
    const rec = this.deps.cache.get(key);
    if (!rec) return undefined;
    // the state so far is there (its layers were checked or made): the record's own layer must be too
    if (rec.layer && !(await layersPresent(this.deps.images, [rec.layer.descriptor], [...origin.base.config.rootfs.diff_ids, rec.layer.diffId], this.presentBlobs))) {
      this.deps.cache.delete(key);
      return undefined;
    }
    this.usingCache();
    const st = nextState(origin.base);
    st.key = key;
    if (rec.layer) addLayer(st, rec.layer.descriptor, rec.layer.diffId);
    addHistory(st, rec.entry);
    return st;
  }

  /** --cache-from: take the step from a source image whose history matches (docker's ImageCache). */
  private async fromSources(key: string, origin: StepOrigin): Promise<State | undefined> {
    const run = this.stageRun;
    const hit = matchCacheFrom(run.narrowed ? [run.narrowed] : this.opts.cacheFrom!, origin.parent.config, origin.createdBy, origin.comment);
    if (!hit) return undefined;
    const src = hit.source;
    let unpacking = this.unpacked.get(src.id);
    if (!unpacking) this.unpacked.set(src.id, (unpacking = this.deps.images.unpack(src.config, src.layers)));
    await unpacking;
    if ((origin.parent.config.history ?? []).length + 1 < (src.config.history ?? []).length) run.narrowed = src;
    const st = nextState(origin.base);
    st.key = key;
    if ((origin.parent.config.history ?? []).length + 1 === (src.config.history ?? []).length) {
      // the source's last step: docker's ImageCache gives the source image itself (its config, its ID)
      st.config = structuredClone(src.config);
      st.layers = [...src.layers];
      st.image = { id: src.id, target: src.target };
      this.usingCache();
      return this.record(st);
    }
    if (hit.layer) addLayer(st, hit.layer.descriptor, hit.layer.diffId);
    addHistory(st, structuredClone(hit.entry));
    this.usingCache();
    return this.record(st);
  }

  /** Record the step that made `st`: its history entry, and its layer when the entry says it made one. */
  private record(st: State): State {
    const entry = st.config.history!.at(-1)!;
    const diffId = st.config.rootfs.diff_ids.at(-1);
    const descriptor = st.layers.at(-1);
    if (!entry.empty_layer && !(diffId && descriptor)) throw new Error('a step that made a layer has none');
    this.deps.cache.put(st.key, { entry, ...(entry.empty_layer ? {} : { layer: { descriptor: descriptor!, diffId: diffId! } }) });
    return st;
  }

  private async instruction(s: Stage, prev: State, ins: Instruction, declared: Map<string, string>, meta: MetaState): Promise<State> {
    const cfg = prev.config.config!;
    const env = new ConfigEnv(declared, cfg);
    const created = timestamp(this.opts.epoch);
    if (ins.kind === 'arg') {
      const shown: string[] = [];
      // every value sees the variables as they were before this ARG
      const values = ins.args.map((a) => (a.value === undefined ? undefined : expandWord(a.value, env, this.df.escape)));
      for (const [i, a] of ins.args.entries()) {
        const v = this.args.declare(a.name, values[i]);
        if (v !== undefined) declared.set(a.name, v);
        shown.push(v === undefined ? a.name : `${a.name}=${v}`);
      }
      return this.metaStep(prev, nop(cfg.Shell ?? DEFAULT_SHELL, `ARG ${shown.join(' ')}`), created, prev);
    }
    if (ins.kind === 'cmd') meta.cmdSet = true;
    if (ins.kind === 'run') return this.runStep(prev, ins, declared, created);
    if (ins.kind === 'copy' || ins.kind === 'add') {
      const ctx: CopyStepEnv = { file: this.df.file, images: this.deps.images, tmp: this.deps.tmp, contextDir: this.contextDir, escape: this.df.escape, epoch: this.opts.epoch, refState: (n) => this.refState(n, s.index) };
      const r = await copyStep(ctx, prev, ins, env);
      // --link: the layer's own key leaves the parent out; the state's key still chains
      const linkKey = r.link ? cacheKey(['link', r.keyParts, this.opts.epoch ?? null]) : undefined;
      const key = linkKey ? cacheKey([prev.key, 'link', linkKey]) : cacheKey([prev.key, r.createdBy, r.keyParts]);
      const hit = await this.cached(key, { parent: prev, base: prev, createdBy: r.createdBy, ...(r.comment ? { comment: r.comment } : {}) });
      if (hit) return hit;
      const st = nextState(prev);
      st.key = key;
      const layer = linkKey
        ? await linkedLayer({ images: this.deps.images, cache: this.deps.cache, tmp: this.deps.tmp, epoch: this.opts.epoch, noCache: this.opts.noCache, emit: (t) => this.usingCache(t) }, st, linkKey, r)
        : await r.execute(async (work) => this.layer(st, work));
      addHistory(st, { created, created_by: r.createdBy, ...(r.comment ? { comment: r.comment } : {}), ...(layer ? {} : { empty_layer: true }) });
      return this.record(st);
    }
    const next = nextState(prev);
    const m: MetaState = { cfg: next.config.config!, cmdSet: meta.cmdSet, ...(next.config.author ? { author: next.config.author } : {}) };
    const createdBy = applyMetadata(m, ins, new ConfigEnv(declared, m.cfg), this.df.escape);
    if (createdBy === undefined) throw new Error(`instruction ${ins.kind} is not handled`);
    if (m.author) next.config.author = m.author;
    return this.metaStep(next, createdBy, created, prev);
  }

  /** A step that changes only the config: `st` has it applied, `parent` is the state before. */
  private async metaStep(st: State, createdBy: string, created: string, parent: State): Promise<State> {
    const key = cacheKey([parent.key, createdBy]);
    const hit = await this.cached(key, { parent, base: st, createdBy });
    if (hit) return hit;
    const next = nextState(st);
    next.key = key;
    addHistory(next, { created, created_by: createdBy, empty_layer: true });
    return this.record(next);
  }

  /** Run `work` in a writable rootfs and append the resulting layer (if any) to `st`. */
  private async layer(st: State, work: (rootfs: string) => Promise<void>, mountpoints: readonly string[] = []): Promise<boolean> {
    const cfg = st.config.config!;
    const res = await withLayer(this.deps.images, this.deps.tmp, st.config.rootfs.diff_ids, this.opts.epoch, async (rootfs) => {
      if (cfg.WorkingDir) mkdirInRoot(rootfs, cfg.WorkingDir);
      await work(rootfs);
    }, mountpoints);
    if (!res) return false;
    addLayer(st, res.descriptor, res.diffId as Digest);
    return true;
  }

  private bindSources(mounts: readonly RunMount[], declared: Map<string, string>, cfg: ImageRuntimeConfig): Promise<string[]> {
    return bindSourceKeys(mounts, this.contextDir, this.contextDigests, (from) => this.refState(expandWord(from, new ConfigEnv(declared, cfg), this.df.escape), this.stageIndex));
  }

  private async runStep(prev: State, ins: Extract<Instruction, { kind: 'run' }>, declared: Map<string, string>, created: string): Promise<State> {
    const cfg = prev.config.config!;
    const shell = cfg.Shell ?? DEFAULT_SHELL;
    const { argv, script } = runCommand(ins.args, ins.shell, shell, ins.heredocs);
    const env = [...(cfg.Env ?? [])];
    if (!env.some((e) => e.startsWith('PATH='))) env.unshift(DEFAULT_PATH);
    const names = new Set(env.map((e) => e.split('=', 1)[0]));
    const argPairs = [...declared].filter(([k]) => !names.has(k)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`);
    const createdBy = (argPairs.length ? `|${argPairs.length} ${argPairs.join(' ')} ` : '') + argv.join(' ');
    const mountSpec = ins.mounts.map((m) => ({ ...m }));
    const bound = await this.bindSources(ins.mounts, declared, cfg);
    const key = cacheKey([prev.key, 'run', createdBy, env, cfg.User ?? '', cfg.WorkingDir ?? '', ins.network, mountSpec, ...(bound.length ? [bound] : []), ...(script ? [script.content] : [])]);
    // created_by does not show --mount and --network, nor a #! heredoc's
    // script: the history comment names them (and what a bind mount shows),
    // so that --cache-from never takes a RUN made from other input
    const comment = ins.mounts.length || ins.network !== 'default' || script
      ? `berth.run.v0 sha256:${cacheKey(script ? [ins.network, mountSpec, bound, script.content] : [ins.network, mountSpec, bound])}`
      : undefined;
    const hit = await this.cached(key, { parent: prev, base: prev, createdBy, ...(comment ? { comment } : {}) });
    if (hit) return hit;
    const executor = this.deps.executor;
    if (!executor) throw new RunError('RUN is not available: this berthd has no OCI runtime to run build steps with');
    const id = containerId();
    this.chatter(` ---> Running in ${id.slice(0, 12)}\n`);
    const st = nextState(prev);
    st.key = key;
    const proxies = this.args.proxies();
    // docker's daemon gives every container HOSTNAME (HOME comes from the runtime, from the user's passwd entry)
    const runEnv = [...(names.has('HOSTNAME') ? [] : [`HOSTNAME=${id.slice(0, 12)}`]), ...env, ...argPairs, ...[...proxies].filter(([k]) => !declared.has(k)).map(([k, v]) => `${k}=${v}`)];
    // --mount=type=bind,from=<stage|image>: read-only views mounted for the run
    const views = new Map<string, string>();
    const unmountViews: (() => void)[] = [];
    const releases: (() => void)[] = [];
    const viewOf = async (from: string): Promise<string> => {
      const have = views.get(from);
      if (have) return have;
      const fromState = await this.refState(from, this.stageIndex);
      const v = await mountView(this.deps.images, this.deps.tmp, fromState.config.rootfs.diff_ids);
      unmountViews.push(v.release);
      views.set(from, v.root);
      return v.root;
    };
    // The step's network (the build's first bridge RUN attaches it) is made while its rootfs is mounted.
    const netReady = this.deps.network.get(ins.network === 'default' ? this.deps.networkMode : ins.network);
    netReady.catch(() => {});
    let layer: boolean;
    const mountpoints: string[] = [];
    try {
      layer = await this.layer(st, async (rootfs) => {
        // Each cache id once per RUN (the same id mounted twice must not wait on itself), taken in
        // id order, so two RUNs locking ids A and B never wait on each other crosswise.
        const cacheDirs = new Map<string, string>();
        for (const m of [...new Map(ins.mounts.filter((x) => x.type === 'cache').map((x) => [x.id!, x])).values()].sort((a, b) => (a.id! < b.id! ? -1 : a.id! > b.id! ? 1 : 0))) {
          const held = await this.deps.cacheMounts.acquire(m.id!, m.sharing, this.deps.tmp, this.stageRun.signal);
          releases.push(held.release);
          cacheDirs.set(m.id!, held.dir);
        }
        const prepared = await prepareMounts(rootfs, ins.mounts, executor, {
          bindRoot: async (from) => (from === undefined ? this.contextDir : viewOf(expandWord(from, new ConfigEnv(declared, cfg), this.df.escape))),
          cacheDir: async (m) => cacheDirs.get(m.id!)!,
          secret: (sid) => this.opts.secrets.get(sid),
        });
        const scriptDir = script ? path.join(this.deps.tmp, `pipes-${id.slice(0, 12)}`) : undefined;
        try {
          const ids = await lookupIds(rootfs, cfg.User || '0', false);
          const net = await netReady;
          const mounts = [...prepared.mounts];
          if (script && scriptDir) {
            fs.mkdirSync(scriptDir, { mode: 0o755 });
            fs.writeFileSync(path.join(scriptDir, script.name), script.content, { mode: 0o755 });
            mounts.push({ type: 'bind', source: scriptDir, target: HEREDOC_DIR, readOnly: true });
          }
          const hostname = id.slice(0, 12);
          const run = this.stageRun;
          const out = progressWriter((t) => run.emit(t, { kind: 'output', step: run.step, at: (performance.now() - run.stepStart) / 1000 }));
          // (a locked cache mount may have been waited for: the abort may have come meanwhile)
          this.checkCancelled();
          const r = await executor.run({
            id, rootfs, args: argv, env: runEnv, cwd: cfg.WorkingDir || '/', uid: ids.uid, gid: ids.gid, groups: ids.groups,
            network: net.network, hostname, etc: { hosts: net.hosts(hostname), resolvConf: net.resolvConf }, mounts, stdout: out, stderr: out,
            // the stage's signal: aborted when another stage fails and when the build is cancelled
            signal: this.stageRun.signal,
          });
          this.checkCancelled();
          if (r.exitCode !== 0) throw new RunError(`The command '${argv.join(' ')}' returned a non-zero code: ${r.exitCode}`);
        } finally {
          removeCreated(rootfs, prepared.created);
          mountpoints.push(...prepared.created);
          if (scriptDir) fs.rmSync(scriptDir, { recursive: true, force: true });
        }
      }, mountpoints);
    } finally {
      for (const u of unmountViews) u();
      for (const r of releases) r();
    }
    this.chatter(`Removing intermediate container ${id.slice(0, 12)}\n`);
    addHistory(st, { created, created_by: createdBy, ...(comment ? { comment } : {}), ...(layer ? {} : { empty_layer: true }) });
    return this.record(st);
  }
}

/**
 * What each RUN --mount=type=bind shows, for the cache key: the content digest
 * of the source in the context, or the layer chain of the stage or image
 * (the path inside it is part of the mount spec already).
 */
async function bindSourceKeys(
  mounts: readonly RunMount[],
  contextDir: string,
  memo: Map<string, Promise<string>>,
  fromState: (from: string) => Promise<State>,
): Promise<string[]> {
  const out: string[] = [];
  for (const m of mounts) {
    if (m.type !== 'bind') continue;
    if (m.from === undefined) {
      const abs = resolveInRoot(contextDir, m.source ?? '/');
      if (!fs.existsSync(abs)) throw new RunError(`failed to mount ${m.source ?? '/'}: not found in the build context`);
      let digest = memo.get(abs);
      if (digest === undefined) memo.set(abs, (digest = treeDigest(abs)));
      out.push(`context:${await digest}`);
    } else {
      const st = await fromState(m.from);
      out.push(`chain:${chainIds(st.config.rootfs.diff_ids).at(-1) ?? 'empty'}`);
    }
  }
  return out;
}
