// The GC fence's interleavings, each forced deterministically.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sha256 } from '../../common/digest.js';
import { GcFence } from './fence.js';

const d = sha256('blob');
const tick = () => new Promise((r) => setImmediate(r));

describe('GC fence', () => {
  it('does nothing outside a cycle', async () => {
    const f = new GcFence();
    assert.equal(await f.sweep(d, async () => {}), false);
  });

  it('a guard during the cycle protects the digest for the rest of it', async () => {
    const f = new GcFence();
    f.beginCycle();
    await f.guard([d], async () => {});
    assert.equal(await f.sweep(d, async () => assert.fail('deleted')), false);
    f.endCycle();
    f.beginCycle();
    let deleted = false;
    assert.equal(await f.sweep(d, async () => void (deleted = true)), true);
    assert.ok(deleted);
  });

  it('a guard in flight when the cycle begins protects the digest', async () => {
    const f = new GcFence();
    let release!: () => void;
    const op = f.guard([d], () => new Promise<void>((r) => (release = r)));
    await tick();
    f.beginCycle();
    assert.equal(await f.sweep(d, async () => assert.fail('deleted')), false);
    release();
    await op;
  });

  it('a guard that arrives during a deletion waits for it to finish', async () => {
    const f = new GcFence();
    f.beginCycle();
    const order: string[] = [];
    let finish!: () => void;
    const sweeping = f.sweep(d, () => new Promise<void>((r) => (finish = r)).then(() => void order.push('deleted')));
    const op = f.guard([d], async () => void order.push('guarded'));
    await tick();
    assert.deepEqual(order, []);
    finish();
    await Promise.all([sweeping, op]);
    assert.deepEqual(order, ['deleted', 'guarded']);
  });
});
