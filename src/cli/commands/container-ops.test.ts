import { test } from 'node:test';
import assert from 'node:assert/strict';
import { naturalLess } from './container-ops.js';

test('naturalLess: port lines in the docker CLI\'s order (digit runs compare as numbers)', () => {
  const lines = ['8080/tcp -> 0.0.0.0:1', '80/tcp -> 0.0.0.0:9', '443/tcp -> 0.0.0.0:2', '53/udp -> 127.0.0.1:32769', '80/tcp -> [::]:9'];
  assert.deepEqual([...lines].sort(naturalLess), ['53/udp -> 127.0.0.1:32769', '80/tcp -> 0.0.0.0:9', '80/tcp -> [::]:9', '443/tcp -> 0.0.0.0:2', '8080/tcp -> 0.0.0.0:1']);
});
