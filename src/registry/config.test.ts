import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isKind } from '../common/errors.js';
import { parseAddr, parseConfig } from './config.js';
import { resolveConfig } from './serve.js';

describe('registry config', () => {
  it('parses a full registry.yaml', () => {
    const c = parseConfig(`
version: 0.1
addr: 0.0.0.0:5000
storage:
  filesystem: { rootdirectory: /srv/reg }
  delete: { enabled: false }
limits: { manifestbytes: 1048576 }
tls: { certificate: /c.pem, key: /k.pem }
auth:
  htpasswd: { realm: r, path: /h }
  token: { service: s, issuer: i, expiration: 120 }
  access:
    - { account: alice, name: "team/*", actions: [pull, push] }
gc: { interval: 3600, grace: 60, untagged: true, uploadttl: 7200, uploadpurge: 60 }
log: { level: debug }
http: { draintimeout: 30 }
`);
    assert.equal(c.addr, '0.0.0.0:5000');
    assert.deepEqual(c.storage, { kind: 'filesystem', root: '/srv/reg' });
    assert.equal(c.deleteEnabled, false);
    assert.equal(c.manifestMaxBytes, 1048576);
    assert.deepEqual(c.tls, { certificate: '/c.pem', key: '/k.pem' });
    assert.equal(c.auth.token?.expiration, 120);
    assert.deepEqual(c.auth.access, [{ account: 'alice', name: 'team/*', actions: ['pull', 'push'] }]);
    assert.deepEqual(c.gc, { intervalSec: 3600, graceSec: 60, untagged: true, uploadTtlSec: 7200, uploadPurgeSec: 60 });
    assert.equal(c.logLevel, 'debug');
    assert.equal(c.drainTimeoutSec, 30);
    assert.equal(parseConfig('{}').drainTimeoutSec, 10);
  });

  it('refuses unknown keys and wrong types', () => {
    for (const text of ['bogus: 1', 'storage: { s3: {} }', 'limits: { manifestbytes: -1 }', 'auth: { access: [ { account: a, name: b, actions: [fly] } ] }', 'tls: { certificate: /c }', 'log: { level: loud }', 'http: { draintimeout: -1 }', ': : :']) {
      assert.throws(() => parseConfig(text), (e: unknown) => isKind(e, 'InvalidArgument'), text);
    }
  });

  it('lets flags override the config', () => {
    const c = resolveConfig({ addr: '127.0.0.1:6000', root: '/tmp/x' });
    assert.equal(c.addr, '127.0.0.1:6000');
    assert.deepEqual(c.storage, { kind: 'filesystem', root: '/tmp/x' });
  });

  it('parses listen addresses', () => {
    assert.deepEqual(parseAddr('127.0.0.1:5000'), { host: '127.0.0.1', port: 5000 });
    assert.deepEqual(parseAddr('[::1]:5000'), { host: '::1', port: 5000 });
    assert.deepEqual(parseAddr(':5000'), { host: '0.0.0.0', port: 5000 });
    for (const bad of ['5000', 'host:99999', 'a b:1']) assert.throws(() => parseAddr(bad));
  });
});
