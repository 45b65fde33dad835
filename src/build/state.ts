// A stage's state between steps: the image config so far, the layer
// descriptors, and the cache key that names this exact state.
//
// A stage is a chain: each step extends the state the previous step left and
// that state is not used again. So the next state shares the previous one's
// growing parts (history, Env, Labels, ..., layers, diff IDs) and a step
// appends to them in place: a step costs what it adds, not the size of the
// config so far (copying them made a long Dockerfile quadratic). Only the
// small objects a step replaces fields of are copied. Whatever keeps a state
// beyond the next step (a finished stage that another stage builds on) takes
// a copy of its own (copyState).
import { createHash } from 'node:crypto';
import type { Digest } from '../common/digest.js';
import type { Descriptor, HistoryEntry, ImageConfig } from '../oci/image.js';

export interface State {
  config: ImageConfig;
  layers: Descriptor[];
  key: string;
  /**
   * The state is this stored image, whole: a --cache-from source whose last
   * step the build took (docker then gives the source's own image ID). Any
   * further step makes a new state without it.
   */
  image?: { id: string; target: Descriptor };
}

/** RFC 3339 as docker writes it (no trailing zero fraction). */
export function timestamp(epoch: number | undefined): string {
  const d = epoch === undefined ? new Date() : new Date(epoch * 1000);
  return d.toISOString().replace(/\.000Z$/, 'Z');
}

/** The config as it is stored: fixed key order, created = the last history entry's time. */
export function serializeConfig(c: ImageConfig): Buffer {
  const created = c.history?.at(-1)?.created ?? c.created;
  const out: Record<string, unknown> = {
    architecture: c.architecture,
    ...(c.author ? { author: c.author } : {}),
    config: c.config ?? {},
    ...(created ? { created } : {}),
    history: c.history ?? [],
    os: c.os,
    rootfs: { type: 'layers', diff_ids: c.rootfs.diff_ids },
    ...(c.variant ? { variant: c.variant } : {}),
  };
  return Buffer.from(JSON.stringify(out));
}

export function configId(c: ImageConfig): string {
  return 'sha256:' + createHash('sha256').update(serializeConfig(c)).digest('hex');
}

export function addHistory(st: State, entry: HistoryEntry): void {
  (st.config.history ??= []).push(entry);
}

/** Append a layer the step made (or took from a cache) to `st`. */
export function addLayer(st: State, descriptor: Descriptor, diffId: Digest): void {
  st.layers.push(descriptor);
  st.config.rootfs.diff_ids.push(diffId);
}

/**
 * The state the next step of the chain starts from: `prev` must not be used
 * once the step changed the result (they share their lists, see above). The
 * `image` identity is not carried over: a step makes a new image.
 */
export function nextState(prev: State): State {
  const c = prev.config;
  return {
    config: { ...c, ...(c.config ? { config: { ...c.config } } : {}), rootfs: { ...c.rootfs, diff_ids: c.rootfs.diff_ids } },
    layers: prev.layers,
    key: prev.key,
  };
}

/** A state of its own, sharing nothing with `s` (for a stage built on another's result). */
export function copyState(s: State): State {
  return { config: structuredClone(s.config), layers: [...s.layers], key: s.key };
}
