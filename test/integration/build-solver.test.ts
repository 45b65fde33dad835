// The solver of `berth build` against a berthd of the test's own: stages that
// do not depend on each other build in parallel (proved without timing: two
// stages wait for each other's marker in a shared cache mount), a failing
// stage cancels the others and leaves nothing behind; RUN --mount=type=bind
// sources in the cache key; --cache-from with docker's legacy semantics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync, readdirSync, utimesSync } from 'node:fs';
import * as path from 'node:path';
import * as http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { TestDaemon, isRoot, ok, which, settledEntries } from '../helpers/daemon.js';
import { writeContext } from '../helpers/buildctx.js';
import { useContainerDaemon } from '../helpers/containers.js';
import { mergedTree, savedImage } from '../helpers/imagetree.js';

const skip = !isRoot() ? 'needs root (overlay, namespaces)' : !which('busybox') ? 'needs busybox-static' : false;
let d: TestDaemon;
// a daemon with busybox imported, whose containers are removed at the end
useContainerDaemon(skip, (x) => (d = x));

let n = 0;
function context(files: Record<string, string | Buffer>): string {
  return writeContext(path.join(d.root, `ctx${n++}`), files);
}

/** Mount points under the test daemon's root (the build leaves none once it ended). */
function mountsUnderRoot(): string[] {
  return readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '').filter((t) => t.startsWith(d.root));
}

/** Processes whose command line contains `marker`. */
function processesWith(marker: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(marker)) out.push(Number(p));
    } catch {
      /* gone */
    }
  }
  return out;
}

function inspect(ref: string): { Id: string } {
  return (JSON.parse(ok(d.berth(['image', 'inspect', ref]), 'inspect')) as { Id: string }[])[0]!;
}

function stepNumbers(out: string): number[] {
  return [...out.matchAll(/^Step (\d+)\/\d+ : /gm)].map((m) => Number(m[1]));
}

// Marks `me` in the shared cache mount and waits (bounded) for `other`: a
// serial build fails this, a parallel one passes.
const rendezvous = (id: string, me: string, other: string) =>
  `RUN --mount=type=cache,id=${id},target=/c,sharing=shared touch /c/${me} && i=0; while [ ! -e /c/${other} ]; do i=$((i+1)); if [ $i -gt 200 ]; then echo "no ${other}"; exit 1; fi; sleep 0.1; done; echo ${me} > /${me}.txt`;

test('independent stages build in parallel; output stays one block per stage in Dockerfile order', { skip }, () => {
  const id = `sync-${randomBytes(6).toString('hex')}`;
  const dir = context({
    Dockerfile: `FROM busybox AS a
${rendezvous(id, 'a', 'b')}
RUN echo "stage a done"
FROM busybox AS b
${rendezvous(id, 'b', 'a')}
RUN echo "stage b done"
FROM scratch
COPY --from=a /a.txt /
COPY --from=b /b.txt /
`,
  });
  const out = ok(d.berth(['build', '-t', 'par:1', dir]), 'parallel build');
  assert.deepEqual(stepNumbers(out), [1, 2, 3, 4, 5, 6, 7, 8, 9], out);
  // stage a's block (steps 1-3) is printed whole before stage b's
  const aDone = out.indexOf('stage a done');
  const bStart = out.indexOf('Step 4/9 : FROM busybox AS b');
  assert.ok(aDone > 0 && bStart > aDone, out);
  assert.ok(out.indexOf('stage b done') > bStart, out);
});

test('a failing stage fails the build with its own error, cancels the others and leaves nothing behind', { skip }, async () => {
  const id = `sync-${randomBytes(6).toString('hex')}`;
  // stage slow never ends by itself within the test unless cancelled: left
  // running it would fail with "no never" after 200 polls, and being first in
  // the Dockerfile its failure would be the one reported.
  const dir = context({
    Dockerfile: `FROM busybox AS slow
RUN --mount=type=cache,id=${id},target=/c touch /c/slow && i=0; while [ ! -e /c/never ]; do i=$((i+1)); if [ $i -gt 200 ]; then echo "slow was not cancelled"; exit 1; fi; sleep 0.1; done
FROM busybox AS bad
RUN --mount=type=cache,id=${id},target=/c i=0; while [ ! -e /c/slow ]; do i=$((i+1)); [ $i -gt 200 ] && exit 9; sleep 0.1; done; echo failing-${id}; exit 7
FROM scratch
COPY --from=slow /etc/passwd /a
COPY --from=bad /etc/passwd /b
`,
  });
  const r = d.berth(['build', dir]);
  assert.equal(r.code, 7, r.stderr + r.stdout);
  assert.match(r.stderr, /The command '\/bin\/sh -c i=0; .*exit 7' returned a non-zero code: 7/);
  assert.doesNotMatch(r.stdout, /^slow was not cancelled$/m);
  assert.match(r.stdout, new RegExp(`^failing-${id}$`, "m"));
  assert.deepEqual(processesWith(id), [], 'no RUN process of the build is left');
  assert.deepEqual(mountsUnderRoot(), [], 'no mount of the build is left');
  const tmp = path.join(d.dataRoot, 'build', 'tmp');
  assert.deepEqual(await settledEntries(tmp), [], 'the build scratch space is removed');
  assert.doesNotMatch(ok(d.berth(['ps', '-a', '-q']), 'ps'), /\S/, 'no container');
});

