import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCidr, formatCidr, cidrsOverlap, gatewayOf, pickFreeSubnet, subnetConflict } from './subnet.js';

test('CIDRs: parse, normalize, overlap, gateway', () => {
  assert.equal(formatCidr(parseCidr('10.88.3.4/16')), '10.88.0.0/16');
  assert.equal(formatCidr(parseCidr('192.0.2.53')), '192.0.2.53/32');
  assert.equal(cidrsOverlap(parseCidr('10.0.0.0/8'), parseCidr('10.88.0.0/16')), true);
  assert.equal(cidrsOverlap(parseCidr('10.88.0.0/16'), parseCidr('10.89.0.1/32')), false);
  assert.equal(gatewayOf('10.88.0.0/16'), '10.88.0.1');
  assert.throws(() => gatewayOf('10.0.0.0/31'), /too small/);
  assert.throws(() => parseCidr('10.0.0/8'), /invalid/);
  assert.throws(() => parseCidr('10.0.0.0/33'), /invalid/);
});

test('default subnet: the first candidate the host does not use', () => {
  // this machine: docker0 172.17/16, eth0 192.0.2.0/24, nameserver 10.255.255.53
  assert.equal(pickFreeSubnet(['172.17.0.0/16', '192.0.2.0/24', '10.255.255.53/32']), '10.88.0.0/16');
  assert.equal(pickFreeSubnet(['10.88.0.0/16', '10.89.5.0/24']), '10.90.0.0/16');
  assert.equal(pickFreeSubnet(['10.0.0.0/8']), '172.18.0.0/16', 'a 10/8 VPC pushes us to 172.x');
  assert.equal(subnetConflict('10.88.0.0/16', ['10.88.1.1/32']), '10.88.1.1/32');
  assert.throws(() => pickFreeSubnet(['0.0.0.0/0']), /no free subnet/);
});
