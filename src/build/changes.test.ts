import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyChanges } from './changes.js';

test('--change instructions through the Dockerfile parser', () => {
  const c = applyChanges({}, [
    'CMD ["sh"]',
    'ENTRYPOINT /bin/run --flag',
    'ENV A=1 B="two words"',
    'ENV LEGACY value with spaces',
    'ENV C=${A}x',
    'LABEL org.x="y" z=1',
    'EXPOSE 80 53/udp',
    'VOLUME ["/data"]',
    'WORKDIR /app',
    'WORKDIR sub',
    'USER 1000:1000',
    'STOPSIGNAL SIGQUIT',
    'ONBUILD RUN echo hi',
    'HEALTHCHECK --interval=5s --retries=2 CMD curl -f http://127.0.0.1/',
  ]);
  assert.deepEqual(c.Cmd, ['sh'], 'ENTRYPOINT keeps a CMD given before it');
  assert.deepEqual(c.Entrypoint, ['/bin/sh', '-c', '/bin/run --flag']);
  assert.deepEqual(c.Env, ['A=1', 'B=two words', 'LEGACY=value with spaces', 'C=1x']);
  assert.deepEqual(c.Labels, { 'org.x': 'y', z: '1' });
  assert.deepEqual(c.ExposedPorts, { '80/tcp': {}, '53/udp': {} });
  assert.deepEqual(c.Volumes, { '/data': {} });
  assert.equal(c.WorkingDir, '/app/sub');
  assert.equal(c.User, '1000:1000');
  assert.equal(c.StopSignal, 'SIGQUIT');
  assert.deepEqual(c.OnBuild, ['RUN echo hi']);
  assert.deepEqual(c.Healthcheck, { Test: ['CMD-SHELL', 'curl -f http://127.0.0.1/'], Interval: 5e9, Retries: 2 });
});

test('--change rejects what docker rejects', () => {
  assert.throws(() => applyChanges({}, ['RUN echo no']), /RUN is not a valid change command/);
  assert.throws(() => applyChanges({}, ['FROM x']), /FROM is not a valid change command/);
  assert.throws(() => applyChanges({}, ['EXPOSE eighty']), /Invalid containerPort: eighty/);
  assert.throws(() => applyChanges({}, ['ENV A="unterminated']), /matching double-quote/);
  assert.throws(() => applyChanges({}, ['ONBUILD FROM x']), /isn't allowed as an ONBUILD trigger/);
});
