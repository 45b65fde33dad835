import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandWord, expandWords } from './shell.js';

const env = new Map([
  ['A', 'alpha'],
  ['EMPTY', ''],
  ['P', '/usr/local/bin/tool.tar.gz'],
]);

test('expansion forms', () => {
  const cases: [string, string][] = [
    ['$A', 'alpha'],
    ['${A}x', 'alphax'],
    ['$A-x', 'alpha-x'],
    ['${NOPE:-def}', 'def'],
    ['${EMPTY:-def}', 'def'],
    ['${EMPTY-def}', ''],
    ['${NOPE-def}', 'def'],
    ['${A:+set}', 'set'],
    ['${EMPTY:+set}', ''],
    ['${EMPTY+set}', 'set'],
    ['${NOPE+set}', ''],
    ['${P#*/}', 'usr/local/bin/tool.tar.gz'],
    ['${P##*/}', 'tool.tar.gz'],
    ['${P%.*}', '/usr/local/bin/tool.tar'],
    ['${P%%.*}', '/usr/local/bin/tool'],
    ['${A/l/L}', 'aLpha'],
    ['${P//\\//_}', '_usr_local_bin_tool.tar.gz'],
    ['${NOPE:-$A}', 'alpha'],
    ["'$A'", '$A'],
    ['"$A"', 'alpha'],
    ['"\\$A"', '$A'],
    ['\\$A', '$A'],
    ['"a\\b"', 'a\\b'],
    ['$', '$'],
    ['$1', '$1'],
    ['a\\ b', 'a b'],
  ];
  for (const [input, want] of cases) assert.equal(expandWord(input, env), want, input);
});

test('word splitting keeps quoted spaces', () => {
  assert.deepEqual(expandWords(`a "b c" 'd $A' $A`, env), ['a', 'b c', 'd $A', 'alpha']);
  assert.deepEqual(expandWords('x`$A y', env, '`'), ['x$A', 'y']);
});

test('errors', () => {
  assert.throws(() => expandWord('${NOPE:?must be set}', env), /NOPE: must be set/);
  assert.throws(() => expandWord("'open", env), /single-quote/);
  assert.throws(() => expandWord('${A', env), /missing '}'/);
});
