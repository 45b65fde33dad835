// inspect -f on a real docker container's JSON: the typed view (Go structs, typed maps, typed
// nils, omitted omitempty fields) and the raw fallback give what the docker CLI 28 printed for
// the same JSON (recorded in testdata/inspect-container.json).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { inspectTemplate } from './inspect.js';
import { FormatError, parseFormat } from '../format.js';

const fixture = JSON.parse(readFileSync(new URL('../../../../src/cli/commands/testdata/inspect-container.json', import.meta.url), 'utf8')) as {
  inspect: unknown;
  templates: [string, { out: string } | { err: string }][];
};

test('inspect templates on a container give what the docker CLI gives for the same JSON', () => {
  assert.ok(fixture.templates.length > 30);
  for (const [tpl, want] of fixture.templates) {
    let got: { out: string } | { err: string };
    try {
      got = { out: inspectTemplate(parseFormat(tpl, 'template parsing error', 64), fixture.inspect) };
    } catch (e) {
      if (!(e instanceof FormatError)) throw e;
      got = { err: e.message };
    }
    assert.deepEqual(got, want, tpl);
  }
});
