import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PlainProgress } from './buildprogress.js';

function render(msgs: [string, Parameters<PlainProgress['message']>[1]][]): string {
  let out = '';
  const p = new PlainProgress({ write: (s: string) => (out += s) });
  for (const [t, ev] of msgs) p.message(t, ev);
  p.end();
  return out;
}

test('plain progress: steps, output with its time, cached and done steps, the export', () => {
  const out = render([
    ['Step 1/3 : FROM busybox\n', { kind: 'step', step: 1, total: 3, text: 'FROM busybox' }],
    [' ---> 918bee443e8b\n', { kind: 'done', step: 1, seconds: 0.01 }],
    ['Step 2/3 : RUN echo hi\n', { kind: 'step', step: 2, total: 3, text: 'RUN echo hi' }],
    [' ---> Running in 0123456789ab\n', { kind: 'chatter' }],
    ['hi\nhal', { kind: 'output', step: 2, at: 0.2 }],
    ['f line\n', { kind: 'output', step: 2, at: 0.25 }],
    ['Removing intermediate container 0123456789ab\n', { kind: 'chatter' }],
    [' ---> 23b60cbabec0\n', { kind: 'done', step: 2, seconds: 0.34 }],
    ['Step 3/3 : ENV A=1\n', { kind: 'step', step: 3, total: 3, text: 'ENV A=1' }],
    [' ---> Using cache\n', { kind: 'cached', step: 3 }],
    [' ---> c3d683c7b013\n', { kind: 'done', step: 3, seconds: 0 }],
    ['Successfully built c3d683c7b013\n', { kind: 'built', id: 'sha256:c3d683c7b013' }],
    ['Successfully tagged app:latest\n', { kind: 'tagged', name: 'app:latest' }],
  ]);
  assert.equal(
    out,
    '#1 [1/3] FROM busybox\n#1 DONE 0.0s\n\n' +
      '#2 [2/3] RUN echo hi\n#2 0.200 hi\n#2 0.200 half line\n#2 DONE 0.3s\n\n' +
      '#3 [3/3] ENV A=1\n#3 CACHED\n\n' +
      '#4 exporting to image\n#4 writing image sha256:c3d683c7b013 done\n#4 naming to app:latest done\n#4 DONE 0.0s\n',
  );
});

test('plain progress: a message without the berth field is printed as it is; an unfinished line is flushed', () => {
  const out = render([
    ['Step 1/2 : RUN printf x\n', { kind: 'step', step: 1, total: 2, text: 'RUN printf x' }],
    ['x', { kind: 'output', step: 1, at: 0.1 }],
    ['[Warning] One or more build-args [A] were not consumed\n', undefined],
  ]);
  assert.equal(out, '#1 [1/2] RUN printf x\n#1 0.100 x\n[Warning] One or more build-args [A] were not consumed\n');
});
