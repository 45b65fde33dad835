import { test } from 'node:test';
import assert from 'node:assert/strict';
import { signalNumber } from './signals.js';

test('signal names and numbers as docker parses them', () => {
  assert.equal(signalNumber('SIGTERM'), 15);
  assert.equal(signalNumber('term'), 15);
  assert.equal(signalNumber('sigkill'), 9);
  assert.equal(signalNumber('9'), 9);
  assert.equal(signalNumber('SIGRTMIN+3'), 37);
  assert.equal(signalNumber('RTMAX-2'), 62);
  assert.equal(signalNumber('RTMAX'), 64);
});

test('unknown signals are docker\'s 400 "Invalid signal"', () => {
  for (const s of ['SIGFOO', '0', '65', '-1', '', 'RTMIN+16', 'SIG', 'KILL ']) {
    assert.throws(() => signalNumber(s), (e: Error & { kind?: string }) => e.kind === 'InvalidArgument' && e.message === `Invalid signal: ${s}`, s);
  }
});
