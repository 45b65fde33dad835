import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseReference, familiarName, formatReference, withDefaultTag, fullName } from './reference.js';

test('docker.io normalisation', () => {
  const cases: [string, string][] = [
    ['busybox', 'docker.io/library/busybox'],
    ['library/busybox', 'docker.io/library/busybox'],
    ['alice/app', 'docker.io/alice/app'],
    ['docker.io/busybox', 'docker.io/library/busybox'],
    ['index.docker.io/alice/app', 'docker.io/alice/app'],
    ['localhost/app', 'localhost/app'],
    ['localhost:5000/app', 'localhost:5000/app'],
    ['127.0.0.1:5000/team/app', '127.0.0.1:5000/team/app'],
    ['[::1]:5000/app', '[::1]:5000/app'],
    ['registry.example.com/a/b/c', 'registry.example.com/a/b/c'],
    ['a__b/c-d.e', 'docker.io/a__b/c-d.e'],
  ];
  for (const [input, want] of cases) assert.equal(fullName(parseReference(input)), want, input);
});

test('tags and digests', () => {
  const d = 'sha256:' + 'a'.repeat(64);
  assert.deepEqual(parseReference('busybox:1.36'), { domain: 'docker.io', path: 'library/busybox', tag: '1.36' });
  assert.deepEqual(parseReference(`busybox@${d}`), { domain: 'docker.io', path: 'library/busybox', digest: d });
  assert.deepEqual(parseReference(`localhost:5000/app:v1@${d}`), { domain: 'localhost:5000', path: 'app', tag: 'v1', digest: d });
  assert.equal(parseReference('localhost:5000/app').tag, undefined);
  assert.equal(withDefaultTag(parseReference('busybox')).tag, 'latest');
  assert.equal(withDefaultTag(parseReference(`busybox@${d}`)).tag, undefined);
});

test('familiar names as docker prints them', () => {
  assert.equal(familiarName(parseReference('docker.io/library/busybox')), 'busybox');
  assert.equal(familiarName(parseReference('docker.io/alice/app')), 'alice/app');
  assert.equal(familiarName(parseReference('docker.io/library/a/b')), 'library/a/b');
  assert.equal(formatReference(withDefaultTag(parseReference('127.0.0.1:5000/x')), true), '127.0.0.1:5000/x:latest');
});

test('invalid references get docker\'s errors', () => {
  for (const bad of ['', 'UPPER', 'a:b:c', 'a/:b', 'a b', 'a@sha256:xyz', '-a', 'a/-b', 'a:' + 'x'.repeat(129), ':tag', 'a..b']) {
    assert.throws(() => parseReference(bad), /invalid reference format/, bad);
  }
  assert.throws(() => parseReference('Busybox'), /must be lowercase/);
  assert.throws(() => parseReference('a'.repeat(64).replace(/a/g, 'f')), /64-byte hexadecimal/);
  assert.throws(() => parseReference('x/' + 'a'.repeat(260)), /more than 255/);
});
