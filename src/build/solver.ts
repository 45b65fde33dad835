// The solver: builds the stages the target needs, in dependency order, one
// step at a time. Each step first computes its cache key (parent key +
// instruction after expansion + what it sees); a usable cache record is
// reused ("---> Using cache"), otherwise the step runs and is recorded.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Digest } from '../common/digest.js';
import type { ImageService } from '../image/index.js';
import type { ImageConfig } from '../oci/image.js';
import type { BuildCache } from './cache.js';
import { cacheKey } from './cache.js';
import type { Executor } from '../runtime/index.js';
import type { BuildNetworkMode, BuildNetworkSession } from './network.js';
import { resolveStageRef, type BuildGraph } from './graph.js';
import { BuildArgs, expansionEnv, parseSingle, type Dockerfile, type Instruction, type Stage } from './instructions/index.js';
import { layersPresent, mountView, withLayer } from './layers.js';
import { applyMetadata, DEFAULT_PATH, DEFAULT_SHELL, nop, type MetaState } from './metadata.js';
import { expandWord } from './parser/index.js';
import { mkdirInRoot, lookupIds } from './rootfs.js';
import { cacheMountDir, containerId, HEREDOC_DIR, prepareMounts, progressWriter, removeCreated, runCommand, RunError } from './run.js';
import { addHistory, cloneState, configId, timestamp, type State } from './state.js';
import { copyStep, type CopyStepEnv } from './copystep.js';

export interface SolveOptions {
  noCache: boolean;
  /** SOURCE_DATE_EPOCH, seconds */
  epoch?: number;
  platform: { os: string; architecture: string; variant?: string };
  /** secret id → host file */
  secrets: ReadonlyMap<string, string>;
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
  /** where RUN --mount=type=cache directories live */
  cacheMounts: string;
  /** aborts the build (the client went away): a running step is killed, no further step starts */
  signal?: AbortSignal;
}

export type Emit = (text: string) => void;

export class Solver {
  private readonly results = new Map<number, State>();
  private step = 0;
  private stageIndex = 0;
  private readonly total: number;

  constructor(
    private readonly deps: SolverDeps,
    private readonly df: Dockerfile,
    private readonly graph: BuildGraph,
    private readonly args: BuildArgs,
    private readonly opts: SolveOptions,
    private readonly contextDir: string,
    private readonly emit: Emit,
  ) {
    this.total = graph.order.reduce((n, s) => n + 1 + s.instructions.length, 0);
  }

  async solve(): Promise<State> {
    for (const s of this.graph.order) this.results.set(s.index, await this.stage(s));
    return this.results.get(this.graph.target.index)!;
  }

  private header(text: string): void {
    this.step++;
    this.emit(`Step ${this.step}/${this.total} : ${text}\n`);
  }

  private done(st: State): void {
    this.emit(` ---> ${configId(st.config).slice(7, 19)}\n`);
  }

  /** An image or an earlier stage, by name, as a state. */
  async refState(name: string, before: number): Promise<State> {
    if (name.toLowerCase() === 'scratch') return this.scratch();
    const r = resolveStageRef(this.df, name, before);
    if (r.stage) {
      const st = this.results.get(r.stage.index);
      if (!st) throw new Error(`stage ${r.stage.name ?? r.stage.index} has not been built`);
      return cloneState(st);
    }
    const img = await this.deps.images.get(r.image!);
    await this.deps.images.unpack(img.config, img.manifest.layers);
    return { config: structuredClone(img.config), layers: [...img.manifest.layers], key: img.record.id };
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
    this.stageIndex = s.index;
    this.header(s.node.original);
    const baseName = expandWord(s.base, this.args.meta, this.df.escape);
    let st = await this.refState(baseName, s.index);
    st.config.config ??= {};
    // as both docker builders: a stage without PATH gets the default one, in the image too
    const env0 = st.config.config.Env ?? [];
    if (!env0.some((e) => e.startsWith('PATH='))) st.config.config.Env = [DEFAULT_PATH, ...env0];
    const declared = new Map<string, string>();
    const meta: MetaState = { cfg: st.config.config, cmdSet: false };
    if (st.key.startsWith('sha256:')) this.emit(` ---> ${st.key.slice(7, 19)}\n`);
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
    for (const ins of [...instructions, ...s.instructions]) {
      this.deps.signal?.throwIfAborted();
      if (isTrigger-- <= 0) this.header(ins.node.original);
      st = await this.instruction(s, st, ins, declared, meta);
      meta.cfg = st.config.config!;
      if (isTrigger < 0) this.done(st);
    }
    return st;
  }

  private async cached(key: string): Promise<State | undefined> {
    if (this.opts.noCache) return undefined;
    const rec = this.deps.cache.get(key);
    if (!rec) return undefined;
    const config = JSON.parse(rec.config) as ImageConfig;
    const layers = JSON.parse(rec.layers) as State['layers'];
    if (!(await layersPresent(this.deps.images, layers, config.rootfs.diff_ids))) {
      this.deps.cache.delete(key);
      return undefined;
    }
    this.emit(' ---> Using cache\n');
    return { config, layers, key };
  }

  private record(st: State): State {
    this.deps.cache.put(st.key, { config: JSON.stringify(st.config), layers: JSON.stringify(st.layers) });
    return st;
  }

