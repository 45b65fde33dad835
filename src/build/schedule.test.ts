import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { OrderedOutput, runStages, StageCancelled, type StageTask } from './schedule.js';

/** A promise with its resolve/reject outside. */
function gate<T = void>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

test('OrderedOutput: the first unprinted stage streams, later ones wait for it', () => {
  const out: string[] = [];
  const o = new OrderedOutput([0, 2, 5], (t) => out.push(t));
  o.emit(2, 'b1 ');
  o.emit(0, 'a1 ');
  o.emit(5, 'c1 ');
  assert.deepEqual(out, ['a1 ']);
  o.finish(5);
  o.emit(2, 'b2 ');
  assert.deepEqual(out, ['a1 ']);
  o.finish(0);
  assert.deepEqual(out, ['a1 ', 'b1 ', 'b2 ']);
  o.emit(2, 'b3 ');
  o.finish(2);
  assert.equal(out.join(''), 'a1 b1 b2 b3 c1 ');
});

test('runStages: independent stages overlap, a dependent one waits, output is in index order', async () => {
  const out: string[] = [];
  const started: number[] = [];
  const g0 = gate<string>();
  const g1 = gate<string>();
  const task = (index: number, deps: number[], g: { promise: Promise<string> }): StageTask<string> => ({
    index,
    deps: new Set(deps),
    run: async (emit) => {
      started.push(index);
      emit(`start ${index}\n`);
      const v = await g.promise;
      emit(`end ${index}\n`);
      return v;
    },
  });
  const g2 = gate<string>();
  g2.resolve('two');
  const all = runStages([task(2, [0, 1], g2), task(1, [], g1), task(0, [], g0)], 4, (t) => out.push(t));
  await tick();
  assert.deepEqual(started.sort(), [0, 1], 'both independent stages run at once; 2 waits');
  g1.resolve('one');
  await tick();
  assert.deepEqual(started.sort(), [0, 1]);
  g0.resolve('zero');
  const res = await all;
  assert.deepEqual([...res.entries()].sort(), [[0, 'zero'], [1, 'one'], [2, 'two']]);
  assert.equal(out.join(''), 'start 0\nend 0\nstart 1\nend 1\nstart 2\nend 2\n');
});

test('runStages: at most `limit` stages at once', async () => {
  let running = 0;
  let most = 0;
  const gates = [gate(), gate(), gate()];
  const tasks = gates.map((g, index) => ({
    index,
    deps: new Set<number>(),
    run: async () => {
      most = Math.max(most, ++running);
      await g.promise;
      running--;
    },
  }));
  const all = runStages(tasks, 2, () => {});
  await tick();
  assert.equal(running, 2);
  for (const g of gates) g.resolve();
  await all;
  assert.equal(most, 2);
});

test('runStages: a failure aborts the others; the first real failure in Dockerfile order is reported, not the cancellations', async () => {
  const out: string[] = [];
  const late = gate();
  let sawAbort = false;
  const tasks: StageTask<void>[] = [
    {
      index: 0,
      deps: new Set(),
      run: async (emit, signal) => {
        emit('zero running\n');
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
        sawAbort = true;
        throw new StageCancelled('stage 0');
      },
    },
    {
      index: 1,
      deps: new Set(),
      run: async (emit) => {
        await late.promise;
        emit('one fails\n');
        throw new Error('stage 1 broke');
      },
    },
    { index: 2, deps: new Set([1]), run: async (emit) => emit('never\n') },
  ];
  const all = runStages(tasks, 4, (t) => out.push(t));
  late.resolve();
  await assert.rejects(all, /stage 1 broke/);
  assert.ok(sawAbort);
  assert.equal(out.join(''), 'zero running\none fails\n', 'the dependent stage never ran');
});

test('runStages: when two stages fail, the earlier in the Dockerfile is reported', async () => {
  const second = gate();
  const tasks: StageTask<void>[] = [
    { index: 0, deps: new Set(), run: async () => { await second.promise; throw new Error('first in file'); } },
    { index: 1, deps: new Set(), run: async () => { second.resolve(); throw new Error('first in time'); } },
  ];
  await assert.rejects(runStages(tasks, 4, () => {}), /first in file/);
});
