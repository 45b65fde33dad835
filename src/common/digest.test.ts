import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDigest, sha256, isDigest, shortId, DigestStream } from './digest.js';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

test('digests: validate, compute, shorten', async () => {
  const d = sha256('hello');
  assert.equal(d, 'sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824');
  assert.equal(isDigest(d), true);
  assert.equal(shortId(d), '2cf24dba5fb0');
  assert.throws(() => parseDigest('sha256:abc'), /needs 64 lowercase hex/);
  assert.throws(() => parseDigest('md5:' + 'a'.repeat(32)), /unsupported algorithm "md5"/);
  assert.throws(() => parseDigest('nonsense'), /expected <algorithm>:<hex>/);
  assert.throws(() => parseDigest('sha256:' + 'A'.repeat(64)), /lowercase/);
  const s = new DigestStream();
  await pipeline(Readable.from([Buffer.from('hel'), Buffer.from('lo')]), s, async function* (src) {
    for await (const _ of src) void _;
  });
  assert.equal(s.digest(), d);
  assert.equal(s.size, 5);
});