  private async instruction(s: Stage, prev: State, ins: Instruction, declared: Map<string, string>, meta: MetaState): Promise<State> {
    const cfg = prev.config.config!;
    const env = expansionEnv(declared, cfg.Env ?? []);
    const created = timestamp(this.opts.epoch);
    if (ins.kind === 'arg') {
      const shown: string[] = [];
      for (const a of ins.args) {
        const v = this.args.declare(a.name, a.value === undefined ? undefined : expandWord(a.value, env, this.df.escape));
        if (v !== undefined) declared.set(a.name, v);
        shown.push(v === undefined ? a.name : `${a.name}=${v}`);
      }
      return this.metaStep(prev, nop(cfg.Shell ?? DEFAULT_SHELL, `ARG ${shown.join(' ')}`), created);
    }
    if (ins.kind === 'cmd') meta.cmdSet = true;
    if (ins.kind === 'run') return this.runStep(prev, ins, declared, created);
    if (ins.kind === 'copy' || ins.kind === 'add') {
      const ctx: CopyStepEnv = { images: this.deps.images, tmp: this.deps.tmp, contextDir: this.contextDir, escape: this.df.escape, epoch: this.opts.epoch, refState: (n) => this.refState(n, s.index) };
      const r = await copyStep(ctx, prev, ins, env);
      const key = cacheKey([prev.key, r.createdBy, r.keyParts]);
      const hit = await this.cached(key);
      if (hit) return hit;
      const st = cloneState(prev);
      st.key = key;
      const layer = await r.execute(async (work) => this.layer(st, work));
      addHistory(st, { created, created_by: r.createdBy, ...(layer ? {} : { empty_layer: true }) });
      return this.record(st);
    }
    const next = cloneState(prev);
    const m: MetaState = { cfg: next.config.config!, cmdSet: meta.cmdSet, ...(next.config.author ? { author: next.config.author } : {}) };
    const createdBy = applyMetadata(m, ins, new Map(env), this.df.escape);
    if (createdBy === undefined) throw new Error(`instruction ${ins.kind} is not handled`);
    if (m.author) next.config.author = m.author;
    return this.metaStep(next, createdBy, created, prev.key);
  }

  private async metaStep(st: State, createdBy: string, created: string, parentKey = st.key): Promise<State> {
    const key = cacheKey([parentKey, createdBy]);
    const hit = await this.cached(key);
    if (hit) return hit;
    const next = cloneState(st);
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
    st.layers.push(res.descriptor);
    st.config.rootfs = { type: 'layers', diff_ids: [...st.config.rootfs.diff_ids, res.diffId as Digest] };
    return true;
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
    const key = cacheKey([prev.key, 'run', createdBy, env, cfg.User ?? '', cfg.WorkingDir ?? '', ins.network, mountSpec, ...(script ? [script.content] : [])]);
    const hit = await this.cached(key);
    if (hit) return hit;
    const executor = this.deps.executor;
    if (!executor) throw new RunError('RUN is not available: this berthd has no OCI runtime to run build steps with');
    const id = containerId();
    this.emit(` ---> Running in ${id.slice(0, 12)}\n`);
    const st = cloneState(prev);
    st.key = key;
    const proxies = this.args.proxies();
    // docker's daemon gives every container HOSTNAME (HOME comes from the runtime, from the user's passwd entry)
    const runEnv = [...(names.has('HOSTNAME') ? [] : [`HOSTNAME=${id.slice(0, 12)}`]), ...env, ...argPairs, ...[...proxies].filter(([k]) => !declared.has(k)).map(([k, v]) => `${k}=${v}`)];
    // --mount=type=bind,from=<stage|image>: read-only views mounted for the run
    const views = new Map<string, string>();
    const unmountViews: (() => void)[] = [];
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
        const prepared = await prepareMounts(rootfs, ins.mounts, executor, {
          bindRoot: async (from) => (from === undefined ? this.contextDir : viewOf(expandWord(from, expansionEnv(declared, cfg.Env ?? []), this.df.escape))),
          cacheDir: (cid) => cacheMountDir(this.deps.cacheMounts, cid),
          secret: (sid) => this.opts.secrets.get(sid),
        });
        const scriptDir = script ? path.join(this.deps.tmp, `pipes-${id.slice(0, 12)}`) : undefined;
        try {
          const ids = lookupIds(rootfs, cfg.User || '0', false);
          const net = await netReady;
          const mounts = [...prepared.mounts];
          if (script && scriptDir) {
            fs.mkdirSync(scriptDir, { mode: 0o755 });
            fs.writeFileSync(path.join(scriptDir, script.name), script.content, { mode: 0o755 });
            mounts.push({ type: 'bind', source: scriptDir, target: HEREDOC_DIR, readOnly: true });
          }
          const hostname = id.slice(0, 12);
          const out = progressWriter(this.emit);
          const r = await executor.run({
            id, rootfs, args: argv, env: runEnv, cwd: cfg.WorkingDir || '/', uid: ids.uid, gid: ids.gid, groups: ids.groups,
            network: net.network, hostname, etc: { hosts: net.hosts(hostname), resolvConf: net.resolvConf }, mounts, stdout: out, stderr: out,
            ...(this.deps.signal ? { signal: this.deps.signal } : {}),
          });
          this.deps.signal?.throwIfAborted();
          if (r.exitCode !== 0) throw new RunError(`The command '${argv.join(' ')}' returned a non-zero code: ${r.exitCode}`);
        } finally {
          removeCreated(rootfs, prepared.created);
          mountpoints.push(...prepared.created);
          if (scriptDir) fs.rmSync(scriptDir, { recursive: true, force: true });
        }
      }, mountpoints);
    } finally {
      for (const u of unmountViews) u();
    }
    this.emit(`Removing intermediate container ${id.slice(0, 12)}\n`);
    addHistory(st, { created, created_by: createdBy, ...(layer ? {} : { empty_layer: true }) });
    return this.record(st);
  }
}

/** Remove a build's scratch directory (after every mount in it is gone). */
export function removeScratch(dir: string): void {
  fs.rmSync(path.resolve(dir), { recursive: true, force: true });
}
