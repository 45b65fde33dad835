// `docker import --change` / `docker commit --change`: Dockerfile
// instructions that only touch the image config, read by the real Dockerfile
// parser and applied exactly as a build applies them; the daemon injects it
// into ImageService for import.

import { invalidArgument } from '../common/errors.js';
import type { ImageRuntimeConfig } from '../oci/image.js';
import { parseSingle } from './instructions/index.js';
import { ConfigEnv } from './envindex.js';
import { applyMetadata, type MetaState } from './metadata.js';

const VALID = new Set(['cmd', 'entrypoint', 'env', 'expose', 'label', 'onbuild', 'stopsignal', 'user', 'volume', 'workdir', 'healthcheck']);

export function applyChanges(base: ImageRuntimeConfig, changes: readonly string[]): ImageRuntimeConfig {
  const st: MetaState = { cfg: structuredClone(base), cmdSet: base.Cmd !== undefined && base.Cmd !== null };
  for (const raw of changes) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const word = line.split(/\s+/, 1)[0]!;
    if (!VALID.has(word.toLowerCase())) throw invalidArgument(`${word.toUpperCase()} is not a valid change command`);
    try {
      const ins = parseSingle(line, 'change');
      applyMetadata(st, ins, new ConfigEnv(new Map(), st.cfg), '\\');
    } catch (err) {
      throw invalidArgument(`--change "${line}": ${err instanceof Error ? ((err as { detail?: string }).detail ?? err.message) : String(err)}`);
    }
  }
  return st.cfg;
}
