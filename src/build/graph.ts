// The stage graph: which stages a target needs (FROM an earlier stage,
// COPY --from and RUN --mount from=), in an order where each comes after
// what it depends on. Stages the target does not need are never built.
import { expandWord, type Env } from './parser/index.js';
import type { Dockerfile, Stage } from './instructions/index.js';

export class GraphError extends Error {}

export interface StageRef {
  stage?: Stage;
  /** an image reference when the name is not a stage */
  image?: string;
}

export interface BuildGraph {
  target: Stage;
  /** needed stages, dependencies first */
  order: Stage[];
  /** direct stage dependencies of each needed stage, by index */
  deps: Map<number, Set<number>>;
}

/** Resolve a FROM/--from name against the stages before `before`. */
export function resolveStageRef(df: Dockerfile, name: string, before: number): StageRef {
  const lower = name.toLowerCase();
  if (/^\d+$/.test(name)) {
    const i = Number(name);
    if (i >= before) throw new GraphError(`invalid stage index ${i}: refers to the current or a later stage`);
    return { stage: df.stages[i]! };
  }
  const s = df.stages.find((x) => x.name === lower && x.index < before);
  return s ? { stage: s } : { image: name };
}

export function buildGraph(df: Dockerfile, target: string | undefined, meta: Env): BuildGraph {
  let t: Stage | undefined;
  if (target) {
    t = df.stages.find((s) => s.name === target.toLowerCase());
    if (!t) throw new GraphError(`target stage "${target}" could not be found`);
  } else t = df.stages.at(-1)!;
  const deps = new Map<number, Set<number>>();
  const order: Stage[] = [];
  const visiting = new Set<number>();
  const visit = (s: Stage) => {
    if (deps.has(s.index)) return;
    if (visiting.has(s.index)) throw new GraphError(`circular dependency detected on stage: ${s.name ?? s.index}`);
    visiting.add(s.index);
    const mine = new Set<number>();
    const base = resolveStageRef(df, expandWord(s.base, meta, df.escape), s.index);
    if (base.stage) mine.add(base.stage.index);
    for (const ins of s.instructions) {
      const froms: string[] = [];
      if ((ins.kind === 'copy' || ins.kind === 'add') && ins.from) froms.push(ins.from);
      if (ins.kind === 'run') for (const m of ins.mounts) if (m.from) froms.push(m.from);
      for (const f of froms) {
        const r = resolveStageRef(df, expandWord(f, meta, df.escape), s.index);
        if (r.stage) mine.add(r.stage.index);
      }
    }
    for (const d of mine) visit(df.stages[d]!);
    visiting.delete(s.index);
    deps.set(s.index, mine);
    order.push(s);
  };
  visit(t);
  return { target: t, order, deps };
}
