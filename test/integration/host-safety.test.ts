// Issue 11, items 1-3, as the attacks were made: a build context and an image
// whose files are symlinks to host files (absolute and ../../..), FIFOs where
// berthd reads, links where it writes or creates. Nothing of the host is read,
// written or created, the errors are exact, and berthd answers _ping throughout
// (whileResponsive). The host files live in the test's own temporary directory,
// at paths that do not exist inside the images. Root only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { TestDaemon, isRoot, ok } from '../helpers/daemon.js';
import { useContainerDaemon } from '../helpers/containers.js';
import { whileResponsive } from '../helpers/pingwatch.js';
import { writeContext } from '../helpers/buildctx.js';

const skip = isRoot() ? false : 'needs root (runc, conmon, overlay)';
let d: TestDaemon;
const NET = ['--network', 'none'];

useContainerDaemon(skip, (x) => (d = x));

/** The host side: files an attacker would like berthd to read or write. */
let host = '';
const HOST_PASSWD = 'root:x:4242:4242::/root:/bin/sh\nsomeuser:x:4242:4242::/home/someuser:/bin/sh\n';
const HOST_GROUP = 'root:x:4343:\n';
const hostFile = (n: string) => path.join(host, n);

/** (made by the first test: the daemon's root is only there once useContainerDaemon's hook has run) */
function hostSide(): void {
  if (host) return;
  host = mkdtempSync(path.join(d.root, 'host-'));
  writeFileSync(hostFile('passwd'), HOST_PASSWD);
  writeFileSync(hostFile('group'), HOST_GROUP);
  for (const f of ['hosts', 'resolv.conf', 'hostname']) writeFileSync(hostFile(f), `host ${f}, keep out\n`);
  spawnSync('mkfifo', [hostFile('fifo')]);
  mkdirSync(hostFile('dir'));
}

/** An image made from the busybox rootfs with `mutate` applied, by `berth import` of its tar. */
function craftImage(tag: string, mutate: (root: string) => void): void {
  hostSide();
  const dir = path.join(d.root, `img-${tag}`);
  const r = spawnSync('cp', ['-a', path.join(d.root, 'bbroot'), dir]);
  assert.equal(r.status, 0, String(r.stderr));
  mutate(dir);
  const tar = `${dir}.tar`;
  const t = spawnSync('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', dir, '-cf', tar, '.']);
  assert.equal(t.status, 0, String(t.stderr));
  ok(d.berth(['import', tar, tag]), `import ${tag}`);
  rmSync(dir, { recursive: true, force: true });
}

function replaceWithLink(root: string, inImage: string, target: string): void {
  rmSync(path.join(root, inImage), { force: true });
  symlinkSync(target, path.join(root, inImage));
}

function snapshotHost(): string {
  hostSide();
  const out: string[] = [];
  for (const n of readdirSync(host).sort()) {
    const st = statSync(hostFile(n));
    out.push(`${n} ${st.mode.toString(8)} ${st.isFile() ? readFileSync(hostFile(n), 'utf8') : st.isDirectory() ? readdirSync(hostFile(n)).join(',') : ''}`);
  }
  return out.join('\n');
}

/** A failure with `message` on stderr (on stdout for exec, as docker prints it there) and nothing of the host files in the output. */
function fails(r: { code: number; stderr: string; stdout: string }, code: number, message: string, where: 'stderr' | 'stdout' = 'stderr'): void {
  assert.equal(r.code, code, `expected exit ${code}, got ${r.code}: ${r.stderr}${r.stdout}`);
  assert.ok(r[where].includes(message), `expected "${message}" in ${where}: ${r[where]}`);
  for (const leak of ['4242', '4343', 'keep out']) assert.ok(!(r.stdout + r.stderr).includes(leak), `host file content leaked: ${r.stdout}${r.stderr}`);
}

test('build: a Dockerfile linked to a host file, absolute or ../../.., is not found (dockerd: Cannot locate specified Dockerfile)', { skip }, async () => {
  const before = snapshotHost();
  for (const [name, target] of [['abs', hostFile('passwd')], ['rel', '../'.repeat(30) + hostFile('passwd').slice(1)]] as const) {
    const ctx = path.join(d.root, `ctx-df-${name}`);
    mkdirSync(ctx);
    symlinkSync(target, path.join(ctx, 'Dockerfile'));
    const r = await whileResponsive(d.socket, `build with Dockerfile -> host (${name})`, () => d.berth(['build', '-q', ctx]));
    fails(r, 1, 'Cannot locate specified Dockerfile: Dockerfile');
    const f = await whileResponsive(d.socket, `build -f link -> host (${name})`, () => d.berth(['build', '-q', '-f', path.join(ctx, 'Dockerfile'), ctx]));
    fails(f, 1, 'Cannot locate specified Dockerfile: Dockerfile');
  }
  assert.equal(snapshotHost(), before);
});

