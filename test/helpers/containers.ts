// For container tests: a busybox image imported into a TestDaemon, and a
// cleanup that leaves nothing behind even when a test failed: containers
// removed through the daemon, then any conmon left ended by its PID, netns
// deleted, runc state removed, mounts under the test root unmounted.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { before, after } from 'node:test';
import { REPO, TestDaemon } from './daemon.js';

export function importBusybox(d: TestDaemon, tag = 'busybox:latest'): void {
  const tar = path.join(d.root, 'busybox.tar');
  const r = spawnSync('bash', [path.join(REPO, 'scripts/busybox-rootfs.sh'), path.join(d.root, 'bbroot'), tar], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`busybox-rootfs.sh: ${r.stderr}`);
  const i = d.berth(['import', tar, tag]);
  if (i.code !== 0) throw new Error(`import: ${i.stderr}`);
}

function containerIds(d: TestDaemon): string[] {
  const dir = path.join(d.dataRoot, 'containers');
  return existsSync(dir) ? readdirSync(dir) : [];
}

export async function cleanupContainers(d: TestDaemon | undefined): Promise<void> {
  if (!d) return;
  if (d.proc && d.proc.exitCode === null && d.proc.signalCode === null) {
    const ids = d.berth(['ps', '-aq', '--no-trunc']).stdout.split('\n').filter(Boolean);
    if (ids.length) d.berth(['rm', '-f', ...ids]);
  }
  await d.stop();
  const runcRoot = path.join(d.execRoot, 'runtime', 'runc');
  for (const id of containerIds(d)) {
    const pidFile = path.join(d.dataRoot, 'containers', id, 'conmon.pid');
    if (existsSync(pidFile)) {
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      if (pid > 0) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
    spawnSync('runc', ['--root', runcRoot, 'delete', '--force', id]);
    spawnSync('ip', ['netns', 'delete', `berth-${id.slice(0, 12)}`]);
  }
  await d.cleanup();
}

/**
 * One berthd with a busybox image for a whole container test file, torn down
 * with cleanupContainers after its last test, even when tests failed.
 */
export function useContainerDaemon(skip: string | false, set: (d: TestDaemon) => void): void {
  let d: TestDaemon | undefined;
  before(async () => {
    if (skip) return;
    d = await new TestDaemon().start();
    set(d);
    importBusybox(d);
  });
  after(async () => {
    await cleanupContainers(d);
  });
}
