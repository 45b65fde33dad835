#!/usr/bin/env node
// Bundles the CLI (dist/src/cmd/berth.js and what it imports of berth) into
// dist/bundle/, which bin/berth runs. Loading ~110 small ES modules cost the
// CLI 60-90 ms of start-up on every command; one file (plus a lazily loaded
// chunk for `berth registry`) loads in a fraction of that. npm packages stay
// external: they are resolved from node_modules as before (koffi and
// better-sqlite3 are native). Runs after tsc (`npm run build`).
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import * as path from 'node:path';

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const outdir = path.join(repo, 'dist/bundle');
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [path.join(repo, 'dist/src/cmd/berth.js')],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
});
