import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Digest } from '../common/digest.js';
import { addHistory, addLayer, copyState, nextState, type State } from './state.js';

const digest = (c: string) => `sha256:${c.repeat(64)}` as Digest;

function base(): State {
  return {
    config: { architecture: 'amd64', os: 'linux', config: { Env: ['PATH=/bin'], User: 'root' }, rootfs: { type: 'layers', diff_ids: [digest('a')] }, history: [{ created_by: 'base' }] },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: digest('b'), size: 1 }],
    key: 'k0',
  };
}

test('a chain of states appends in place: a step costs what it adds', () => {
  let st = base();
  const history = st.config.history;
  for (let i = 0; i < 1000; i++) {
    const next = nextState(st);
    next.key = `k${i + 1}`;
    next.config.config!.Env!.push(`V${i}=${i}`);
    addHistory(next, { created_by: `ENV V${i}=${i}` });
    st = next;
  }
  assert.equal(st.config.history, history, 'the same list, not a copy per step');
  assert.equal(st.config.history!.length, 1001);
  assert.equal(st.config.config!.Env!.length, 1001);
  const withLayer = nextState(st);
  addLayer(withLayer, { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: digest('c'), size: 2 }, digest('d'));
  assert.deepEqual(withLayer.config.rootfs.diff_ids, [digest('a'), digest('d')]);
  assert.equal(withLayer.layers.length, 2);
});

test('nextState copies the fields a step replaces; copyState shares nothing', () => {
  const st = base();
  const next = nextState(st);
  next.config.config!.User = 'nobody';
  next.config.author = 'me';
  assert.equal(st.config.config!.User, 'root');
  assert.equal(st.config.author, undefined);
  const kept = copyState(st);
  addHistory(st, { created_by: 'later' });
  st.config.config!.Env!.push('X=1');
  assert.equal(kept.config.history!.length, 1);
  assert.deepEqual(kept.config.config!.Env, ['PATH=/bin']);
  st.layers.push(st.layers[0]!);
  assert.equal(kept.layers.length, 1);
});