test('build: a Dockerfile linked to a file inside the context still works, absolute or relative (as docker)', { skip }, () => {
  const ctx = writeContext(path.join(d.root, 'ctx-df-inside'), { 'sub/real': 'FROM busybox\nRUN echo built-from-linked-dockerfile\n' });
  symlinkSync('sub/real', path.join(ctx, 'Dockerfile'));
  symlinkSync('/sub/real', path.join(ctx, 'Dockerfile.abs'));
  assert.match(ok(d.berth(['build', '--progress', 'plain', '--no-cache', ctx]), 'build via relative link'), /built-from-linked-dockerfile/);
  // an absolute link means the context's root to the daemon (the CLI, like docker's, would look on the host): sent as a tar
  const tar = spawnSync('tar', ['-C', ctx, '-c', '.']).stdout;
  assert.match(ok(d.berth(['build', '--progress', 'plain', '--no-cache', '-f', 'Dockerfile.abs', '-'], { input: tar }), 'build via absolute link'), /built-from-linked-dockerfile/);
});

test('build: a Dockerfile that is a directory or too large is refused with a message', { skip }, () => {
  const ctx = path.join(d.root, 'ctx-df-dir');
  mkdirSync(path.join(ctx, 'Dockerfile'), { recursive: true });
  fails(d.berth(['build', '-q', ctx]), 1, 'unexpected error reading Dockerfile: Dockerfile: not a regular file (directory)');
  const big = writeContext(path.join(d.root, 'ctx-df-big'), { Dockerfile: `FROM busybox\n${'# x\n'.repeat(2_200_000)}` });
  fails(d.berth(['build', '-q', big]), 1, 'unexpected error reading Dockerfile: Dockerfile: larger than 8 MiB');
});

test('build: a .dockerignore linked to a host file is no .dockerignore, on the CLI side and in the daemon', { skip }, async () => {
  // were the host file read as .dockerignore, `keep.txt` would be excluded and the COPY would fail
  hostSide();
  writeFileSync(hostFile('ignore'), 'keep.txt\n');
  for (const [name, target] of [['abs', hostFile('ignore')], ['rel', '../'.repeat(30) + hostFile('ignore').slice(1)]] as const) {
    const ctx = writeContext(path.join(d.root, `ctx-ign-${name}`), { Dockerfile: 'FROM busybox\nCOPY keep.txt /keep.txt\nRUN cat /keep.txt\n', 'keep.txt': 'kept\n' });
    symlinkSync(target, path.join(ctx, '.dockerignore'));
    const r = await whileResponsive(d.socket, `build with .dockerignore -> host (${name})`, () => d.berth(['build', '--progress', 'plain', '--no-cache', ctx]));
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /kept/);
  }
  unlinkSync(hostFile('ignore'));
  // a FIFO as .dockerignore does not hang the CLI
  const ctx = writeContext(path.join(d.root, 'ctx-ign-fifo'), { Dockerfile: 'FROM busybox\n' });
  spawnSync('mkfifo', [path.join(ctx, '.dockerignore')]);
  fails(d.berth(['build', '-q', ctx]), 1, 'unable to prepare context: .dockerignore: not a regular file (fifo)');
});

