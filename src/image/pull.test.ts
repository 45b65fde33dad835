import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Descriptor } from '../oci/image.js';
import type { Digest } from '../common/digest.js';
import { parsePlatform, selectPlatform } from './pull.js';

const d = (arch: string, variant?: string): Descriptor => ({
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  digest: `sha256:${arch.padEnd(64, '0').slice(0, 64).replace(/[^a-f0-9]/g, 'a')}` as Digest,
  size: 1,
  platform: { os: 'linux', architecture: arch, ...(variant ? { variant } : {}) },
});

describe('platform selection', () => {
  it('parses platforms with docker aliases', () => {
    assert.deepEqual(parsePlatform('linux/amd64'), { os: 'linux', architecture: 'amd64' });
    assert.deepEqual(parsePlatform('linux/x86_64'), { os: 'linux', architecture: 'amd64' });
    assert.deepEqual(parsePlatform('linux/arm/v7'), { os: 'linux', architecture: 'arm', variant: 'v7' });
    assert.throws(() => parsePlatform('linux'));
  });
  it('picks the matching entry and names a missing platform as docker does', () => {
    const idx = [d('amd64'), d('arm64', 'v8'), d('arm', 'v6'), d('arm', 'v7')];
    assert.equal(selectPlatform(idx, { os: 'linux', architecture: 'amd64' }).platform?.architecture, 'amd64');
    assert.equal(selectPlatform(idx, { os: 'linux', architecture: 'arm64' }).platform?.variant, 'v8');
    assert.equal(selectPlatform(idx, { os: 'linux', architecture: 'arm', variant: 'v6' }).platform?.variant, 'v6');
    assert.equal(selectPlatform(idx, { os: 'linux', architecture: 'arm' }).platform?.variant, 'v7');
    assert.throws(() => selectPlatform(idx, { os: 'linux', architecture: 's390x' }), /no matching manifest for linux\/s390x in the manifest list entries/);
  });
});
