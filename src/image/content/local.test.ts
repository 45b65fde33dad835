import { mkdtemp, mkdir, rm, chmod, writeFile, readdir } from 'node:fs/promises';
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

test('LocalContentStore: cleanIngests removes what no live writer owns; a named partial only once older than the grace', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'berth-content-'));
  try {
    const store = await new LocalContentStore(dir).init();
    const ingest = path.join(dir, 'ingest');
    const dead = await store.writer({ ref: 'pull-sha256:dead' });
    await dead.write(Buffer.from('x'));
    await dead.close();
    const anonDead = await store.writer();
    await anonDead.write(Buffer.from('z'));
    await anonDead.close();
    const live = await store.writer({ ref: 'live' });
    await live.write(Buffer.from('y'));
    const anonLive = await store.writer();
    await anonLive.write(Buffer.from('w'));
    // a crash between the directory and its ref file: nothing names it, nothing owns it
    await mkdir(path.join(ingest, '0'.repeat(32)));
    assert.equal((await readdir(ingest)).length, 5);
    // GC's grace: the closed named partial (a pull to resume) stays; the anonymous and ref-less ones go
    assert.equal(await store.cleanIngests(3600_000), 2);
    assert.equal((await readdir(ingest)).length, 3);
    // at start (no grace): every ingest no live writer owns
    assert.equal(await store.cleanIngests(0), 1);
    assert.equal((await readdir(ingest)).length, 2);
    await live.write(Buffer.from('more'));
    await anonLive.write(Buffer.from('more'));
    assert.equal((await anonLive.commit()).size, 5);
    await live.abort();
    assert.equal((await readdir(ingest)).length, 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
