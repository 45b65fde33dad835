import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { statusText } from './containers.js';
import type { ContainerRecord } from '../../daemon/index.js';

function rec(state: Partial<ContainerRecord['State']>): ContainerRecord {
  return {
    State: { Status: 'created', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 0, ExitCode: 0, Error: '', StartedAt: '0001-01-01T00:00:00Z', FinishedAt: '0001-01-01T00:00:00Z', ...state },
  } as ContainerRecord;
}

describe('docker status text', () => {
  const now = Date.parse('2024-01-01T00:01:00Z');
  it('formats as docker does', () => {
    assert.equal(statusText(rec({}), now), 'Created');
    assert.equal(statusText(rec({ Status: 'running', Running: true, StartedAt: '2024-01-01T00:00:57Z' }), now), 'Up 3 seconds');
    assert.equal(statusText(rec({ Status: 'exited', ExitCode: 137, FinishedAt: '2024-01-01T00:00:59.5Z' }), now), 'Exited (137) Less than a second ago');
    assert.equal(statusText(rec({ Status: 'restarting', Restarting: true, ExitCode: 1, FinishedAt: '2024-01-01T00:00:00Z' }), now), 'Restarting (1) About a minute ago');
  });
});
