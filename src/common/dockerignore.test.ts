import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IgnoreMatcher, parseDockerignore } from './dockerignore.js';

const m = (text: string) => new IgnoreMatcher(parseDockerignore(text));

test('docker pattern semantics', () => {
  const x = m('# comment\n*.md\n!README.md\nsecret/\n**/*.tmp\n/build\ntemp?\n');
  assert.equal(x.matches('notes.md'), true);
  assert.equal(x.matches('README.md'), false, '! re-includes');
  assert.equal(x.matches('docs/notes.md'), false, '* does not cross /');
  assert.equal(x.matches('secret/key'), true, 'a matched parent directory matches its files');
  assert.equal(x.matches('a/b/c.tmp'), true, '** spans directories');
  assert.equal(x.matches('c.tmp'), true, '**/ matches zero directories');
  assert.equal(x.matches('build/out.o'), true, 'leading / is the context root');
  assert.equal(x.matches('temp1'), true);
  assert.equal(x.matches('temp12'), false);
});

test('last matching pattern wins; exceptions inside ignored directories', () => {
  const x = m('docs\n!docs/keep.txt\n');
  assert.equal(x.matches('docs/drop.txt'), true);
  assert.equal(x.matches('docs/keep.txt'), false);
  assert.equal(x.canSkipDir('docs'), false);
  const y = m('!a.txt\n*.txt\n');
  assert.equal(y.matches('a.txt'), true, 'a later pattern overrides an earlier exception');
  const z = m('**\n!src/**\n');
  assert.equal(z.matches('src/x/y.ts'), false);
  assert.equal(z.matches('other'), true);
  assert.equal(m('node_modules\n').canSkipDir('node_modules'), true);
});
