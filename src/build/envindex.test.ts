import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigEnv, envGet, envSet } from './envindex.js';
import { expansionEnv } from './instructions/index.js';
import { expandWord } from './parser/index.js';

test('envSet: an existing name keeps its place, a new one goes last (as docker)', () => {
  const env = ['PATH=/bin', 'A=1'];
  envSet(env, 'A', '2');
  envSet(env, 'B', 'x=y');
  envSet(env, 'PATH', '/usr/bin:/bin');
  assert.deepEqual(env, ['PATH=/usr/bin:/bin', 'A=2', 'B=x=y']);
  assert.equal(envGet(env, 'B'), 'x=y');
  assert.equal(envGet(env, 'C'), undefined);
});

test('duplicate names in a base image: ENV replaces the first, expansion sees the last (as before the index)', () => {
  const env = ['A=first', 'B=b', 'A=last'];
  assert.equal(envGet(env, 'A'), 'last');
  assert.equal(expansionEnv(new Map(), env).get('A'), 'last');
  envSet(env, 'A', 'new');
  assert.deepEqual(env, ['A=new', 'B=b', 'A=last']);
  assert.equal(envGet(['NOVALUE'], 'NOVALUE'), '');
});

test('the index follows a list that grows, and one changed behind its back', () => {
  const env: string[] = [];
  for (let i = 0; i < 5000; i++) envSet(env, `V${i}`, String(i));
  assert.equal(env.length, 5000);
  assert.equal(envGet(env, 'V4999'), '4999');
  env.push('LATE=1');
  assert.equal(envGet(env, 'LATE'), '1', 'a plain push is indexed on the next read');
  env.splice(0, 1);
  assert.equal(envGet(env, 'V1'), '1', 'positions moved: the index is made anew');
  assert.equal(envGet(env, 'V0'), undefined);
});

test('ConfigEnv: ENV over the declared ARGs, read live, a whole map for the readers that walk it', () => {
  const cfg: { Env?: string[] } = {};
  const args = new Map([['A', 'arg'], ['B', 'argb']]);
  const env = new ConfigEnv(args, cfg);
  assert.equal(env.get('A'), 'arg');
  cfg.Env = ['A=env'];
  assert.equal(env.get('A'), 'env', 'ENV wins');
  assert.equal(expandWord('${A}-${B}-${C:-none}', env), 'env-argb-none');
  envSet(cfg.Env, 'C', 'c');
  assert.equal(env.get('C'), 'c', 'a later pair of one ENV sees an earlier one');
  assert.equal(env.has('B'), true);
  assert.equal(env.has('Z'), false);
  assert.deepEqual(new Map(env), new Map([['A', 'env'], ['B', 'argb'], ['C', 'c']]));
  assert.equal(env.size, 3);
});
