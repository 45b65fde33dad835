// A stage's state between steps: the image config so far, the layer
// descriptors, and the cache key that names this exact state.
import { createHash } from 'node:crypto';
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
  st.config.history = [...(st.config.history ?? []), entry];
}

export function cloneState(s: State): State {
  return { config: structuredClone(s.config), layers: [...s.layers], key: s.key };
}
