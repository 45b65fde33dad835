import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compactGoJson, parseGoJson } from './gojson.js';

describe('Go-compatible JSON', () => {
  it('gives the messages of Go\'s scanner (as the docker CLI printed them)', () => {
    const cases: [string, string][] = [
      ['{"defaultAction": ', 'unexpected end of JSON input'],
      ['', 'unexpected end of JSON input'],
      ['{"a":tru}', "invalid character '}' in literal true (expecting 'e')"],
      ['{"a" 1}', "invalid character '1' after object key"],
      ['[1,]', "invalid character ']' looking for beginning of value"],
      ['{"a":1} x', "invalid character 'x' after top-level value"],
      ['{"a":"\\q"}', "invalid character 'q' in string escape code"],
      ['{"a":01}', "invalid character '1' after object key:value pair"],
      ['{"a":1.}', "invalid character '}' after decimal point in numeric literal"],
      ['[1 2]', "invalid character '2' after array element"],
      ['{1:2}', "invalid character '1' looking for beginning of object key string"],
      ['{"a":"x\ny"}', "invalid character '\\n' in string literal"],
      ['{"a":-}', "invalid character '}' in numeric literal"],
      ['{"a":1e}', "invalid character '}' in exponent of numeric literal"],
      ['"\\u12g4"', "invalid character 'g' in \\u hexadecimal character escape"],
      ["{'a':1}", "invalid character '\\'' looking for beginning of object key string"],
      ['['.repeat(10_001), 'exceeded max depth'],
    ];
    for (const [input, msg] of cases) assert.throws(() => parseGoJson(input), (e: Error) => (assert.equal(e.message, msg, input.slice(0, 20)), true));
  });
  it('keeps numbers as written and strips only insignificant whitespace', () => {
    const t = parseGoJson('{"v": 18446744073709551615, "s": "a b"}');
    assert.equal(t.kind, 'object');
    assert.deepEqual(t.kind === 'object' && t.entries[0]![1], { kind: 'number', raw: '18446744073709551615', start: 6, end: 26 });
    assert.equal(compactGoJson('{ "a" : [ 1 , 2.5e3 ],\n\t"b": "x \\" y" }\n'), '{"a":[1,2.5e3],"b":"x \\" y"}');
  });
});
