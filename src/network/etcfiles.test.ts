import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostsFile, hostModeHostsFile, hostnameFile, resolvConfFile, hostResolvConfPath, parseExtraHost, hostModeResolvConf } from './etcfiles.js';

const DEFAULTS =
  '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n';

test('/etc/hosts as docker writes it', () => {
  assert.equal(hostsFile({ hostname: '3f4e5a6b7c8d', ip: '10.88.0.2' }), DEFAULTS + '10.88.0.2\t3f4e5a6b7c8d\n');
  assert.equal(hostsFile({ hostname: 'box', domainname: 'example.org', ip: '10.88.0.3' }), DEFAULTS + '10.88.0.3\tbox.example.org box\n');
  assert.equal(hostsFile({ hostname: 'box' }), DEFAULTS, 'none: no address line');
  assert.equal(
    hostsFile({ hostname: 'box', ip: '10.88.0.4', extraHosts: [{ name: 'db', ip: '10.1.2.3' }] }),
    DEFAULTS + '10.1.2.3\tdb\n10.88.0.4\tbox\n',
  );
  assert.equal(hostModeHostsFile('127.0.0.1 localhost\n'), '127.0.0.1 localhost\n');
  assert.equal(hostModeHostsFile('127.0.0.1 localhost', [{ name: 'db', ip: '10.1.2.3' }]), '127.0.0.1 localhost\n10.1.2.3\tdb\n');
  assert.deepEqual(parseExtraHost('db:10.1.2.3'), { name: 'db', ip: '10.1.2.3' });
  assert.deepEqual(parseExtraHost('v6:[::1]'), { name: 'v6', ip: '::1' });
  assert.throws(() => parseExtraHost('nocolon'), /expected host:ip/);
  assert.throws(() => parseExtraHost('db:notanip'), /expected host:ip/);
});

test('/etc/hostname', () => {
  assert.equal(hostnameFile('box'), 'box\n');
});

test('/etc/resolv.conf: docker\'s filtering', () => {
  assert.equal(resolvConfFile('nameserver 10.255.255.53\n'), 'nameserver 10.255.255.53\n');
  // localhost nameservers are blanked; search/options stay; defaults only when none is left
  assert.equal(
    resolvConfFile('search corp.example\nnameserver 127.0.0.53\noptions edns0 trust-ad\n'),
    'search corp.example\n\noptions edns0 trust-ad\n\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n',
  );
  assert.equal(resolvConfFile('nameserver 127.0.0.1\nnameserver 192.0.2.53\n'), '\nnameserver 192.0.2.53\n');
  // IPv6 nameservers are dropped on an IPv4-only network, kept with ipv6
  assert.equal(resolvConfFile('nameserver fd00::53\nnameserver 192.0.2.53\n'), '\nnameserver 192.0.2.53\n');
  assert.equal(resolvConfFile('nameserver fd00::53\n', { ipv6: true }), 'nameserver fd00::53\n');
  assert.equal(
    resolvConfFile('nameserver ::1\n', { ipv6: true }),
    '\n\nnameserver 8.8.8.8\nnameserver 8.8.4.4\nnameserver 2001:4860:4860::8888\nnameserver 2001:4860:4860::8844\n',
  );
  assert.equal(resolvConfFile(''), '\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n');
  // --dns / --dns-search / --dns-option replace their kind of line
  assert.equal(
    resolvConfFile('search a.example\nnameserver 192.0.2.53\noptions ndots:2\n', { dns: ['1.1.1.1'] }),
    'search a.example\nnameserver 1.1.1.1\noptions ndots:2\n',
  );
  assert.equal(resolvConfFile('nameserver 192.0.2.53\n', { dnsSearch: ['x.example'], dnsOptions: ['ndots:1'] }), 'search x.example\nnameserver 192.0.2.53\noptions ndots:1\n');
  assert.equal(hostModeResolvConf('nameserver 127.0.0.53\n'), 'nameserver 127.0.0.53\n');
  assert.equal(hostResolvConfPath('nameserver 127.0.0.53\noptions edns0\n'), '/run/systemd/resolve/resolv.conf');
  assert.equal(hostResolvConfPath('nameserver 10.0.0.2\n'), '/etc/resolv.conf');
});
