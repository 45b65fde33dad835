// Issue 6 as a user types it: berth import → login → push → pull into a second
// berthd → inspect equality, against berth's registry and the CNCF
// distribution registry, each with and without auth; an image pulled from one
// registry pushed to the other; the official docker CLI against berthd.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { TestDaemon, isRoot, which, REPO } from '../helpers/daemon.js';
import { inspect, ok, rootfsTgz } from '../helpers/images.js';
import { PASS, USER, berthRegistry, distributionRegistry, hasDistribution, type Reg } from '../helpers/registries.js';

const skip = isRoot() ? false : 'needs root (overlay snapshots)';
let d1: TestDaemon;
let d2: TestDaemon;
let dockerConfig: string;
const env = () => ({ DOCKER_CONFIG: dockerConfig });

function same(a: Record<string, unknown>, b: Record<string, unknown>): void {
  for (const k of ['Id', 'RootFS', 'Config', 'Architecture', 'Os', 'Created', 'Comment', 'Size']) assert.deepEqual(b[k], a[k], `inspect field ${k}`);
}

before(async () => {
  if (skip) return;
  dockerConfig = mkdtempSync(path.join(tmpdir(), 'berth-docker-config-'));
  [d1, d2] = await Promise.all([new TestDaemon().start(), new TestDaemon().start()]);
});
after(async () => {
  await d1?.cleanup();
  await d2?.cleanup();
  if (dockerConfig) rmSync(dockerConfig, { recursive: true, force: true });
});

const kinds: [string, (auth: boolean) => Promise<Reg>, string | false][] = [
  ['berth', berthRegistry, skip],
  ['distribution', distributionRegistry, skip || (hasDistribution() ? false : 'docker-registry is not installed')],
];

for (const [kind, start, skipKind] of kinds) {
  for (const auth of [false, true]) {
    describe(`${kind} registry${auth ? ' with auth' : ''}`, { skip: skipKind }, () => {
      let reg: Reg;
      before(async () => {
        reg = await start(auth);
      });
      after(async () => {
        await reg?.stop();
      });

      it('push of an imported image, pull into a second daemon, equal inspect', async () => {
        const name = `${reg.host}/team/app:1`;
        const file = path.join(d1.root, `${kind}-${auth}.tgz`);
        writeFileSync(file, await rootfsTgz(`${kind}-${auth}`));
        ok(d1.berth(['import', file, name, '--change', 'CMD ["sh"]']), 'import');
        if (auth) {
          const denied = d1.berth(['push', name], { env: env() });
          assert.notEqual(denied.code, 0, 'anonymous push to an auth registry must fail');
          assert.match(denied.stderr, /unauthorized|denied|authentication required/i);
          const bad = d1.berth(['login', '-u', USER, '--password-stdin', reg.host], { input: Buffer.from('wrong\n'), env: env() });
          assert.notEqual(bad.code, 0);
          const login = ok(d1.berth(['login', '-u', USER, '--password-stdin', reg.host], { input: Buffer.from(PASS + '\n'), env: env() }), 'login');
          assert.match(login, /Login Succeeded/);
        }
        const push = ok(d1.berth(['push', name], { env: env() }), 'push');
        assert.match(push, new RegExp(`The push refers to repository \\[${reg.host}/team/app\\]`));
        assert.match(push, /: Pushed/);
        assert.match(push, /1: digest: sha256:[a-f0-9]{64} size: \d+/);
        const again = ok(d1.berth(['push', name], { env: env() }), 'push again');
        assert.match(again, /Layer already exists/);

        const pull = ok(d2.berth(['pull', name], { env: env() }), 'pull');
        assert.match(pull, /1: Pulling from team\/app/);
        assert.match(pull, /Pull complete/);
        assert.match(pull, /Digest: sha256:[a-f0-9]{64}/);
        assert.match(pull, new RegExp(`Status: Downloaded newer image for ${name}`));
        const a = inspect(d1, name);
        const b = inspect(d2, name);
        same(a, b);
        const digest = /digest: (sha256:[a-f0-9]{64})/.exec(push)![1]!;
        assert.deepEqual(b['RepoDigests'], [`${reg.host}/team/app@${digest}`]);
        const noop = ok(d2.berth(['pull', name], { env: env() }), 'pull again');
        assert.match(noop, /Status: Image is up to date/);
        // by digest
        ok(d2.berth(['rmi', name]), 'rmi');
        const byDigest = ok(d2.berth(['pull', `${reg.host}/team/app@${digest}`], { env: env() }), 'pull by digest');
        assert.match(byDigest, /Already exists|Pull complete/);
        assert.equal(inspect(d2, `${reg.host}/team/app@${digest}`)['Id'], a['Id']);
        const missing = d2.berth(['pull', `${reg.host}/team/app:nope`], { env: env() });
        assert.notEqual(missing.code, 0);
        assert.match(missing.stderr, new RegExp(`manifest for ${reg.host}/team/app:nope not found: manifest unknown`));
        if (auth) {
          const anon = d2.berth(['pull', name], { env: { DOCKER_CONFIG: path.join(dockerConfig, 'none') } });
          assert.notEqual(anon.code, 0);
          assert.match(anon.stderr, /unauthorized|denied|authentication required/i);
          ok(d1.berth(['logout', reg.host], { env: env() }), 'logout');
          assert.match(d1.berth(['logout', reg.host], { env: env() }).stdout, /Not logged in/);
          ok(d1.berth(['login', '-u', USER, '--password-stdin', reg.host], { input: Buffer.from(PASS), env: env() }), 'login again');
        }
      });
    });
  }
}

