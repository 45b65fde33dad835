// bin/berth runs the CLI bundle from V8's code cache (scripts/bundle.mjs,
// bin/berth): a missing or damaged cache is made again and never breaks a
// command, and the registry server's own bundle loads only for registry
// commands. Runs on a copy of bin/ and dist/bundle/, so other tests' CLIs
// never see the damaged cache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { REPO } from '../helpers/daemon.js';

const skip = existsSync(path.join(REPO, 'dist/bundle/berth.cjs')) ? false : 'no dist/bundle (npm run build)';

function copy(): { root: string; cache: string; run: (args: string[]) => { code: number; stdout: string; stderr: string } } {
  const root = mkdtempSync(path.join(tmpdir(), 'berth-bundle-'));
  cpSync(path.join(REPO, 'bin'), path.join(root, 'bin'), { recursive: true });
  cpSync(path.join(REPO, 'dist/bundle'), path.join(root, 'dist/bundle'), { recursive: true });
  const run = (args: string[]) => {
    const r = spawnSync(process.execPath, [path.join(root, 'bin/berth'), ...args], { encoding: 'utf8', env: { ...process.env, BERTH_CODE_CACHE: '' } });
    return { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr };
  };
  return { root, cache: path.join(root, 'dist/bundle/berth.cjs.cache'), run };
}

test('the code cache: made when missing, made again when damaged, kept when V8 takes it', { skip }, () => {
  const c = copy();
  try {
    const version = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')).version as string;
    rmSync(c.cache);
    let r = c.run(['--version']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `berth version ${version}\n`);
    assert.ok(existsSync(c.cache), 'a missing cache is written at exit');
    const made = readFileSync(c.cache);
    // V8 takes it: the next run leaves it alone
    const before = statSync(c.cache).mtimeMs;
    assert.equal(c.run(['--version']).code, 0);
    assert.equal(statSync(c.cache).mtimeMs, before, 'an accepted cache is not rewritten');
    // damaged (a truncated write, garbage): still runs, and a good cache replaces it
    for (const bad of [made.subarray(0, 100), Buffer.from('not a code cache at all'), Buffer.alloc(0)]) {
      writeFileSync(c.cache, bad);
      r = c.run(['--version']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `berth version ${version}\n`);
      assert.ok(readFileSync(c.cache).length > 1000, 'the damaged cache was made again');
    }
    // no temporary files left beside it
    assert.deepEqual(spawnSync('ls', [path.join(c.root, 'dist/bundle')], { encoding: 'utf8' }).stdout.split('\n').filter((n) => n.includes('.cache.')), []);
  } finally {
    rmSync(c.root, { recursive: true, force: true });
  }
});

test('the registry server is a bundle of its own, loaded by registry commands only', { skip }, () => {
  const c = copy();
  try {
    // without registry.cjs, the other commands still work...
    rmSync(path.join(c.root, 'dist/bundle/registry.cjs'));
    assert.equal(c.run(['--version']).code, 0);
    const help = c.run(['registry', 'gc', '--help']);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /--untagged/);
    // ...and a registry command needs it
    const gc = c.run(['registry', 'gc', '--root', path.join(c.root, 'none')]);
    assert.notEqual(gc.code, 0);
    assert.match(gc.stderr, /registry\.cjs/);
  } finally {
    rmSync(c.root, { recursive: true, force: true });
  }
  // with it, `berth registry gc` runs the real collector
  const store = mkdtempSync(path.join(tmpdir(), 'berth-reg-'));
  try {
    const r = spawnSync(process.execPath, [path.join(REPO, 'bin/berth'), 'registry', 'gc', '--root', store, '--dry-run'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(typeof JSON.parse(r.stdout) === 'object');
  } finally {
    rmSync(store, { recursive: true, force: true });
  }
});
