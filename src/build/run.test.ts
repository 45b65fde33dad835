import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { parseStages } from './instructions/index.js';
import { buildNetworkMode } from './network.js';
import { CacheMounts, runCommand, RunError } from './run.js';

/** A CacheMounts on a temporary root, with a scratch directory; removed afterwards. */
async function withCacheMounts(work: (cm: CacheMounts, scratch: string) => Promise<void>): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-cachemounts-'));
  try {
    const scratch = path.join(root, 'scratch');
    fs.mkdirSync(scratch);
    await work(new CacheMounts(path.join(root, 'cache')), scratch);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

test('cache mounts: shared is one directory for everyone, locked waits for the holder, private gets its own while busy', () =>
  withCacheMounts(async (cm, scratch) => {
    const a = await cm.acquire('x', 'shared', scratch);
    const b = await cm.acquire('x', undefined, scratch);
    assert.equal(a.dir, b.dir);

    const p = await cm.acquire('x', 'private', scratch);
    assert.notEqual(p.dir, a.dir, 'busy: a private directory');
    assert.ok(p.dir.startsWith(scratch) && fs.statSync(p.dir).isDirectory());
    p.release();
    assert.equal(fs.existsSync(p.dir), false, 'a private directory is discarded');
    a.release();
    b.release();
    const free = await cm.acquire('x', 'private', scratch);
    assert.equal(free.dir, a.dir, 'not busy: the cache itself');
    free.release();

    const l1 = await cm.acquire('y', 'locked', scratch);
    let second = false;
    const l2p = cm.acquire('y', 'locked', scratch).then((h) => ((second = true), h));
    await tick();
    assert.equal(second, false, 'locked: the second waits');
    l1.release();
    const l2 = await l2p;
    assert.equal(l2.dir, l1.dir);
    l2.release();
    const l3 = await cm.acquire('y', 'locked', scratch);
    l3.release();
  }));


const SHELL = ['/bin/sh', '-c'];

/** The RUN instructions of a Dockerfile, as the solver sees them. */
function runs(text: string) {
  return parseStages(text).stages[0]!.instructions.filter((i) => i.kind === 'run') as Extract<ReturnType<typeof parseStages>['stages'][0]['instructions'][number], { kind: 'run' }>[];
}

function command(text: string, shell = SHELL) {
  const r = runs(text)[0]!;
  return runCommand(r.args, r.shell, shell, r.heredocs);
}

test('a #! heredoc is a program in /dev/pipes, run by the shell (BuildKit)', () => {
  const c = command('FROM busybox\nRUN <<EOF\n#!/bin/awk -f\nBEGIN { print 42 }\nEOF\n');
  assert.deepEqual(c.argv, ['/bin/sh', '-c', '/dev/pipes/EOF']);
  assert.deepEqual(c.script, { name: 'EOF', content: '#!/bin/awk -f\nBEGIN { print 42 }\n' });
  // the image's SHELL runs it, under the heredoc's own name
  const s = command('FROM busybox\nRUN <<SCRIPT\n#!/bin/sh -e\necho hi\nSCRIPT\n', ['/bin/bash', '-exc']);
  assert.deepEqual(s.argv, ['/bin/bash', '-exc', '/dev/pipes/SCRIPT']);
  // <<- strips leading tabs before the #! test and from the file
  const t = command('FROM busybox\nRUN <<-EOF\n\t#!/bin/sh\n\techo tab\n\tEOF\n');
  assert.deepEqual(t.script?.content, '#!/bin/sh\necho tab\n');
});

test('other heredocs and forms go to the shell as text, as before', () => {
  assert.deepEqual(command('FROM busybox\nRUN <<EOF\necho plain\nEOF\n'), { argv: ['/bin/sh', '-c', 'echo plain\n'] });
  // a #! body fed to another command is not a program of its own
  const piped = command('FROM busybox\nRUN cat <<EOF > /x\n#!/bin/sh\nEOF\n');
  assert.equal(piped.script, undefined);
  assert.deepEqual(piped.argv, ['/bin/sh', '-c', 'cat <<EOF > /x\n#!/bin/sh\nEOF']);
  assert.deepEqual(command('FROM busybox\nRUN ["/bin/echo", "#!x"]\n'), { argv: ['/bin/echo', '#!x'] });
  assert.deepEqual(command('FROM busybox\nRUN echo a\n'), { argv: ['/bin/sh', '-c', 'echo a'] });
});

test('a #! heredoc whose name cannot be a file name is refused', () => {
  assert.throws(() => runCommand(['<<EOF'], true, SHELL, [{ name: 'a/b', content: '#!/bin/sh\n', expand: true, chomp: false }]), (e: unknown) => e instanceof RunError && /heredoc name "a\/b"/.test((e as Error).message));
});

test('docker build --network: default and bridge are the bridge; host and none; anything else is refused', () => {
  assert.equal(buildNetworkMode(undefined), 'bridge');
  assert.equal(buildNetworkMode(''), 'bridge');
  assert.equal(buildNetworkMode('default'), 'bridge');
  assert.equal(buildNetworkMode('bridge'), 'bridge');
  assert.equal(buildNetworkMode('host'), 'host');
  assert.equal(buildNetworkMode('none'), 'none');
  assert.throws(() => buildNetworkMode('container:abc'), /network mode "container:abc" is not supported by this builder \(default, bridge, host or none\)/);
});

test('cache mounts: a wait for a locked cache ends when the build is cancelled, and does not hold up the next one', () =>
  withCacheMounts(async (cm, scratch) => {
    const first = await cm.acquire('y', 'locked', scratch);
    const ac = new AbortController();
    const waiting = cm.acquire('y', 'locked', scratch, ac.signal);
    let third = false;
    const next = cm.acquire('y', 'locked', scratch).then((h) => ((third = true), h));
    ac.abort();
    await assert.rejects(waiting, { name: 'AbortError' });
    await tick();
    assert.equal(third, false, 'the holder still has it');
    first.release();
    (await next).release();
    assert.equal(third, true, 'the cancelled waiter did not keep the next one waiting');
  }));