describe('across registries', { skip: skip || (hasDistribution() ? false : 'docker-registry is not installed') }, () => {
  it('an image pulled from berth registry is pushed to distribution and pulled back', async () => {
    const a = await berthRegistry(false);
    const b = await distributionRegistry(false);
    try {
      const file = path.join(d1.root, 'across.tgz');
      writeFileSync(file, await rootfsTgz('across'));
      ok(d1.berth(['import', file, `${a.host}/x/y:1`]), 'import');
      ok(d1.berth(['push', `${a.host}/x/y:1`]), 'push to berth');
      ok(d2.berth(['pull', `${a.host}/x/y:1`]), 'pull from berth');
      ok(d2.berth(['tag', `${a.host}/x/y:1`, `${b.host}/x/y:2`]), 'tag');
      const push = ok(d2.berth(['push', `${b.host}/x/y:2`]), 'push to distribution');
      assert.match(push, /Pushed/);
      ok(d1.berth(['pull', `${b.host}/x/y:2`]), 'pull from distribution');
      same(inspect(d1, `${a.host}/x/y:1`), inspect(d1, `${b.host}/x/y:2`));
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});

describe('the docker CLI against berthd', { skip: skip || (which('docker') ? false : 'the docker CLI is not installed') }, () => {
  it('docker push and docker pull through berthd', async () => {
    const reg = await berthRegistry(false);
    try {
      const name = `${reg.host}/cli/app:1`;
      const file = path.join(d1.root, 'cli.tgz');
      writeFileSync(file, await rootfsTgz('cli'));
      ok(d1.berth(['import', file, name]), 'import');
      const push = ok(d1.docker(['push', name]), 'docker push');
      assert.match(push, /Pushed/);
      assert.match(push, /1: digest: sha256:[a-f0-9]{64} size: \d+/);
      const pull = ok(d2.docker(['pull', name]), 'docker pull');
      assert.match(pull, /1: Pulling from cli\/app/);
      assert.match(pull, /Status: Downloaded newer image for/);
      assert.equal(inspect(d2, name)['Id'], inspect(d1, name)['Id']);
    } finally {
      await reg.stop();
    }
  });

  it('docker login through berthd (POST /auth), then push and pull with the stored credentials', async () => {
    const reg = await berthRegistry(true);
    const config = mkdtempSync(path.join(tmpdir(), 'berth-docker-cli-config-'));
    const docker = (d: TestDaemon, args: string[], input?: string) => {
      const r = spawnSync('docker', args, { input, encoding: 'utf8', env: { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: config } });
      return { stdout: r.stdout, stderr: r.stderr, code: r.status ?? 128 };
    };
    try {
      const name = `${reg.host}/cli/auth:1`;
      const file = path.join(d1.root, 'cli-auth.tgz');
      writeFileSync(file, await rootfsTgz('cli-auth'));
      ok(d1.berth(['import', file, name]), 'import');
      const bad = docker(d1, ['login', '-u', USER, '--password-stdin', reg.host], 'nope');
      assert.notEqual(bad.code, 0);
      assert.match(ok(docker(d1, ['login', '-u', USER, '--password-stdin', reg.host], PASS), 'docker login'), /Login Succeeded/);
      assert.match(ok(docker(d1, ['push', name]), 'docker push'), /Pushed/);
      assert.match(ok(docker(d2, ['pull', name]), 'docker pull'), /Downloaded newer image/);
    } finally {
      await reg.stop();
      rmSync(config, { recursive: true, force: true });
    }
  });
});

describe('berth run pulls a missing image', { skip: skip || (which('busybox') ? false : 'busybox-static is not installed') }, () => {
  it('run of an image only the registry has: pulled, then run', async () => {
    const reg = await berthRegistry(false);
    try {
      const name = `${reg.host}/team/app:1`;
      const dir = mkdtempSync(path.join(tmpdir(), 'berth-run-pull-'));
      try {
        const r = spawnSync('bash', [path.join(REPO, 'scripts/busybox-rootfs.sh'), path.join(dir, 'rootfs'), path.join(dir, 'bb.tar')], { encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        ok(d1.berth(['import', path.join(dir, 'bb.tar'), name]), 'import');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      ok(d1.berth(['push', name]), 'push');
      const run = d2.berth(['run', '--rm', '--network', 'none', name, 'echo', 'pulled and ran']);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, 'pulled and ran\n');
      assert.match(run.stderr, new RegExp(`Unable to find image '${name.replace(/[.]/g, '\\.')}' locally`));
      assert.match(run.stderr, /Status: Downloaded newer image for/);
      assert.equal(inspect(d2, name)['Id'], inspect(d1, name)['Id']);
      ok(d2.berth(['rmi', name]), 'rmi');
    } finally {
      await reg.stop();
    }
  });
});
