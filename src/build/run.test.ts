import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { CacheMounts } from './run.js';

test('cache mounts: shared is one directory for everyone, locked waits for the holder, private gets its own while busy', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-cachemounts-'));
  try {
    const cm = new CacheMounts(path.join(root, 'cache'));
    const scratch = path.join(root, 'scratch');
    fs.mkdirSync(scratch);
    const a = await cm.acquire('x', 'shared', scratch);
    const b = await cm.acquire('x', undefined, scratch);
    assert.equal(a.dir, b.dir);

    const p = await cm.acquire('x', 'private', scratch);
    assert.notEqual(p.dir, a.dir, 'busy: a private directory');
    assert.ok(p.dir.startsWith(scratch) && fs.statSync(p.dir).isDirectory());
    p.release();
    assert.equal(fs.existsSync(p.dir), false, 'a private directory is discarded');
    a.release();
    b.release();
    const free = await cm.acquire('x', 'private', scratch);
    assert.equal(free.dir, a.dir, 'not busy: the cache itself');
    free.release();

    const l1 = await cm.acquire('y', 'locked', scratch);
    let second = false;
    const l2p = cm.acquire('y', 'locked', scratch).then((h) => ((second = true), h));
    await tick();
    assert.equal(second, false, 'locked: the second waits');
    l1.release();
    const l2 = await l2p;
    assert.equal(l2.dir, l1.dir);
    l2.release();
    const l3 = await cm.acquire('y', 'locked', scratch);
    l3.release();
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
