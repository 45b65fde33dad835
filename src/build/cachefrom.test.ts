import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Digest } from '../common/digest.js';
import type { HistoryEntry, ImageConfig } from '../oci/image.js';
import { matchCacheFrom, usableSource, type CacheSource } from './cachefrom.js';

const d = (c: string) => `sha256:${c.repeat(64)}` as Digest;
const base: HistoryEntry[] = [{ created: '2024-01-01T00:00:00Z', created_by: 'base layer' }];
const config = (history: HistoryEntry[], diffIds: Digest[]): ImageConfig => ({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: diffIds }, history });

// the source: base (layer a), ENV (empty), COPY (layer b), RUN with a berth comment (layer c)
const env: HistoryEntry = { created: '2024-02-01T00:00:00Z', created_by: '/bin/sh -c #(nop)  ENV A=1', empty_layer: true };
const copy: HistoryEntry = { created: '2024-02-01T00:00:01Z', created_by: '/bin/sh -c #(nop) COPY file:abc in /a ' };
const run: HistoryEntry = { created: '2024-02-01T00:00:02Z', created_by: '/bin/sh -c cat /x', comment: 'berth.run.v0 sha256:1' };
const source: CacheSource = {
  id: 'sha256:src',
  name: 'src:1',
  config: config([...base, env, copy, run], [d('a'), d('b'), d('c')]),
  layers: ['1', '2', '3'].map((c) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: d(c), size: 1 })),
  target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: d('f'), size: 1 },
};

test('a step takes the next entry of a source whose history and layers the build so far matches', () => {
  assert.ok(usableSource(source));
  const atBase = config([...base], [d('a')]);
  const e = matchCacheFrom([source], atBase, env.created_by!, undefined);
  assert.deepEqual(e, { source, entry: env });
  const afterEnv = config([...base, env], [d('a')]);
  const c = matchCacheFrom([source], afterEnv, copy.created_by!, undefined);
  assert.deepEqual(c?.layer, { descriptor: source.layers[1], diffId: d('b') });
  const afterCopy = config([...base, env, copy], [d('a'), d('b')]);
  assert.equal(matchCacheFrom([source], afterCopy, run.created_by!, 'berth.run.v0 sha256:1')?.layer?.diffId, d('c'));
});

test('no match: another created_by, another comment, another history or layer so far, nothing left', () => {
  const afterEnv = config([...base, env], [d('a')]);
  assert.equal(matchCacheFrom([source], afterEnv, '/bin/sh -c #(nop) COPY file:abd in /a ', undefined), undefined, 'COPY of other content');
  const afterCopy = config([...base, env, copy], [d('a'), d('b')]);
  assert.equal(matchCacheFrom([source], afterCopy, run.created_by!, undefined), undefined, 'RUN without the mounts the source had');
  assert.equal(matchCacheFrom([source], afterCopy, run.created_by!, 'berth.run.v0 sha256:2'), undefined, 'RUN with other mounts');
  const rebuiltEnv = config([...base, { ...env, created: '2025-01-01T00:00:00Z' }], [d('a')]);
  assert.equal(matchCacheFrom([source], rebuiltEnv, copy.created_by!, undefined), undefined, 'a history entry that differs (docker compares them whole)');
  const otherLayer = config([...base, env, copy], [d('a'), d('e')]);
  assert.equal(matchCacheFrom([source], otherLayer, run.created_by!, 'berth.run.v0 sha256:1'), undefined, 'a layer that differs');
  const otherBase = config([{ ...base[0]!, created_by: 'other base' }], [d('a')]);
  assert.equal(matchCacheFrom([source], otherBase, env.created_by!, undefined), undefined, 'another base image');
  const all = config([...base, env, copy, run], [d('a'), d('b'), d('c')]);
  assert.equal(matchCacheFrom([source], all, run.created_by!, 'berth.run.v0 sha256:1'), undefined, 'the source has no further step');
});

test('FROM scratch matches a source from its first entry; an inconsistent source is not usable', () => {
  const s: CacheSource = { ...source, config: config([copy], [d('b')]), layers: [source.layers[1]!] };
  assert.equal(matchCacheFrom([s], config([], []), copy.created_by!, undefined)?.layer?.diffId, d('b'));
  assert.equal(usableSource({ ...source, layers: source.layers.slice(1) }), false);
  assert.equal(usableSource({ ...source, config: config([...base, env, copy, run], [d('a'), d('b')]) }), false);
});
