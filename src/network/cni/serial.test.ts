import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedQueue } from './serial.js';

test('KeyedQueue: one key runs in order even after a failure; other keys run alongside', async () => {
  const q = new KeyedQueue();
  const log: string[] = [];
  const step = (name: string, ms: number, fail = false) => async () => {
    log.push(`start ${name}`);
    await new Promise((r) => setTimeout(r, ms));
    log.push(`end ${name}`);
    if (fail) throw new Error(name);
  };
  const a1 = q.run('a', step('a1', 20, true));
  const a2 = q.run('a', step('a2', 1));
  const b1 = q.run('b', step('b1', 1));
  await assert.rejects(a1, /a1/);
  await a2;
  await b1;
  assert.ok(log.indexOf('end a1') < log.indexOf('start a2'), log.join(','));
  assert.ok(log.indexOf('start b1') < log.indexOf('end a1'), 'b does not wait for a');
});
