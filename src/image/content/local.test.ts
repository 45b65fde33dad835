import { mkdtemp, rm, chmod, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LocalContentStore } from './local.js';
import { contentStoreSuite } from './testsuite.js';

contentStoreSuite('LocalContentStore', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'berth-content-'));
  const store = await new LocalContentStore(dir).init();
  return {
    store,
    corrupt: async (d) => {
      const p = store.blobPath(d);
      await chmod(p, 0o644);
      await writeFile(p, 'tampered');
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

test('LocalContentStore: cleanIngests removes abandoned ingests only', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'berth-content-'));
  try {
    const store = await new LocalContentStore(dir).init();
    const dead = await store.writer({ ref: 'dead' });
    await dead.write(Buffer.from('x'));
    await dead.close();
    const live = await store.writer({ ref: 'live' });
    await live.write(Buffer.from('y'));
    assert.equal(await store.cleanIngests(0), 1);
    assert.equal((await readdir(path.join(dir, 'ingest'))).length, 1);
    await live.abort();
    assert.equal((await readdir(path.join(dir, 'ingest'))).length, 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
