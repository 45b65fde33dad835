import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanSize, humanDuration, table, fieldsUsed, formatRows, formatterRow, FormatError } from './format.js';
import { tabwrite } from './gotemplate/index.js';

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

test('formatRows: table header from the titles, tabwriter columns, json rows by sorted key with HTML escaping', () => {
  const rows = [formatterRow('*formatter.ContainerContext', { ID: 'abc', Names: 'web', Ports: '1.2.3.4:80->80/tcp' }), formatterRow('*formatter.ContainerContext', { ID: 'abcdef012345', Names: 'db', Ports: '' })];
  const header = { ID: 'CONTAINER ID', Names: 'NAMES', Ports: 'PORTS' };
  assert.equal(formatRows('table {{.ID}}\\t{{.Names}}', rows, header), 'CONTAINER ID   NAMES\nabc            web\nabcdef012345   db\n');
  assert.equal(formatRows('table {{upper .Names}}\\t{{.ID}}', rows, header), 'NAMES     CONTAINER ID\nWEB       abc\nDB        abcdef012345\n');
  assert.equal(formatRows('json', rows.slice(0, 1), header), '{"ID":"abc","Names":"web","Ports":"1.2.3.4:80-\\u003e80/tcp"}\n');
  assert.equal(formatRows('{{.Names}}:{{.ID}}', rows, header), 'web:abc\ndb:abcdef012345\n');
  assert.equal(formatRows('table', [], { x: 1 }), '\n');
  assert.throws(() => formatRows('{{.Nope}}', rows, header), (e: Error) => e instanceof FormatError && e.message === 'template parsing error: template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type *formatter.ContainerContext');
  assert.throws(() => formatRows('{{}', rows, header), (e: Error) => e instanceof FormatError && e.exitCode === 1 && e.message === 'template parsing error: template: :1: unexpected "}" in command');
});

test('fieldsUsed finds the fields a template reads, as docker decides ps --size', () => {
  assert.deepEqual([...fieldsUsed('table {{.ID}}\\t{{.Size}}', 'T', ['ID', 'Size', 'Names'])].sort(), ['ID', 'Size']);
  assert.deepEqual([...fieldsUsed('{{json .}}', 'T', ['ID', 'Size'])].sort(), ['ID', 'Size']);
  assert.deepEqual([...fieldsUsed('json', 'T', ['ID', 'Size'])], []);
  assert.throws(() => fieldsUsed('{{.Nope}}', 'T', ['ID']), /^Error: failed to execute template: template: :1:2: executing "" at <.Nope>: can't evaluate field Nope in type T$/);
});

test('tabwriter: a line without tabs ends a column block; text after the last tab is not padded', () => {
  assert.equal(tabwrite('a\tbb\tc\nlonger-cell\tx\ty\n'), 'a             bb        c\nlonger-cell   x         y\n');
  assert.equal(tabwrite('h1\th2\nno tabs here\nxx\ty\n'), 'h1        h2\nno tabs here\nxx        y\n');
});
