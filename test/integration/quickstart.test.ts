// The README's first command on this machine: `npm run quickstart` builds,
// links berth/berthd onto PATH, the CLI starts berthd on demand with the
// default roots, and the httpd example is built and answers on 127.0.0.1:8800. Runs only when no berth state exists at the default places
// (it would not be ours to remove); stops the berthd it started by its PID.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { REPO, isRoot } from '../helpers/daemon.js';
import { CniNetworkManager } from '../../src/network/index.js';

const busy = existsSync('/var/lib/berth') || existsSync('/run/berth');
const skip = !isRoot() ? 'needs root' : busy ? 'a berth installation already uses /var/lib/berth or /run/berth' : false;

test('npm run quickstart: builds, links, autostarts berthd, builds and runs httpd on 8800', { skip, timeout: 600_000 }, async () => {
  try {
    const r = spawnSync('npm', ['run', 'quickstart'], { cwd: REPO, encoding: 'utf8', env: { ...process.env, DOCKER_HOST: '' } });
    assert.equal(r.status, 0, `quickstart failed:\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /Server: berth/);
    assert.match(r.stdout, /Successfully tagged httpd:latest/);
    assert.match(r.stdout, /0\.0\.0\.0:8800->80\/tcp\s+web/);
    assert.match(r.stdout, /Hello from berth/);
    // as typed, from PATH, against the autostarted daemon
    const images = spawnSync('berth', ['images', '--format', '{{.Repository}}:{{.Tag}}'], { encoding: 'utf8', env: { ...process.env, DOCKER_HOST: '' } });
    assert.match(images.stdout, /^busybox:latest$/m);
    assert.match(images.stdout, /^httpd:latest$/m);
    const hist = spawnSync('berth', ['history', 'busybox'], { encoding: 'utf8', env: { ...process.env, DOCKER_HOST: '' } });
    assert.match(hist.stdout, /Imported from -/);
    // run again: idempotent
    const again = spawnSync('npm', ['run', 'quickstart'], { cwd: REPO, encoding: 'utf8', env: { ...process.env, DOCKER_HOST: '' } });
    assert.equal(again.status, 0, again.stderr);
  } finally {
    spawnSync('berth', ['rm', '-f', 'web'], { encoding: 'utf8', env: { ...process.env, DOCKER_HOST: '' } });
    const pidfile = '/run/berth/berthd.pid';
    if (existsSync(pidfile)) {
      const pid = Number(readFileSync(pidfile, 'utf8').trim());
      if (pid > 0) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          /* already gone */
        }
        for (let i = 0; i < 100; i++) {
          try {
            process.kill(pid, 0);
          } catch {
            break;
          }
          spawnSync('sleep', ['0.1']);
        }
      }
    }
    if (existsSync('/var/lib/berth/network')) {
      const net = new CniNetworkManager({ stateDir: '/var/lib/berth/network', runDir: '/run/berth/cni' });
      await net.init(new Set()).catch(() => {});
      await net.removeNetwork().catch(() => {});
    }
    spawnSync('umount', ['-R', '/var/lib/berth/containers'], { stdio: 'ignore' });
    rmSync('/var/lib/berth', { recursive: true, force: true });
    rmSync('/run/berth', { recursive: true, force: true });
  }
});
