import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { classifyWhiteout, deviceAllowedAt, normalizeEntryPath, UnsafePathError } from './tarpath.js';
import { detectCompression } from './decompress.js';
import { entryXattrs, parseRawXattrs, paxTime } from './pax.js';

describe('normalizeEntryPath', () => {
  const cases: Array<[string, string]> = [
    ['etc/passwd', 'etc/passwd'],
    ['./etc/passwd', 'etc/passwd'],
    ['/etc/passwd', 'etc/passwd'],
    ['///etc//passwd/', 'etc/passwd'],
    ['./', ''],
    ['/', ''],
    ['.', ''],
    ['a/./b/../c', 'a/c'],
    ['a/b/../../c', 'c'],
    ['x/', 'x'],
    ['..foo/..bar', '..foo/..bar'],
    ['.wh.x', '.wh.x'],
  ];
  for (const [input, want] of cases) {
    it(`"${input}" → "${want}"`, () => assert.equal(normalizeEntryPath(input), want));
  }
  for (const bad of ['..', '../x', 'a/../../x', '/../etc/passwd', './..', 'a/b/../../../c']) {
    it(`refuses "${bad}"`, () => assert.throws(() => normalizeEntryPath(bad), (e: unknown) => e instanceof UnsafePathError && /escapes/.test(e.message)));
  }
  it('refuses NUL bytes', () => assert.throws(() => normalizeEntryPath('a\0b'), UnsafePathError));
});

describe('classifyWhiteout', () => {
  it('finds plain whiteouts', () => {
    assert.deepEqual(classifyWhiteout('etc/.wh.passwd'), { kind: 'whiteout', dir: 'etc', name: 'passwd' });
    assert.deepEqual(classifyWhiteout('.wh.top'), { kind: 'whiteout', dir: '', name: 'top' });
    assert.deepEqual(classifyWhiteout('a/.wh..hidden'), { kind: 'whiteout', dir: 'a', name: '.hidden' });
  });
  it('finds opaque markers', () => {
    assert.deepEqual(classifyWhiteout('usr/share/.wh..wh..opq'), { kind: 'opaque', dir: 'usr/share' });
    assert.deepEqual(classifyWhiteout('.wh..wh..opq'), { kind: 'opaque', dir: '' });
  });
  it('skips whiteout metadata of other tools', () => {
    assert.deepEqual(classifyWhiteout('.wh..wh.plnk'), { kind: 'meta' });
    assert.deepEqual(classifyWhiteout('x/.wh..wh.aufs'), { kind: 'meta' });
  });
  it('leaves ordinary names alone', () => {
    assert.deepEqual(classifyWhiteout('etc/passwd'), { kind: 'none' });
    assert.deepEqual(classifyWhiteout('a.wh.b'), { kind: 'none' });
    assert.deepEqual(classifyWhiteout('.wh/x'), { kind: 'none' });
    assert.deepEqual(classifyWhiteout(''), { kind: 'none' });
  });
  it('refuses whiteouts of nothing, . or ..', () => {
    for (const bad of ['.wh.', 'a/.wh..', 'a/.wh...']) assert.throws(() => classifyWhiteout(bad), UnsafePathError);
  });
});

describe('deviceAllowedAt', () => {
  it('allows dev/ only', () => {
    assert.equal(deviceAllowedAt('dev/null'), true);
    assert.equal(deviceAllowedAt('dev/pts/0'), true);
    assert.equal(deviceAllowedAt('dev'), false);
    assert.equal(deviceAllowedAt('usr/dev/null'), false);
    assert.equal(deviceAllowedAt('devices/x'), false);
  });
});

describe('detectCompression', () => {
  it('reads magic bytes', () => {
    assert.equal(detectCompression(Buffer.from([0x1f, 0x8b, 8, 0])), 'gzip');
    assert.equal(detectCompression(Buffer.from([0x28, 0xb5, 0x2f, 0xfd])), 'zstd');
    assert.equal(detectCompression(Buffer.from('ustar')), 'none');
    assert.equal(detectCompression(Buffer.alloc(0)), 'none');
    assert.equal(detectCompression(Buffer.from([0x28, 0xb5])), 'none');
  });
});

describe('PAX xattrs', () => {
  const rec = (k: string, v: Buffer) => {
    const payload = Buffer.concat([Buffer.from(` ${k}=`), v, Buffer.from('\n')]);
    let len = payload.length + 1;
    while (String(len).length + payload.length !== len) len = String(len).length + payload.length;
    return Buffer.concat([Buffer.from(String(len)), payload]);
  };
  const cap = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x00, 0x04, 0x00, 0x00, 0xff, 0x80, 0xc3]);
  it('keeps binary values byte for byte', () => {
    const block = Buffer.concat([rec('path', Buffer.from('bin/ping')), rec('SCHILY.xattr.security.capability', cap), rec('SCHILY.xattr.user.a', Buffer.from('b'))]);
    const m = parseRawXattrs(block);
    assert.deepEqual([...m.keys()], ['security.capability', 'user.a']);
    assert.deepEqual(m.get('security.capability'), cap);
  });
  it('stops at a malformed record instead of reading past it', () => {
    assert.equal(parseRawXattrs(Buffer.from('999 SCHILY.xattr.a=b\n')).size, 0);
    assert.equal(parseRawXattrs(Buffer.from('garbage')).size, 0);
  });
  it('reads decoded records and times from an entry', () => {
    assert.deepEqual(entryXattrs({ 'SCHILY.xattr.user.x': 'y', path: 'p' }), new Map([['user.x', Buffer.from('y')]]));
    assert.equal(paxTime({ mtime: '1700000000.5' }, 'mtime'), 1700000000.5);
    assert.equal(paxTime({ mtime: 'soon' }, 'mtime'), undefined);
    assert.equal(paxTime(null, 'atime'), undefined);
  });
});