test('run/exec: /etc/passwd and /etc/group linked to host files are not read (docker: unable to find user)', { skip }, async () => {
  craftImage('evil-links', (root) => {
    replaceWithLink(root, 'etc/passwd', hostFile('passwd'));
    replaceWithLink(root, 'etc/group', '../'.repeat(30) + hostFile('group').slice(1));
  });
  const before = snapshotHost();
  await whileResponsive(d.socket, 'run with linked passwd', () => {
    fails(d.berth(['run', '--rm', ...NET, '--user', 'root', 'evil-links', 'id']), 125, 'unable to find user root: no matching entries in passwd file');
    fails(d.berth(['run', '--rm', ...NET, '--user', 'someuser', 'evil-links', 'id']), 125, 'unable to find user someuser: no matching entries in passwd file');
    // no user: uid 0 and HOME=/ (docker gives the same with no passwd)
    assert.equal(ok(d.berth(['run', '--rm', ...NET, 'evil-links', 'sh', '-c', 'echo $(id -u):$(id -g) $HOME']), 'run'), '0:0 /\n');
    // the group file is not read either: the host's "root" group is not found
    fails(d.berth(['run', '--rm', ...NET, '--user', '0:root', 'evil-links', 'id']), 125, 'unable to find group root: no matching entries in group file');
  });
  const id = ok(d.berth(['run', '-d', ...NET, '--name', 'evil-exec', 'evil-links', 'sleep', '600']), 'run -d').trim();
  try {
    await whileResponsive(d.socket, 'exec -u with linked passwd', () => {
      fails(d.berth(['exec', '-u', 'root', id, 'id']), 126, 'unable to find user root: no matching entries in passwd file', 'stdout');
      fails(d.berth(['exec', '-u', 'someuser', id, 'id']), 126, 'unable to find user someuser: no matching entries in passwd file', 'stdout');
      assert.equal(ok(d.berth(['exec', '-u', '0', id, 'sh', '-c', 'echo $(id -u) $HOME']), 'exec -u 0'), '0 /\n');
    });
  } finally {
    d.berth(['rm', '-f', id]);
  }
  assert.equal(snapshotHost(), before);
});

test('run: a FIFO as /etc/passwd, in the image or a link to the host, does not stall berthd', { skip }, async () => {
  craftImage('evil-fifo', (root) => {
    rmSync(path.join(root, 'etc/passwd'));
    spawnSync('mkfifo', [path.join(root, 'etc/passwd')]);
  });
  craftImage('evil-hostfifo', (root) => replaceWithLink(root, 'etc/passwd', hostFile('fifo')));
  await whileResponsive(d.socket, 'run with a FIFO /etc/passwd', () => {
    // docker waits on the FIFO for ever (its run never returns); berth refuses the image's file
    fails(d.berth(['run', '--rm', ...NET, 'evil-fifo', 'id']), 125, 'unable to read /etc/passwd: not a regular file (fifo)');
    fails(d.berth(['run', '--rm', ...NET, '--user', 'root', 'evil-fifo', 'id']), 125, 'unable to read /etc/passwd: not a regular file (fifo)');
    // the host's FIFO is not even reached: inside the image that path does not exist
    fails(d.berth(['run', '--rm', ...NET, '--user', 'root', 'evil-hostfifo', 'id']), 125, 'unable to find user root: no matching entries in passwd file');
  });
  const id = ok(d.berth(['run', '-d', ...NET, 'busybox', 'sleep', '600']), 'run -d').trim();
  try {
    // a FIFO made in a running container's /etc/passwd, then exec -u
    ok(d.berth(['exec', id, 'sh', '-c', 'rm /etc/passwd && mkfifo /etc/passwd']), 'mkfifo in the container');
    await whileResponsive(d.socket, 'exec -u with a FIFO /etc/passwd', () => {
      fails(d.berth(['exec', '-u', 'root', id, 'id']), 126, 'unable to read /etc/passwd: not a regular file (fifo)', 'stdout');
    });
  } finally {
    d.berth(['rm', '-f', id]);
  }
  assert.deepEqual(d.berth(['ps', '-aq']).stdout, '', 'nothing left behind');
});

