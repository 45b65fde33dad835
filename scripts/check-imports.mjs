#!/usr/bin/env node
// The import rule of ARCHITECTURE.md, checked on every build (npm run lint):
// - common imports nothing of berth; oci imports only common;
// - subsystems import common and oci, and each other only through index.ts;
// - daemon is the only place that knows every subsystem;
// - api sees daemon's service interfaces (daemon/index.ts), common and oci;
// - client sees common, oci and api's types; cli sees client, api types and common;
// - cmd/ holds the process entry points (berthd, berth) and wires what the
//   others may not reach: daemon to api, the registry server into the CLI.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', 'src');
const SUBSYSTEMS = ['image', 'snapshot', 'build', 'registry', 'runtime', 'network', 'volume'];
const allowed = {
  common: [],
  oci: ['common'],
  daemon: ['common', 'oci', ...SUBSYSTEMS],
  api: ['common', 'oci', 'daemon'],
  client: ['common', 'oci', 'api'],
  cli: ['common', 'client', 'api'],
  // entry points (berthd): wire the daemon to its API servers
  cmd: ['common', 'oci', 'daemon', 'api', 'client', 'cli', 'registry'],
};
for (const s of SUBSYSTEMS) allowed[s] = ['common', 'oci', ...SUBSYSTEMS.filter((x) => x !== s)];
// Folders whose public surface is more than index.ts.
const publicEntries = { api: ['index.ts', 'types.ts'] };

function walk(dir, out = []) {
  for (const e of readdirSync(dir)) {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) {
      if (e !== 'testdata') walk(p, out);
    } else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

const problems = [];
for (const file of walk(root)) {
  const rel = path.relative(root, file);
  const own = rel.split(path.sep)[0];
  if (!(own in allowed)) {
    problems.push(`${rel}: top-level folder "${own}" is not in the architecture's layout`);
    continue;
  }
  const text = readFileSync(file, 'utf8');
  const re = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  let m;
  while ((m = re.exec(text))) {
    const spec = m[1] ?? m[2];
    if (!spec.startsWith('.')) continue;
    const target = path.relative(root, path.resolve(path.dirname(file), spec));
    if (target.startsWith('..')) {
      problems.push(`${rel}: imports "${spec}" from outside src/`);
      continue;
    }
    const parts = target.split(path.sep);
    const folder = parts[0];
    if (folder === own) continue;
    if (!allowed[own].includes(folder)) {
      problems.push(`${rel}: ${own}/ may not import ${folder}/ ("${spec}")`);
      continue;
    }
    if (folder === 'common' || folder === 'oci') continue;
    const entry = parts.slice(1).join('/').replace(/\.js$/, '.ts');
    const entries = publicEntries[folder] ?? ['index.ts'];
    if (!entries.includes(entry)) {
      problems.push(`${rel}: imports ${folder}/${entry}; other folders are reached only through ${entries.map((e) => `${folder}/${e}`).join(' or ')}`);
    }
  }
}
if (problems.length) {
  console.error(`import rule (ARCHITECTURE.md) broken in ${problems.length} place(s):`);
  for (const p of problems) console.error(`  ${p}`);
  process.exit(1);
}
console.log('import rule: ok');
