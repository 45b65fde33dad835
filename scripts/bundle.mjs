#!/usr/bin/env node
// Bundles the CLI (dist/src/cmd/berth.js and what it imports of berth) into
// one CommonJS file, dist/bundle/berth.cjs, which bin/berth runs through V8's
// code cache (bin/berth explains). Runs after tsc (`npm run build`).
//
// Why this shape, measured on a 2-core machine where `node` alone takes
// ~110 ms to start:
// - ~110 small ES modules cost the CLI 60-90 ms of start-up on every command;
//   one file loads in a fraction of that.
// - CommonJS rather than an ES module: node's ES module loader, its resolve
//   and link steps and a second file for the shared chunk cost ~11 ms more.
// - The registry server (`berth registry serve|gc`) is a bundle of its own,
//   dist/bundle/registry.cjs, required only when such a command runs: in the
//   CLI's file, even unexecuted, its 430 KB cost every command ~14 ms.
// Pure-JS npm packages are bundled; the native ones (koffi, better-sqlite3)
// are loaded from node_modules.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import * as path from 'node:path';

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const outdir = path.join(repo, 'dist/bundle');
rmSync(outdir, { recursive: true, force: true });
const common = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: ['koffi', 'better-sqlite3'],
  // import.meta.url (client/connect.ts finds bin/berthd from it, libc.ts requires koffi) is the bundle's own URL
  banner: { js: "const __berth_import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
  define: { 'import.meta.url': '__berth_import_meta_url' },
  sourcemap: 'linked',
  logLevel: 'warning',
};
const serve = path.join(repo, 'dist/src/registry/serve.js');
await build({
  ...common,
  entryPoints: [path.join(repo, 'dist/src/cmd/berth.js')],
  outfile: path.join(outdir, 'berth.cjs'),
  plugins: [
    {
      name: 'registry-apart',
      setup(b) {
        // registry/command.ts's import('./serve.js') becomes a require of the other file when a registry command runs
        b.onResolve({ filter: /\/serve\.js$/ }, (a) => (path.resolve(a.resolveDir, a.path) === serve ? { path: 'serve', namespace: 'registry-apart', sideEffects: false } : undefined));
        b.onLoad({ filter: /.*/, namespace: 'registry-apart' }, () => ({ contents: "module.exports = require('./registry.cjs');", loader: 'js' }));
        b.onResolve({ filter: /^\.\/registry\.cjs$/, namespace: 'registry-apart' }, () => ({ path: './registry.cjs', external: true }));
        // registry/index.ts re-exports its config parser (yaml) and client: the CLI uses neither, and
        // those packages do nothing on import, so esbuild may leave them out
        const registryDir = path.join(repo, 'dist/src/registry') + path.sep;
        b.onResolve({ filter: /^[^./]/ }, async (a) => {
          if (a.pluginData === 'registry-dep' || !a.importer.startsWith(registryDir)) return undefined;
          const r = await b.resolve(a.path, { kind: a.kind, resolveDir: a.resolveDir, importer: a.importer, pluginData: 'registry-dep' });
          return r.errors.length || r.external ? r : { path: r.path, sideEffects: false };
        });
      },
    },
  ],
});
await build({ ...common, entryPoints: [serve], outfile: path.join(outdir, 'registry.cjs') });
// The code cache, made now (by a run that loads every command, the registry's too) rather than
// by whichever command a user runs first; bin/berth remakes it when V8 rejects it (a new node).
const r = spawnSync(process.execPath, [path.join(repo, 'bin/berth'), '--help'], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, BERTH_CODE_CACHE: 'write' } });
if (r.status !== 0) throw new Error(`bin/berth --help failed (${r.status ?? r.signal}) while making the code cache`);
