// The README's first command on this machine: `npm run quickstart` builds,
// links berth/berthd onto PATH, and the CLI starts berthd on demand with the
// default roots. Runs only when no berth state exists at the default places
// (it would not be ours to remove); stops the berthd it started by its PID.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { REPO, isRoot } from '../helpers/daemon.js';

const busy = existsSync('/var/lib/berth') || existsSync('/run/berth');
const skip = !isRoot() ? 'needs root' : busy ? 'a berth installation already uses /var/lib/berth or /run/berth' : false;

test('npm run quickstart: builds, links, autostarts berthd, imports busybox', { skip, timeout: 600_000 }, () => {
  try {
    const r = spawnSync('npm', ['run', 'quickstart'], { cwd: REPO, encoding: 'utf8', env: { ...process.env, DOCKER_HOST: '' } });
    assert.equal(r.status, 0, `quickstart failed:\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /Server: berth/);
    assert.match(r.stdout, /REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\nbusybox\s+latest\s+[a-f0-9]{12}\s/);
    // as typed, from PATH, against the autostarted daemon
    const images = spawnSync('berth', ['images', '--format', '{{.Repository}}:{{.Tag}}'], { encoding: 'utf8', env: { ...process.env, DOCKER_HOST: '' } });
    assert.equal(images.stdout, 'busybox:latest\n');
    const hist = spawnSync('berth', ['history', 'busybox'], { encoding: 'utf8', env: { ...process.env, DOCKER_HOST: '' } });
    assert.match(hist.stdout, /Imported from -/);
    // run again: idempotent
    const again = spawnSync('npm', ['run', 'quickstart'], { cwd: REPO, encoding: 'utf8', env: { ...process.env, DOCKER_HOST: '' } });
    assert.equal(again.status, 0, again.stderr);
  } finally {
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
    rmSync('/var/lib/berth', { recursive: true, force: true });
    rmSync('/run/berth', { recursive: true, force: true });
  }
});
