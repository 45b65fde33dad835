// The real docker engine as an oracle: its CLI against /var/run/docker.sock
// with the legacy builder, and whether one answers there at all.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { which, type RunResult } from './daemon.js';

export const DOCKER_SOCK = '/var/run/docker.sock';

export function realDocker(args: string[], input?: Buffer): RunResult {
  const r = spawnSync('docker', ['-H', `unix://${DOCKER_SOCK}`, ...args], { input, encoding: 'buffer', env: { ...process.env, DOCKER_BUILDKIT: '0' }, maxBuffer: 1 << 30 });
  return { stdout: r.stdout.toString(), stderr: r.stderr.toString(), code: r.status ?? 128 };
}

export const dockerUp = existsSync(DOCKER_SOCK) && which('docker') !== undefined && realDocker(['version', '--format', '{{.Server.Version}}']).code === 0;
