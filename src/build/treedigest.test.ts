import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { treeDigest } from './treedigest.js';

function tree(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'treedigest-'));
  mkdirSync(path.join(root, 'd'));
  writeFileSync(path.join(root, 'd', 'a.txt'), 'alpha\n');
  writeFileSync(path.join(root, 'b.bin'), Buffer.alloc(3 << 20, 7));
  symlinkSync('d/a.txt', path.join(root, 'link'));
  return root;
}

test('treeDigest: content, names, modes and link targets count; timestamps do not', async () => {
  const root = tree();
  try {
    const first = await treeDigest(root);
    assert.match(first, /^sha256:[a-f0-9]{64}$/);
    utimesSync(path.join(root, 'd', 'a.txt'), new Date(1_000_000), new Date(1_000_000));
    assert.equal(await treeDigest(root), first, 'touching a file keeps the digest');
    writeFileSync(path.join(root, 'd', 'a.txt'), 'alphb\n');
    const changed = await treeDigest(root);
    assert.notEqual(changed, first, 'one byte changes it');
    chmodSync(path.join(root, 'd', 'a.txt'), 0o600);
    assert.notEqual(await treeDigest(root), changed, 'a mode changes it');
    // a single file source digests its content and mode, not its name
    assert.equal(await treeDigest(path.join(root, 'b.bin')), await treeDigest(path.join(root, 'b.bin')));
    await assert.rejects(treeDigest(path.join(root, 'missing')), /ENOENT/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('treeDigest hands the event loop back while it works, with the same result', async () => {
  const root = tree();
  try {
    let turns = 0;
    let on = true;
    const spin = () => {
      if (!on) return;
      turns++;
      setImmediate(spin);
    };
    setImmediate(spin);
    // sliceMs 0: a turn at every entry and every 1 MiB read
    const paced = await treeDigest(root, 0);
    on = false;
    assert.ok(turns >= 4, `the loop turned ${turns} times during the walk`);
    assert.equal(paced, await treeDigest(root));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
