// `berth build` against a berthd of the test's own, on a busybox base made
// from Debian's static busybox: the config each instruction writes,
// multi-stage builds, the cache, .dockerignore, reproducible digests, RUN
// output and failures, secrets, ADD of archives and URLs, and errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, readFileSync, utimesSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { TestDaemon, isRoot, useDaemon, ok, REPO, which, settledEntries } from '../helpers/daemon.js';
import { writeContext } from '../helpers/buildctx.js';
import { makeTar } from '../helpers/tars.js';
import { berthRegistry, PASS, USER } from '../helpers/registries.js';
import { mergedTree, savedImage } from '../helpers/imagetree.js';

const skip = !isRoot() ? 'needs root (overlay, namespaces)' : !which('busybox') ? 'needs busybox-static' : false;
let d: TestDaemon;
useDaemon(skip, (x) => {
  d = x;
  const dir = path.join(d.root, 'bbroot');
  const r = spawnSync('bash', [path.join(REPO, 'scripts/busybox-rootfs.sh'), dir, path.join(d.root, 'bb.tar')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  ok(d.berth(['import', path.join(d.root, 'bb.tar'), 'busybox:latest']), 'import busybox');
});

let n = 0;
const PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
function context(files: Record<string, string | Buffer>): string {
  return writeContext(path.join(d.root, `ctx${n++}`), files);
}

function inspect(ref: string): { Id: string; Config: Record<string, unknown>; Author: string; RootFS: { Layers: string[] } } {
  return (JSON.parse(ok(d.berth(['image', 'inspect', ref]), 'inspect')) as never[])[0]!;
}

async function tree(ref: string) {
  const file = path.join(d.root, `save${n++}.tar`);
  ok(d.berth(['save', '-o', file, ref]), 'save');
  const img = await savedImage(readFileSync(file));
  return { ...img, tree: await mergedTree(img.layers) };
}

test('every config instruction writes what docker writes', { skip }, async () => {
  const dir = context({
    Dockerfile: `FROM busybox
MAINTAINER someone@example.com
ENV A=1 B="two words"
ENV C=\${A}-x
LABEL version=1.0 "with space"="v v"
WORKDIR /app
WORKDIR sub
USER nobody
EXPOSE 80 53/udp 8000-8001
VOLUME ["/data"]
STOPSIGNAL SIGINT
HEALTHCHECK --interval=5s --retries=3 CMD wget -q localhost || exit 1
SHELL ["/bin/sh", "-ec"]
ENTRYPOINT ["/bin/echo"]
CMD hello
ONBUILD RUN echo triggered
COPY --chown=nobody:nogroup --chmod=0640 a.txt ./
`,
    'a.txt': 'A\n',
  });
  ok(d.berth(['build', '-t', 'cfg:1', dir]), 'build');
  const c = inspect('cfg:1');
  const cfg = c.Config as Record<string, unknown>;
  assert.equal(c.Author, 'someone@example.com');
  assert.deepEqual(cfg['Env'], [PATH, 'A=1', 'B=two words', 'C=1-x'], 'the default PATH is added, as docker does');
  assert.deepEqual(cfg['Labels'], { version: '1.0', 'with space': 'v v' });
  assert.equal(cfg['WorkingDir'], '/app/sub');
  assert.equal(cfg['User'], 'nobody');
  assert.deepEqual(cfg['ExposedPorts'], { '80/tcp': {}, '53/udp': {}, '8000/tcp': {}, '8001/tcp': {} });
  assert.deepEqual(cfg['Volumes'], { '/data': {} });
  assert.equal(cfg['StopSignal'], 'SIGINT');
  assert.deepEqual(cfg['Healthcheck'], { Test: ['CMD-SHELL', 'wget -q localhost || exit 1'], Interval: 5e9, Retries: 3 });
  assert.deepEqual(cfg['Shell'], ['/bin/sh', '-ec']);
  assert.deepEqual(cfg['Entrypoint'], ['/bin/echo']);
  assert.deepEqual(cfg['Cmd'], ['/bin/sh', '-ec', 'hello']);
  assert.deepEqual(cfg['OnBuild'], ['RUN echo triggered']);
  const t = await tree('cfg:1');
  assert.deepEqual({ ...t.tree.get('app/sub/a.txt'), sha: undefined }, { type: 'file', mode: 0o640, uid: 65534, gid: 65534, size: 2, sha: undefined });
  const hist = t.config['history'] as { created_by: string; empty_layer?: boolean }[];
  assert.ok(hist.some((h) => h.created_by === '/bin/sh -c #(nop)  ENV A=1 B=two words' && h.empty_layer));
  assert.ok(hist.some((h) => h.created_by === '/bin/sh -ec #(nop)  CMD ["/bin/sh" "-ec" "hello"]'));
  assert.ok(hist.some((h) => /^\/bin\/sh -ec #\(nop\) COPY --chown=nobody:nogroupfile:[a-f0-9]{64} in \.\/ $/.test(h.created_by)));

  // the ONBUILD trigger runs in a child image and is not inherited
  const child = context({ Dockerfile: 'FROM cfg:1\n' });
  const out = ok(d.berth(['build', '-t', 'child:1', child]), 'child build');
  assert.match(out, /# Executing 1 build trigger\n/);
  assert.match(out, /\ntriggered\n/);
  assert.equal(inspect('child:1').Config['OnBuild'], null);
});

test('multi-stage: --target, COPY --from a stage and an image, unused stages are skipped', { skip }, async () => {
  const dir = context({
    Dockerfile: `ARG GREETING=hi
FROM busybox AS build
ARG GREETING
RUN mkdir /out && echo "$GREETING from build" > /out/msg && ln -s msg /out/link
FROM busybox AS broken
RUN exit 7
FROM scratch AS final
COPY --from=build /out /out
COPY --from=busybox:latest /bin/busybox /bin/busybox
FROM final AS test
RUN ["/bin/busybox", "cat", "/out/msg"]
`,
  });
  const out = ok(d.berth(['build', '--build-arg', 'GREETING=hello', '--target', 'final', '-t', 'ms:final', dir]), 'build final');
  assert.doesNotMatch(out, /exit 7/, 'the broken stage is not needed and not built');
  assert.match(out, /Step \d+\/\d+ : FROM scratch AS final\n ---> \n/, 'FROM scratch shows an empty id, as docker');
  const t = await tree('ms:final');
  assert.deepEqual([...t.tree.keys()].sort(), ['bin', 'bin/busybox', 'out', 'out/link', 'out/msg']);
  assert.equal(t.tree.get('out/link')!.link, 'msg');
  const run = ok(d.berth(['build', '-t', 'ms:test', dir]), 'build test (default target is the last stage)');
  assert.match(run, /hi from build\n/);
  const bad = d.berth(['build', '--target', 'nope', dir]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /target stage "nope" could not be found/);
});

test('cache: content, not mtime; one changed byte rebuilds from that step on', { skip }, () => {
  const dir = context({ Dockerfile: 'FROM busybox\nCOPY a.txt /a.txt\nRUN cat /a.txt\nCOPY b.txt /b.txt\n', 'a.txt': 'aaaa\n', 'b.txt': 'b\n' });
  const first = ok(d.berth(['build', '-t', 'cache:1', dir]), 'first');
  assert.doesNotMatch(first, /Using cache/);
  const id1 = inspect('cache:1').Id;
  utimesSync(path.join(dir, 'a.txt'), new Date(2001, 1, 1), new Date(2001, 1, 1));
  const second = ok(d.berth(['build', '-t', 'cache:2', dir]), 'touched');
  assert.equal(second.match(/---> Using cache/g)?.length, 3, second);
  assert.equal(inspect('cache:2').Id, id1, 'an all-cached build gives the same image');
  writeFileSync(path.join(dir, 'a.txt'), 'aaab\n');
  const third = ok(d.berth(['build', '-t', 'cache:3', dir]), 'changed');
  assert.equal(third.match(/---> Using cache/g), null, third);
  assert.match(third, /\naaab\n/);
  const nocache = ok(d.berth(['build', '--no-cache', '-t', 'cache:4', dir]), 'no-cache');
  assert.doesNotMatch(nocache, /Using cache/);
});

test('.dockerignore with exceptions and **', { skip }, async () => {
  const dir = context({
    Dockerfile: 'FROM scratch\nCOPY . /ctx/\n',
    '.dockerignore': '*.log\n!keep.log\nsecret/\n**/*.tmp\n',
    'a.txt': 'a',
    'x.log': 'x',
    'keep.log': 'k',
    'secret/key': 'k',
    'deep/er/f.tmp': 't',
    'deep/er/g.txt': 'g',
  });
  ok(d.berth(['build', '-t', 'ign:1', dir]), 'build');
  const files = [...(await tree('ign:1')).tree.entries()].filter(([, e]) => e.type === 'file').map(([k]) => k).sort();
  assert.deepEqual(files, ['ctx/.dockerignore', 'ctx/Dockerfile', 'ctx/a.txt', 'ctx/deep/er/g.txt', 'ctx/keep.log']);
});

test('SOURCE_DATE_EPOCH: two --no-cache builds give the same image digest', { skip }, () => {
  const dir = context({ Dockerfile: 'FROM busybox\nCOPY f /f\nRUN echo made > /made && mkdir -p /d/e && rm /bin/vi\nCMD ["sh"]\n', f: 'content\n' });
  const env = { SOURCE_DATE_EPOCH: '1700000000' };
  const a = ok(d.berth(['build', '--no-cache', '-q', dir], { env }), 'first').trim();
  utimesSync(path.join(dir, 'f'), new Date(), new Date());
  const b = ok(d.berth(['build', '--no-cache', '-q', dir], { env }), 'second').trim();
  assert.match(a, /^sha256:[a-f0-9]{64}$/);
  assert.equal(a, b);
  const c = inspect(a);
  assert.equal((c as unknown as { Created: string }).Created, '2023-11-14T22:13:20Z');
});

test('RUN: output, a failing command exits with its code and the legacy message', { skip }, () => {
  const dir = context({ Dockerfile: 'FROM busybox\nRUN echo to-stdout && echo to-stderr >&2\nRUN exit 3\n' });
  const r = d.berth(['build', dir]);
  assert.equal(r.code, 3, r.stderr);
  // both streams are shown; their order across the two is not kept (runc copies a foreground
  // container's stdout and stderr in separate goroutines; docker's separate FIFOs race too)
  assert.match(r.stdout, /to-stdout\n/);
  assert.match(r.stdout, /to-stderr\n/);
  assert.match(r.stderr, /The command '\/bin\/sh -c exit 3' returned a non-zero code: 3/);
  const net = context({ Dockerfile: 'FROM busybox\nRUN --network=none test "$(grep -c : /proc/net/dev)" = 1\nRUN test "$(id -u)" = 0 && test -d /proc/self && test -c /dev/null\nUSER nobody\nRUN test "$(id -u)" = 65534 && ! touch /bin/x\n' });
  ok(d.berth(['build', net]), 'network none, proc/dev, USER');
});

test('secrets are mounted for the RUN only and never land in a layer or the history', { skip }, async () => {
  const secret = 'S3CR3T-' + Math.random().toString(36).slice(2);
  const sfile = path.join(d.root, 'tok');
  writeFileSync(sfile, secret);
  const dir = context({ Dockerfile: 'FROM busybox\nRUN --mount=type=secret,id=tok grep -q "^S3CR3T-" /run/secrets/tok && test "$(stat -c %a /run/secrets/tok)" = 400 && echo seen > /seen\nRUN test ! -e /run/secrets/tok\n' });
  ok(d.berth(['build', '--secret', `id=tok,src=${sfile}`, '-t', 'sec:1', dir]), 'build with secret');
  const t = await tree('sec:1');
  assert.ok(t.tree.has('seen'));
  assert.ok(!t.tree.has('run'), '/run/secrets is not left in the image');
  for (const l of t.layers) assert.ok(!l.includes(Buffer.from(secret)), 'secret content in a layer');
  assert.ok(!JSON.stringify(t.config).includes(secret), 'secret in the config or history');
});

test('ADD: a local tar is unpacked, a loopback URL is downloaded; COPY heredocs', { skip }, async () => {
  // the server runs in its own process: the test process blocks while the CLI runs
  const www = path.join(d.root, 'www');
  mkdirSync(www, { recursive: true });
  writeFileSync(path.join(www, 'file.txt'), 'from http\n');
  const port = 20000 + Math.floor(Math.random() * 20000);
  const server = spawn('busybox', ['httpd', '-f', '-p', `127.0.0.1:${port}`, '-h', www], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 300));
  try {
    const dir = context({ Dockerfile: `FROM scratch\nADD arch.tar /x/\nADD http://127.0.0.1:${port}/file.txt /dl/\nCOPY <<EOF /here.txt\nhello \${NAME:-there}\nEOF\n` });
    writeFileSync(path.join(dir, 'arch.tar'), await makeTar([{ name: 'in/', type: 'directory' }, { name: 'in/file', data: 'unpacked' }]));
    ok(d.berth(['build', '-t', 'add:1', dir]), 'build');
    const sum = context({ Dockerfile: `FROM scratch\nADD --checksum=sha256:${'0'.repeat(64)} http://127.0.0.1:${port}/file.txt /f\n` });
    assert.match(d.berth(['build', sum]).stderr, /digest mismatch sha256:[a-f0-9]{64}: sha256:0{64}/);
    const t = (await tree('add:1')).tree;
    assert.equal(t.get('x/in/file')?.size, 8);
    assert.equal(t.get('dl/file.txt')?.mode, 0o600);
    assert.equal(t.get('here.txt')?.size, 'hello there\n'.length);
  } finally {
    server.kill();
  }
});

test('errors name the file and line; - reads a Dockerfile from stdin', { skip }, () => {
  const dir = context({ Dockerfile: 'FROM busybox\nRUN true\nRUNN typo\n' });
  const r = d.berth(['build', dir]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Dockerfile:3: unknown instruction: RUNN/);
  // failures while building name the line too, then docker's own words
  const missing = d.berth(['build', context({ Dockerfile: 'FROM busybox\nCOPY nope /x\n' })]);
  assert.match(missing.stderr, /^Dockerfile:2: COPY failed: file not found in build context or excluded by \.dockerignore: stat nope: file does not exist/);
  const outside = d.berth(['build', context({ Dockerfile: 'FROM busybox\nCOPY ../x /x\n' })]);
  assert.match(outside.stderr, /^Dockerfile:2: Forbidden path outside the build context: \.\.\/x/);
  const runCtx = context({ 'build.Dockerfile': 'FROM busybox\n\nRUN true\nRUN exit 4\n' });
  const run = d.berth(['build', '-f', path.join(runCtx, 'build.Dockerfile'), runCtx]);
  assert.equal(run.code, 4);
  assert.match(run.stderr, /^build\.Dockerfile:4: The command '\/bin\/sh -c exit 4' returned a non-zero code: 4/);
  // a Dockerfile from outside the context is named as the user gave it, not by its name in the tar
  const elsewhere = path.join(d.root, `outside${n++}.Dockerfile`);
  writeFileSync(elsewhere, 'FROM busybox\nRUNN x\n');
  assert.match(d.berth(['build', '-f', elsewhere, context({ x: '' })]).stderr, new RegExp(`^Error response from daemon: ${elsewhere.replace(/[.]/g, '\\.')}:2: unknown instruction: RUNN`));
  writeFileSync(elsewhere, 'FROM busybox\nRUN exit 3\n');
  assert.match(d.berth(['build', '-f', elsewhere, context({ x: '' })]).stderr, new RegExp(`^${elsewhere.replace(/[.]/g, '\\.')}:2: The command`));
  const base = d.berth(['build', context({ Dockerfile: '# a comment\nFROM 127.0.0.1:1/no-such-base\n' })]);
  assert.equal(base.code, 1);
  assert.match(base.stderr, /^Dockerfile:2: .*127\.0\.0\.1:1.*connection refused/, 'a missing base image is pulled (here: no registry answers)');
  const stdin = ok(d.berth(['build', '-t', 'stdin:1', '-'], { input: Buffer.from('FROM busybox\nENV FROM_STDIN=1\n') }), 'stdin');
  assert.match(stdin, /Successfully tagged stdin:1/);
  assert.deepEqual(inspect('stdin:1').Config['Env'], [PATH, 'FROM_STDIN=1']);
});

test('an error answered before the context is all sent reaches the client, not a reset connection', { skip }, async () => {
  // 32 MiB that neither the client nor the kernel buffers can swallow before berthd answers
  const big = randomBytes(32 << 20);
  const dir = context({ Dockerfile: 'FROM busybox\n', 'big.bin': big });
  for (let i = 0; i < 3; i++) {
    const r = d.berth(['build', '--network', 'container:x', dir]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Error response from daemon: network mode "container:x" is not supported by this builder/, `try ${i}`);
  }
  // a hostile context (a write through a symlink): berthd stops unpacking at the first bad entry and reads the rest away
  const hostile = await makeTar([{ name: 'Dockerfile', data: 'FROM busybox\n' }, { name: 'etc', type: 'symlink', linkname: '/etc' }, { name: 'etc/escape.txt', data: 'evil' }, { name: 'pad.bin', data: big }]);
  const r = d.berth(['build', '-'], { input: hostile });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /context entry "etc\/escape\.txt" has a parent that is not a directory/);
  // the daemon is well and nothing stayed behind in its build scratch space
  ok(d.berth(['build', context({ Dockerfile: 'FROM busybox\nENV AFTER=1\n' })]), 'a build after');
  assert.deepEqual(await settledEntries(path.join(d.dataRoot, 'build', 'tmp')), []);
});

test('examples/httpd builds', { skip }, async () => {
  ok(d.berth(['build', '-t', 'example-httpd', path.join(REPO, 'examples/httpd')]), 'build');
  const t = await tree('example-httpd');
  assert.equal(t.tree.get('www/index.html')?.type, 'file');
  assert.deepEqual((t.config['config'] as { Cmd: string[] }).Cmd, ['httpd', '-f', '-p', '80', '-h', '/www']);
});

test('RUN --mount: bind from the context and from a stage, cache and tmpfs; nothing of them in the layer', { skip }, async () => {
  const dir = context({
    Dockerfile: `FROM busybox AS build
RUN echo built > /artifact
FROM busybox
RUN --mount=type=bind,target=/src --mount=type=bind,from=build,source=/,target=/b cat /src/in.txt /b/artifact && ! touch /src/x
RUN --mount=type=cache,target=/cache echo one >> /cache/log
RUN --mount=type=cache,target=/cache --mount=type=tmpfs,target=/scratch cat /cache/log && echo t > /scratch/t && echo done > /done
`,
    'in.txt': 'from context\n',
  });
  const out = ok(d.berth(['build', '-t', 'mnt:1', dir]), 'build');
  assert.match(out, /from context\nbuilt\n/);
  assert.match(out, /\none\n/);
  const t = (await tree('mnt:1')).tree;
  assert.ok(t.has('done'));
  for (const p of ['src', 'b', 'cache', 'scratch']) assert.ok(!t.has(p), `${p} left in the image`);
});

test('--progress=plain: BuildKit-style steps with durations, output with its time, CACHED; a bad type is refused', { skip }, () => {
  const dir = context({ Dockerfile: 'FROM busybox\nRUN echo plain-out\nENV A=1\n' });
  const cold = ok(d.berth(['build', '--no-cache', '--progress=plain', '-t', 'plain:1', dir]), 'plain cold');
  assert.match(cold, /^#1 \[1\/3\] FROM busybox\n#1 DONE \d+\.\ds\n\n#2 \[2\/3\] RUN echo plain-out\n#2 \d+\.\d{3} plain-out\n#2 DONE \d+\.\ds\n\n#3 \[3\/3\] ENV A=1\n#3 DONE \d+\.\ds\n\n#4 exporting to image\n#4 writing image sha256:[0-9a-f]{64} done\n#4 naming to plain:1 done\n#4 DONE 0\.0s\n$/);
  assert.doesNotMatch(cold, /Running in|Removing intermediate|--->/);
  const warm = ok(d.berth(['build', '--progress=plain', '-t', 'plain:1', dir]), 'plain warm');
  assert.match(warm, /#2 \[2\/3\] RUN echo plain-out\n#2 CACHED\n/);
  assert.match(warm, /#3 \[3\/3\] ENV A=1\n#3 CACHED\n/);
  const bad = d.berth(['build', '--progress=fancy', dir]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /invalid --progress "fancy": use auto, plain, tty or quiet/);
});

test('FROM an image that is not here pulls it from its registry (with the client\'s credentials), as docker; --pull pulls a newer one', { skip }, async () => {
  const reg = await berthRegistry(true);
  const env = { ...process.env, DOCKER_CONFIG: path.join(d.root, `dockercfg${n++}`) };
  try {
    const name = `${reg.host}/base/bb:1`;
    ok(d.berth(['tag', 'busybox:latest', name]), 'tag');
    ok(d.berth(['login', '-u', USER, '--password-stdin', reg.host], { input: Buffer.from(PASS), env }), 'login');
    ok(d.berth(['push', name], { env }), 'push');
    ok(d.berth(['rmi', name]), 'rmi the local copy');
    const dir = context({ Dockerfile: `FROM ${name}\nRUN echo pulled-base > /m\n` });
    const out = ok(d.berth(['build', '-t', 'frompull:1', dir], { env }), 'build pulls its base');
    assert.match(out, /Status: Downloaded newer image for /);
    assert.match(ok(d.berth(['images', '--format', '{{.Repository}}:{{.Tag}}']), 'images'), new RegExp(`${name.replace(/[.:/]/g, '\\$&')}`));
    // --pull takes a newer base from the registry although one is here; without it the local one is used
    ok(d.berth(['build', '-t', name, context({ Dockerfile: 'FROM busybox\nRUN echo v2 > /base-version\n' })]), 'a newer base');
    ok(d.berth(['push', name], { env }), 'push the newer base');
    ok(d.berth(['tag', 'busybox:latest', name]), 'the local name back on the old base');
    const check = context({ Dockerfile: `FROM ${name}\nRUN cat /base-version 2>/dev/null || echo no-version-file\n` });
    assert.match(ok(d.berth(['build', '--no-cache', check], { env }), 'build, local base'), /no-version-file/);
    assert.match(ok(d.berth(['build', '--no-cache', '--pull', check], { env }), 'build --pull'), /\nv2\n/);
    // without credentials the registry refuses, and the build says so at the FROM line
    ok(d.berth(['rmi', name]), 'rmi again');
    const anon = d.berth(['build', '--no-cache', dir], { env: { ...process.env, DOCKER_CONFIG: path.join(d.root, `empty${n++}`) } });
    assert.notEqual(anon.code, 0);
    assert.match(anon.stderr, /^Dockerfile:1: /);
  } finally {
    await reg.stop();
  }
});
