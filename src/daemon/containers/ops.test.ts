import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePsOutput } from './ops.js';

test('parsePsOutput: only the given pids, the last column keeps its spaces (dockerd parsePSOutput)', () => {
  const out = [
    'UID          PID    PPID  C STIME TTY          TIME CMD',
    'root           1       0  0 10:00 ?        00:00:01 /sbin/init splash',
    'root        4242    4200  0 10:01 ?        00:00:00 sleep 1000',
    'root        4243    4242  0 10:01 ?        00:00:00 sh -c echo  two  spaces',
    '',
  ].join('\n');
  const r = parsePsOutput(out, new Set([4242, 4243]));
  assert.deepEqual(r.Titles, ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
  assert.deepEqual(r.Processes, [
    ['root', '4242', '4200', '0', '10:01', '?', '00:00:00', 'sleep 1000'],
    ['root', '4243', '4242', '0', '10:01', '?', '00:00:00', 'sh -c echo two spaces'],
  ]);
  assert.throws(() => parsePsOutput('USER COMMAND\nroot sh\n', new Set([1])), /Couldn't find PID field in ps output/);
  assert.throws(() => parsePsOutput('PID CMD\nabc sh\n', new Set([1])), /Unexpected pid 'abc'/);
});
