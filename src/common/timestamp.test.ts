import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTimestamp } from './timestamp.js';

test('parseTimestamp: durations before now, unix times, RFC 3339 dates, and garbage', () => {
  const now = Date.UTC(2026, 0, 2, 3, 4, 5);
  assert.equal(parseTimestamp('1h', now), now - 3600e3);
  assert.equal(parseTimestamp('1h30m', now), now - 5400e3);
  assert.equal(parseTimestamp('1.5s', now), now - 1500);
  assert.equal(parseTimestamp('0s', now), now);
  assert.equal(parseTimestamp('1700000000', now), 1700000000e3);
  assert.equal(parseTimestamp('1700000000.5', now), 1700000000500);
  assert.equal(parseTimestamp('2000-01-01T00:00:00Z', now), Date.UTC(2000, 0, 1));
  assert.equal(parseTimestamp('2000-01-01T01:00:00+01:00', now), Date.UTC(2000, 0, 1));
  assert.equal(parseTimestamp('2000-01-01', now), new Date(2000, 0, 1).getTime(), 'no zone: local time');
  for (const bad of ['abc', '', '1x', '2000-13-45', 'h1', '10 m']) assert.equal(parseTimestamp(bad, now), undefined, bad);
});
