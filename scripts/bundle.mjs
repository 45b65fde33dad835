#!/usr/bin/env node
// Bundles the CLI (dist/src/cmd/berth.js and what it imports of berth) into
// dist/bundle/, which bin/berth runs. Loading ~110 small ES modules cost the
// CLI 60-90 ms of start-up on every command; one file (plus a lazily loaded
// chunk for `berth registry`) loads in a fraction of that. Pure-JS npm
// packages are bundled with it; the native ones (koffi, better-sqlite3) are
// loaded from node_modules. Runs after tsc (`npm run build`).
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
  // native addons stay in node_modules; pure-JS packages are bundled too (resolving and
  // loading commander, tar-stream and their dependencies was most of what was left)
  external: ['koffi', 'better-sqlite3'],
  // the bundled CommonJS packages require node's builtins: give each ES module file a require
  banner: { js: "import { createRequire as __berthRequire } from 'node:module'; const require = __berthRequire(import.meta.url);" },
  sourcemap: 'linked',
  logLevel: 'warning',
});
