import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AccessControl, parseRules } from './acl.js';
import { parseScope } from './token.js';
import { basicCredentials } from './htpasswd.js';

describe('access rules', () => {
  const acl = new AccessControl(
    parseRules([
      { account: 'alice', name: 'team/*', actions: ['pull', 'push'] },
      { account: '*', name: 'shared/*', actions: ['pull'] },
      { account: 'anonymous', name: 'public/*', actions: ['pull'] },
      { account: 'root', name: '*', actions: ['*'] },
    ]),
  );
  const repo = (name: string) => ({ type: 'repository' as const, name });

  it('grants by account and name glob, rules add up', () => {
    assert.deepEqual([...acl.granted('alice', repo('team/app'))].sort(), ['pull', 'push']);
    assert.deepEqual([...acl.granted('alice', repo('shared/x'))], ['pull']);
    assert.deepEqual([...acl.granted('bob', repo('team/app'))], []);
    assert.deepEqual([...acl.granted(undefined, repo('public/x'))], ['pull']);
    assert.deepEqual([...acl.granted(undefined, repo('shared/x'))], []);
    assert.ok(acl.granted('root', repo('any/thing')).has('delete'));
    // a glob does not cross into lookalike names
    assert.deepEqual([...acl.granted('alice', repo('teamx/app'))], []);
  });

  it('gives the catalog only to "*" actions on "*"', () => {
    assert.ok(acl.allows('root', [{ type: 'registry', name: 'catalog', actions: ['*'] }]));
    assert.ok(!acl.allows('alice', [{ type: 'registry', name: 'catalog', actions: ['*'] }]));
  });

  it('without rules, signed-in accounts may do everything and anonymous nothing', () => {
    const open = new AccessControl([]);
    assert.ok(open.allows('x', [{ ...repo('a'), actions: ['pull', 'push', 'delete'] }]));
    assert.ok(!open.allows(undefined, [{ ...repo('a'), actions: ['pull'] }]));
  });

  it('rejects malformed rules', () => {
    for (const bad of ['x', [{ account: 'a' }], [{ account: 'a', name: 'b', actions: ['fly'] }], [null]]) {
      assert.throws(() => parseRules(bad));
    }
  });

  it('parses scopes and basic credentials', () => {
    assert.deepEqual(parseScope('repository:a/b:pull,push'), { type: 'repository', name: 'a/b', actions: ['pull', 'push'] });
    assert.deepEqual(parseScope('registry:catalog:*'), { type: 'registry', name: 'catalog', actions: ['*'] });
    assert.equal(parseScope('repository:nope'), undefined);
    assert.equal(parseScope('other:a:pull'), undefined);
    assert.deepEqual(basicCredentials(`Basic ${Buffer.from('u:p:q').toString('base64')}`), { user: 'u', password: 'p:q' });
    assert.equal(basicCredentials('Bearer abc'), undefined);
    assert.equal(basicCredentials(`Basic ${Buffer.from('nocolon').toString('base64')}`), undefined);
  });
});
