// Interop: the real docker engine pushes to and pulls from berth's registry,
// anonymously and with bearer-token auth (docker login). Docker treats
// 127.0.0.0/8 as an insecure registry, so plain HTTP works. The docker CLI
// gets a temporary DOCKER_CONFIG so logins never touch the user's config.
// Skips, saying why, without a reachable docker daemon. Removes every image
// it created, even on failure.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import bcrypt from 'bcryptjs';
import { request, startTestRegistry, type TestRegistry } from './testing.js';

function dockerReady(): string | false {
  try {
    execFileSync('docker', ['version', '--format', '{{.Server.Version}}'], { stdio: 'ignore', timeout: 15_000 });
    return false;
  } catch {
    return 'no reachable docker daemon (docker version failed)';
  }
}

describe('interop: docker engine', { skip: dockerReady() }, () => {
  let dir: string;
  const created = new Set<string>();
  let env: NodeJS.ProcessEnv;
  const docker = (args: string[], input?: string) =>
    new Promise<string>((resolve, reject) => {
      const p = execFile('docker', args, { env, timeout: 120_000 }, (err, stdout, stderr) => (err ? reject(new Error(`docker ${args[0]}: ${stderr || err.message}`)) : resolve(stdout)));
      if (input !== undefined) p.stdin?.end(input);
    });

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'berth-registry-docker-'));
    env = { ...process.env, DOCKER_CONFIG: path.join(dir, 'docker-config') };
  });
  after(async () => {
    for (const ref of created) await docker(['rmi', '-f', ref]).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  });

  async function importImage(ref: string): Promise<void> {
    const tar = path.join(dir, 'rootfs.tar');
    execFileSync('tar', ['-C', dir, '-cf', tar, '--transform', 's,^,rootfs/,', '--exclude', 'rootfs.tar', '--exclude', 'docker-config', '--exclude', '*.tar', '.']);
    created.add(ref);
    await docker(['import', tar, ref]);
  }

  it('pushes and pulls without auth', async () => {
    const reg = await startTestRegistry();
    try {
      await writeFile(path.join(dir, 'hello.txt'), `hello ${randomBytes(8).toString('hex')}\n`);
      const ref = `127.0.0.1:${reg.port}/berth-interop/plain:t1`;
      await importImage(ref);
      await docker(['push', ref]);
      const m = await request('GET', reg.url, '/v2/berth-interop/plain/manifests/t1', { headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
      assert.equal(m.status, 200);
      assert.equal(m.headers['content-type'], 'application/vnd.docker.distribution.manifest.v2+json');
      await docker(['rmi', ref]);
      await docker(['pull', ref]);
      const inspect = await docker(['image', 'inspect', '--format', '{{index .RepoDigests 0}}', ref]);
      assert.equal(inspect.trim(), `127.0.0.1:${reg.port}/berth-interop/plain@${m.headers['docker-content-digest']}`);
    } finally {
      await reg.stop();
    }
  });

  it('logs in, pushes and pulls with bearer tokens; a reader cannot push', async () => {
    const htpasswd = path.join(dir, 'htpasswd');
    await writeFile(htpasswd, `writer:${bcrypt.hashSync('w-pass', 4)}\nreader:${bcrypt.hashSync('r-pass', 4)}\n`);
    let reg: TestRegistry | undefined;
    try {
      reg = await startTestRegistry((c) => {
        c.auth.htpasswd = { realm: 'docker-interop', path: htpasswd };
        c.auth.token = { service: 'docker-interop', issuer: 'docker-interop', expiration: 300 };
        c.auth.access = [
          { account: 'writer', name: '*', actions: ['pull', 'push'] },
          { account: 'reader', name: '*', actions: ['pull'] },
        ];
      });
      const host = `127.0.0.1:${reg.port}`;
      const ref = `${host}/berth-interop/auth:t1`;
      await importImage(ref);
      await assert.rejects(docker(['push', ref]), /denied|unauthorized|authentication required/i);
      await docker(['login', '-u', 'writer', '--password-stdin', host], 'w-pass');
      await docker(['push', ref]);
      await docker(['logout', host]);
      await docker(['rmi', ref]);
      await docker(['login', '-u', 'reader', '--password-stdin', host], 'r-pass');
      await docker(['pull', ref]);
      const other = `${host}/berth-interop/auth-other:t1`;
      created.add(other);
      await docker(['tag', ref, other]);
      await assert.rejects(docker(['push', other]), /denied|unauthorized|insufficient/i);
      await docker(['logout', host]);
    } finally {
      await reg?.stop();
    }
  });
});
