import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePortSpec, parsePortSpecs, formatPortMapping, bindingsOverlap } from './ports.js';

const m = (hostIp: string, hostPort: number, containerPort: number, protocol: 'tcp' | 'udp' = 'tcp') => ({ hostIp, hostPort, containerPort, protocol });

test('-p: the forms docker accepts', () => {
  assert.deepEqual(parsePortSpec('8800:80'), [m('', 8800, 80)]);
  assert.deepEqual(parsePortSpec('127.0.0.1:8080:80'), [m('127.0.0.1', 8080, 80)]);
  assert.deepEqual(parsePortSpec('0.0.0.0:8080:80'), [m('', 8080, 80)]);
  assert.deepEqual(parsePortSpec('5353:53/udp'), [m('', 5353, 53, 'udp')]);
  assert.deepEqual(parsePortSpec('127.0.0.1:5353:53/UDP'), [m('127.0.0.1', 5353, 53, 'udp')]);
  assert.deepEqual(parsePortSpec('80/tcp'), [m('', 0, 80)], 'container port only: random host port');
  assert.deepEqual(parsePortSpec('80'), [m('', 0, 80)]);
  assert.deepEqual(parsePortSpec('127.0.0.1::80'), [m('127.0.0.1', 0, 80)]);
  assert.deepEqual(parsePortSpec('8000-8002:80-82'), [m('', 8000, 80), m('', 8001, 81), m('', 8002, 82)]);
  assert.deepEqual(parsePortSpec('80-81'), [m('', 0, 80), m('', 0, 81)]);
});

test('-p: errors say what is wrong', () => {
  assert.throws(() => parsePortSpec('abc:80'), /invalid hostPort: abc/);
  assert.throws(() => parsePortSpec('80:abc'), /invalid containerPort: abc/);
  assert.throws(() => parsePortSpec('80:0'), /invalid containerPort: 0/);
  assert.throws(() => parsePortSpec('70000:80'), /invalid hostPort: 70000/);
  assert.throws(() => parsePortSpec('1.2.3:80:80'), /invalid ip address: 1\.2\.3/);
  assert.throws(() => parsePortSpec('80:80/sctp'), /sctp/);
  assert.throws(() => parsePortSpec('80:80/icmp'), /invalid proto: icmp/);
  assert.throws(() => parsePortSpec('[::1]:80:80'), /IPv6 host address ::1 is not supported/);
  assert.throws(() => parsePortSpec('8000-8010:80'), /host port range 8000-8010 for a single container port is not supported/);
  assert.throws(() => parsePortSpec('8000-8001:80-82'), /invalid ranges/);
  assert.throws(() => parsePortSpec('a:b:c:d'), /invalid port specification/);
  assert.throws(() => parsePortSpec(''), /empty/);
  assert.throws(() => parsePortSpecs(['8080:80', '0.0.0.0:8080:81']), /published twice/);
  assert.deepEqual(parsePortSpecs(['8080:80', '8080:80/udp']).length, 2);
});

test('port bindings: overlap and docker\'s display form', () => {
  assert.equal(bindingsOverlap(m('', 80, 1), m('127.0.0.1', 80, 2)), true);
  assert.equal(bindingsOverlap(m('127.0.0.1', 80, 1), m('127.0.0.2', 80, 2)), false);
  assert.equal(bindingsOverlap(m('', 80, 1), m('', 80, 1, 'udp')), false);
  assert.equal(formatPortMapping(m('', 8800, 80)), '0.0.0.0:8800->80/tcp');
  assert.equal(formatPortMapping(m('127.0.0.1', 53, 53, 'udp')), '127.0.0.1:53->53/udp');
});

test('Engine API PortBindings ↔ mappings', async () => {
  const { portBindingsToMappings, mappingsToNetworkSettingsPorts } = await import('./ports.js');
  assert.deepEqual(
    portBindingsToMappings({ '80/tcp': [{ HostIp: '', HostPort: '8800' }, { HostIp: '127.0.0.1', HostPort: '' }], '53/udp': [{ HostPort: '5353' }], '9000': null }),
    // (integer-like keys come first in JS object order)
    [m('', 0, 9000), m('', 8800, 80), m('127.0.0.1', 0, 80), m('', 5353, 53, 'udp')],
  );
  assert.deepEqual(portBindingsToMappings(null), []);
  assert.throws(() => portBindingsToMappings({ 'x/tcp': [] }), /invalid port in PortBindings/);
  assert.throws(() => portBindingsToMappings({ '80/tcp': [{ HostIp: '::1', HostPort: '80' }] }), /IPv6 host address/);
  assert.deepEqual(mappingsToNetworkSettingsPorts([m('', 8800, 80), m('127.0.0.1', 8801, 80), m('', 53, 53, 'udp')]), {
    '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8800' }, { HostIp: '127.0.0.1', HostPort: '8801' }],
    '53/udp': [{ HostIp: '0.0.0.0', HostPort: '53' }],
  });
});
