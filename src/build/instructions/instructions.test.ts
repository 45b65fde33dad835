import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStages, BuildArgs, platformArgs } from './index.js';
import { buildGraph } from '../graph.js';

const DF = `ARG BASE=busybox
ARG UNUSED_META
FROM \${BASE} AS build
ARG V=1
RUN --mount=type=secret,id=tok --network=none echo \${V}
FROM busybox AS unused
RUN echo never
FROM scratch AS final
COPY --from=build --chown=1:2 /out /out
COPY --from=other:image /x /x
`;

test('stages, meta args, flags and the graph a target needs', () => {
  const df = parseStages(DF);
  assert.deepEqual(df.metaArgs, [{ name: 'BASE', value: 'busybox' }, { name: 'UNUSED_META' }]);
  assert.equal(df.stages.length, 3);
  const run = df.stages[0]!.instructions[1]!;
  assert.equal(run.kind, 'run');
  if (run.kind === 'run') {
    assert.equal(run.network, 'none');
    assert.deepEqual(run.mounts[0], { type: 'secret', target: '/run/secrets/tok', id: 'tok', readOnly: false, required: false });
  }
  const args = new BuildArgs(new Map([['BASE', 'alpine'], ['X', '1']]), df.metaArgs, platformArgs({ os: 'linux', arch: 'amd64' }), '\\');
  assert.equal(args.meta.get('BASE'), 'alpine');
  assert.equal(args.meta.get('TARGETARCH'), 'amd64');
  assert.deepEqual(args.unused(), ['X']);
  const g = buildGraph(df, undefined, args.meta);
  assert.deepEqual(g.order.map((s) => s.name), ['build', 'final'], 'the unused stage is not built');
  assert.deepEqual(buildGraph(df, 'unused', args.meta).order.map((s) => s.name), ['unused']);
  assert.throws(() => buildGraph(df, 'nope', args.meta), /target stage "nope" could not be found/);
});

test('instruction errors carry positions', () => {
  assert.throws(() => parseStages('FROM busybox\nCOPY --form=x a b\n'), /Dockerfile:2: Unknown flag: form/);
  assert.throws(() => parseStages('FROM a b\n'), /Dockerfile:1: FROM requires either one or three arguments/);
  assert.throws(() => parseStages('RUN x\n'), /no build stage in current context/);
  assert.throws(() => parseStages('FROM busybox\nCOPY onlyone\n'), /COPY requires at least two arguments/);
  assert.throws(() => parseStages('FROM busybox\nSHELL /bin/bash\n'), /SHELL requires the arguments to be in JSON form/);
  assert.throws(() => parseStages('FROM busybox\nRUN --mount=type=weird,target=/x true\n'), /unsupported mount type "weird"/);
});
