import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanSize, humanDuration, table, renderTemplate } from './format.js';

test('humanSize matches go-units HumanSizeWithPrecision(…, 3)', () => {
  assert.equal(humanSize(1984172), '1.98MB');
  assert.equal(humanSize(512), '512B');
  assert.equal(humanSize(0), '0B');
  assert.equal(humanSize(1000), '1kB');
  assert.equal(humanSize(123456), '123kB');
  assert.equal(humanSize(5_000_000_000), '5GB');
  assert.equal(humanSize(999_700), '1e+03kB');
});

test('humanDuration matches go-units HumanDuration', () => {
  assert.equal(humanDuration(500), 'Less than a second');
  assert.equal(humanDuration(1000), '1 second');
  assert.equal(humanDuration(45_000), '45 seconds');
  assert.equal(humanDuration(61_000), 'About a minute');
  assert.equal(humanDuration(5 * 60_000), '5 minutes');
  assert.equal(humanDuration(3600_000), 'About an hour');
  assert.equal(humanDuration(5 * 3600_000), '5 hours');
  assert.equal(humanDuration(3 * 86400_000), '3 days');
  assert.equal(humanDuration(20 * 86400_000), '2 weeks');
  assert.equal(humanDuration(90 * 86400_000), '3 months');
  assert.equal(humanDuration(800 * 86400_000), '2 years');
});

test('table pads like docker tabwriter', () => {
  assert.equal(
    table([
      ['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'],
      ['busybox', 'latest', 'bf7851907531', 'Less than a second ago', '1.98MB'],
    ]),
    'REPOSITORY   TAG       IMAGE ID       CREATED                  SIZE\nbusybox      latest    bf7851907531   Less than a second ago   1.98MB\n',
  );
});

test('renderTemplate handles the common --format forms', () => {
  const d = { Id: 'sha256:ab', Config: { Cmd: ['sh', '-c'], Labels: { a: 'b' } }, RepoTags: ['x:1'] };
  assert.equal(renderTemplate('{{.Id}}', d), 'sha256:ab');
  assert.equal(renderTemplate('{{json .Config.Cmd}}', d), '["sh","-c"]');
  assert.equal(renderTemplate('{{.Config.Cmd}}', d), '[sh -c]');
  assert.equal(renderTemplate('{{index .Config.Labels "a"}} {{join .RepoTags ","}}', d), 'b x:1');
  assert.equal(renderTemplate('{{.Nope}}', d), '<no value>');
  assert.equal(renderTemplate('{{index .RepoTags 0}}', d), 'x:1');
  assert.throws(() => renderTemplate('{{index .RepoTags 3}}', d), /index out of range: 3/);
  assert.throws(() => renderTemplate('{{range .X}}', d), /unsupported/);
});
