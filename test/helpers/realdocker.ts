// The real docker engine as an oracle: its CLI against /var/run/docker.sock
// with the legacy builder, and whether one answers there at all.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { REPO, which, type RunResult } from './daemon.js';

export const DOCKER_SOCK = '/var/run/docker.sock';

export function realDocker(args: string[], input?: Buffer): RunResult {
  const r = spawnSync('docker', ['-H', `unix://${DOCKER_SOCK}`, ...args], { input, encoding: 'buffer', env: { ...process.env, DOCKER_BUILDKIT: '0' }, maxBuffer: 1 << 30 });
  return { stdout: r.stdout.toString(), stderr: r.stderr.toString(), code: r.status ?? 128 };
}

/**
 * The oracle tests run busybox:latest on the real engine too (it cannot pull: no network). When the engine lacks it,
 * it gets the same image berth's tests import, made from Debian's busybox-static (../shared/notes/docker-oracle.md).
 */
function realDockerBusybox(): boolean {
  if (realDocker(['image', 'inspect', 'busybox:latest']).code === 0) return true;
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-oracle-bb-'));
  try {
    const tar = path.join(dir, 'rootfs.tar');
    if (spawnSync('bash', [path.join(REPO, 'scripts/busybox-rootfs.sh'), path.join(dir, 'rootfs'), tar]).status !== 0) return false;
    return realDocker(['import', '-c', 'CMD ["sh"]', tar, 'busybox:latest']).code === 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const dockerUp = existsSync(DOCKER_SOCK) && which('docker') !== undefined && realDocker(['version', '--format', '{{.Server.Version}}']).code === 0 && realDockerBusybox();