async function fileSha(ref: string, file: string): Promise<string | undefined> {
  const tar = path.join(d.root, `save${n++}.tar`);
  ok(d.berth(['save', '-o', tar, ref]), 'save');
  const img = await savedImage(readFileSync(tar));
  return (await mergedTree(img.layers)).get(file)?.sha;
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

test('RUN --mount=type=bind: the source content is in the cache key (context and stage), its mtime is not', { skip }, async () => {
  const dir = context({
    Dockerfile: `FROM busybox AS src
COPY y /y
FROM busybox
RUN --mount=type=bind,source=x,target=/x cat /x > /out
RUN --mount=type=bind,from=src,source=/y,target=/y cat /y > /out2
`,
    x: 'one\n',
    y: 'why\n',
  });
  ok(d.berth(['build', '-t', 'bind:1', dir]), 'first');
  assert.equal(await fileSha('bind:1', 'out'), sha('one\n'));
  const id1 = inspect('bind:1').Id;
  utimesSync(path.join(dir, 'x'), new Date(2001, 1, 1), new Date(2001, 1, 1));
  const touched = ok(d.berth(['build', '-t', 'bind:2', dir]), 'touched');
  assert.equal(touched.match(/---> Using cache/g)?.length, 3, touched);
  assert.equal(inspect('bind:2').Id, id1);
  writeFileSync(path.join(dir, 'x'), 'onf\n');
  const changed = ok(d.berth(['build', '-t', 'bind:3', dir]), 'x changed');
  assert.equal(changed.match(/---> Using cache/g)?.length, 1, 'only COPY y is cached: ' + changed);
  assert.equal(await fileSha('bind:3', 'out'), sha('onf\n'));
  writeFileSync(path.join(dir, 'y'), 'whz\n');
  const fromStage = ok(d.berth(['build', '-t', 'bind:4', dir]), 'y changed');
  assert.match(fromStage, /Step 4\/5 : RUN --mount=type=bind,source=x.*\n ---> Using cache\n/);
  assert.doesNotMatch(fromStage, /Step 5\/5 : RUN --mount=type=bind,from=src.*\n ---> Using cache\n/);
  assert.equal(await fileSha('bind:4', 'out2'), sha('whz\n'));
});

function usingCache(out: string): number {
  return out.match(/---> Using cache\n/g)?.length ?? 0;
}

/** Build `tag` from `dir`, then leave nothing of the build but the images, loaded from an archive (a pull, simulated). */
function builtThenLoaded(tag: string, dir: string): string {
  ok(d.berth(['build', '-t', tag, dir]), 'build ' + tag);
  const id = inspect(tag).Id;
  const tar = path.join(d.root, `${tag.replace(':', '-')}.tar`);
  ok(d.berth(['save', '-o', tar, tag, 'busybox:latest']), 'save');
  const all = ok(d.berth(['images', '-a', '-q', '--no-trunc']), 'images').split('\n').filter(Boolean);
  ok(d.berth(['rmi', '-f', ...new Set(all)]), 'rmi all');
  assert.equal(ok(d.berth(['images', '-a', '-q']), 'images').trim(), '');
  assert.match(ok(d.berth(['builder', 'prune', '-a', '-f']), 'prune'), /^Total reclaimed space: /);
  ok(d.berth(['load', '-i', tar]), 'load');
  return id;
}

const CACHE_FROM_CONTEXT = {
  Dockerfile: 'FROM busybox\nENV A=1\nCOPY a /a\nRUN cat /a > /b\nCOPY c /c\nCMD ["sh"]\n',
  a: 'aaaa\n',
  c: 'cccc\n',
};

test('--cache-from: a loaded image (no build cache) gives every step, the same image ID; a changed file rebuilds from its COPY on', { skip }, async () => {
  const dir = context(CACHE_FROM_CONTEXT);
  const id1 = builtThenLoaded('cf:1', dir);

  const plain = ok(d.berth(['build', '-t', 'cf:plain', dir]), 'build without --cache-from');
  assert.equal(usingCache(plain), 0, plain);
  assert.notEqual(inspect('cf:plain').Id, id1, 'rebuilt steps have new timestamps');

  const missing = ok(d.berth(['build', '--cache-from', 'no-such-image:1', '-t', 'cf:none', dir]), 'a --cache-from that does not exist is skipped');
  assert.equal(usingCache(missing), 0, 'with --cache-from only the named images are cache, as in docker: ' + missing);

  const cached = ok(d.berth(['build', '--cache-from', 'no-such-image:1', '--cache-from', 'cf:1', '-t', 'cf:2', dir]), 'build --cache-from');
  assert.equal(usingCache(cached), 5, cached);
  assert.equal(inspect('cf:2').Id, id1);

  writeFileSync(path.join(dir, 'a'), 'aaab\n');
  const changed = ok(d.berth(['build', '--cache-from', 'cf:1', '-t', 'cf:3', dir]), 'changed a');
  assert.match(changed, /Step 2\/6 : ENV A=1\n ---> Using cache\n/);
  assert.equal(usingCache(changed), 1, 'COPY a and every step after it run again: ' + changed);
  assert.equal(await fileSha('cf:3', 'b'), sha('aaab\n'));
});

test('--cache-from through the official docker CLI\'s legacy builder: berthd reads its cachefrom as dockerd does', { skip: skip || (!which('docker') && 'the docker CLI is not installed') }, () => {
  const dir = context(CACHE_FROM_CONTEXT);
  const id1 = builtThenLoaded('cfd:1', dir);
  const prev = process.env['DOCKER_BUILDKIT'];
  process.env['DOCKER_BUILDKIT'] = '0';
  try {
    const viaDocker = ok(d.docker(['build', '--cache-from', 'cfd:1', '-t', 'cfd:docker', dir]), 'docker build --cache-from');
    assert.equal(usingCache(viaDocker), 5, viaDocker);
    assert.equal(inspect('cfd:docker').Id, id1);
  } finally {
    if (prev === undefined) delete process.env['DOCKER_BUILDKIT'];
    else process.env['DOCKER_BUILDKIT'] = prev;
  }
});

test('--cache-from never takes a RUN whose --mount differs (the history comment names them)', { skip }, () => {
  const dir = context({ Dockerfile: 'FROM busybox\nRUN --mount=type=bind,source=x,target=/x cat /x > /out\n', x: 'one\n' });
  ok(d.berth(['build', '-t', 'cfm:1', dir]), 'build');
  const again = ok(d.berth(['build', '--cache-from', 'cfm:1', '-t', 'cfm:2', dir]), 'same');
  assert.equal(usingCache(again), 1, again);
  writeFileSync(path.join(dir, 'x'), 'two\n');
  const changed = ok(d.berth(['build', '--cache-from', 'cfm:1', '-t', 'cfm:3', dir]), 'x changed');
  assert.equal(usingCache(changed), 0, changed);
});

test('--cache-from never takes a COPY whose --chmod differs', { skip }, () => {
  const dir = context({ Dockerfile: 'FROM busybox\nCOPY --chmod=0600 x /x\n', x: 'one\n' });
  ok(d.berth(['build', '-t', 'cfc:1', dir]), 'build');
  assert.equal(usingCache(ok(d.berth(['build', '--cache-from', 'cfc:1', dir]), 'same')), 1);
  writeFileSync(path.join(dir, 'Dockerfile'), 'FROM busybox\nCOPY --chmod=0644 x /x\n');
  const other = ok(d.berth(['build', '--cache-from', 'cfc:1', dir]), 'other mode');
  assert.equal(usingCache(other), 0, other);
});

test('POST /build with a malformed cachefrom is a 400 that says so', { skip }, async () => {
  for (const [value, want] of [['["a"', /invalid cachefrom parameter: not JSON/], ['{"a":1}', /invalid cachefrom parameter: must be a JSON array of image references/]] as const) {
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      // no body: the daemon answers before reading one, and a body still being written would meet a closed socket;
      // a connection of its own (agent: false): a kept-alive one the daemon's 30 s idle timeout closes just as it is
      // reused fails with EPIPE (seen on a loaded machine)
      const req = http.request({ agent: false, socketPath: d.socket, method: 'POST', path: `/v1.41/build?cachefrom=${encodeURIComponent(value)}`, headers: { 'Content-Type': 'application/x-tar', 'Content-Length': '0' } }, (r) => {
        let body = '';
        r.on('data', (c: Buffer) => (body += c.toString()));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(res.status, 400, res.body);
    assert.match((JSON.parse(res.body) as { message: string }).message, want);
  }
});

test('one RUN mounting the same locked cache twice does not wait on itself', { skip, timeout: 120_000 }, () => {
  const id = `twice-${randomBytes(4).toString('hex')}`;
  const dir = context({ Dockerfile: `FROM busybox\nRUN --mount=type=cache,id=${id},target=/a,sharing=locked --mount=type=cache,id=${id},target=/b,sharing=locked echo same > /a/f && cat /b/f\n` });
  assert.match(ok(d.berth(['build', '--no-cache', dir]), 'build'), /\nsame\n/, 'both targets are the one cache');
});