test('run: an /etc/passwd over the 4 MiB bound is refused with a message', { skip }, async () => {
  craftImage('evil-bigpasswd', (root) => writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n' + '#'.repeat(5 << 20) + '\n'));
  await whileResponsive(d.socket, 'run with a 5 MiB /etc/passwd', () => {
    fails(d.berth(['run', '--rm', ...NET, 'evil-bigpasswd', 'id']), 125, 'unable to read /etc/passwd: larger than 4 MiB');
  });
});

test('run: /etc/hosts, /etc/resolv.conf and /etc/hostname linked to host files leave them untouched', { skip }, async () => {
  craftImage('evil-etc', (root) => {
    for (const f of ['hosts', 'resolv.conf', 'hostname']) replaceWithLink(root, `etc/${f}`, hostFile(f));
  });
  const before = snapshotHost();
  const out = await whileResponsive(d.socket, 'run with linked /etc files', () =>
    ok(d.berth(['run', '--rm', '--hostname', 'evilbox', 'evil-etc', 'sh', '-c', 'cat /etc/hostname; grep -c evilbox /etc/hosts; grep -c nameserver /etc/resolv.conf']), 'run'),
  );
  // the container sees berth's files where the links point, inside its own root
  assert.equal(out, 'evilbox\n1\n' + out.split('\n')[2] + '\n');
  assert.ok(Number(out.split('\n')[2]) >= 1, out);
  assert.equal(snapshotHost(), before, 'the host files were not written');
});

test('WORKDIR linked to a host directory: nothing is created on the host, at run and in a build', { skip }, async () => {
  craftImage('evil-wd', (root) => replaceWithLink(root, 'w', hostFile('dir')));
  const before = snapshotHost();
  await whileResponsive(d.socket, 'run -w through a link to a host dir', () => {
    // as docker: the directory is made where the link points, inside the container's root
    const r = d.berth(['run', '--rm', ...NET, '-w', '/w/new', 'evil-wd', 'sh', '-c', 'pwd; ls /w']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${hostFile('dir')}/new\nnew\n`);
  });
  const ctx = writeContext(path.join(d.root, 'ctx-wd'), { Dockerfile: 'FROM evil-wd\nWORKDIR /w/built\nRUN pwd > here\nCOPY f ./\n', f: 'x\n' });
  const b = await whileResponsive(d.socket, 'build with WORKDIR through a link to a host dir', () => d.berth(['build', '-q', '-t', 'evil-wd-built', ctx]));
  assert.equal(b.code, 0, b.stderr);
  assert.equal(ok(d.berth(['run', '--rm', ...NET, 'evil-wd-built', 'sh', '-c', `cat here; ls ${hostFile('dir')}/built`]), 'run built'), `${hostFile('dir')}/built\nf\nhere\n`);
  assert.equal(snapshotHost(), before, 'nothing was made in the host directory');
  assert.deepEqual(readdirSync(hostFile('dir')), []);
});

test('build: COPY --chown and USER with /etc/passwd linked to a host file or a FIFO; COPY of a linked source', { skip }, async () => {
  craftImage('evil-links-b', (root) => replaceWithLink(root, 'etc/passwd', hostFile('passwd')));
  craftImage('evil-fifo-b', (root) => {
    rmSync(path.join(root, 'etc/passwd'));
    spawnSync('mkfifo', [path.join(root, 'etc/passwd')]);
  });
  const before = snapshotHost();
  await whileResponsive(d.socket, 'COPY --chown with hostile /etc/passwd', () => {
    const link = writeContext(path.join(d.root, 'ctx-chown-link'), { Dockerfile: 'FROM evil-links-b\nCOPY --chown=someuser f /f\n', f: 'x\n' });
    fails(d.berth(['build', '-q', link]), 1, 'unable to find user someuser: no matching entries in passwd file');
    const fifo = writeContext(path.join(d.root, 'ctx-chown-fifo'), { Dockerfile: 'FROM evil-fifo-b\nCOPY --chown=someuser f /f\n', f: 'x\n' });
    fails(d.berth(['build', '-q', fifo]), 1, 'unable to read /etc/passwd: not a regular file (fifo)');
    const user = writeContext(path.join(d.root, 'ctx-user-fifo'), { Dockerfile: 'FROM evil-fifo-b\nUSER root\nRUN id\n' });
    fails(d.berth(['build', '-q', user]), 1, 'unable to read /etc/passwd: not a regular file (fifo)');
    // COPY of a linked source: from the context and from an image, the link is followed inside its root
    const copy = writeContext(path.join(d.root, 'ctx-copy-link'), { Dockerfile: 'FROM busybox\nCOPY leak /leak\n' });
    symlinkSync(hostFile('passwd'), path.join(copy, 'leak'));
    fails(d.berth(['build', '-q', copy]), 1, 'COPY failed: file not found in build context or excluded by .dockerignore: stat leak: file does not exist');
    const from = writeContext(path.join(d.root, 'ctx-copy-from'), { Dockerfile: 'FROM busybox\nCOPY --from=evil-links-b /etc/passwd /leak\n' });
    fails(d.berth(['build', '-q', from]), 1, 'COPY failed: stat /etc/passwd: file does not exist in stage or image evil-links-b');
  });
  assert.equal(snapshotHost(), before);
});
