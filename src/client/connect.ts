// Which daemon the CLI talks to: -H, then DOCKER_HOST, then berth's own socket.
// Only for berth's own default socket is berthd started on demand when nothing
// answers there (the embedded default); an explicit host is never second-guessed.
import { spawn } from 'node:child_process';
import { existsSync, openSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EngineClient, ConnectError } from './client.js';
import { unavailable } from '../common/errors.js';

export const DEFAULT_HOST = 'unix:///run/berth/berth.sock';
/** node's flags for berthd (bin/berthd's shebang has the same): a small young generation, see there */
export const BERTHD_NODE_FLAGS = ['--max-semi-space-size=2'];
const LOG_FILE = '/var/log/berthd.log';

/** <repo>/bin/berthd, found upward from this module: dist/src/client/ or the CLI bundle in dist/bundle/. */
function berthdPath(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const p = path.join(dir, 'bin', 'berthd');
    if (existsSync(p)) return p;
    const up = path.dirname(dir);
    if (up === dir) throw unavailable(`cannot find bin/berthd above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

export async function connect(explicitHost?: string): Promise<EngineClient> {
  const host = explicitHost || process.env['DOCKER_HOST'] || DEFAULT_HOST;
  const client = new EngineClient(host);
  if (host !== DEFAULT_HOST || process.env['BERTH_NO_AUTOSTART'] === '1') return client;
  try {
    await client.ping();
    return client;
  } catch (err) {
    if (!(err instanceof ConnectError) || err.code === 'EACCES') throw err;
  }
  mkdirSync(path.dirname(LOG_FILE), { recursive: true });
  const log = openSync(LOG_FILE, 'a');
  const child = spawn(process.execPath, [...BERTHD_NODE_FLAGS, berthdPath()], { detached: true, stdio: ['ignore', log, log] });
  child.unref();
  let exited: number | null = null;
  child.on('exit', (code) => (exited = code ?? 1));
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    try {
      await client.ping();
      return client;
    } catch (err) {
      if (!(err instanceof ConnectError)) throw err;
    }
    if (exited !== null) break;
  }
  throw unavailable(`Cannot connect to the berth daemon at ${host}: starting berthd failed${exited !== null ? ` (exit ${exited})` : ''}; see ${LOG_FILE}`);
}
