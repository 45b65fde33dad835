// berthd: the daemon process. Flags as dockerd names them; a pid file that is
// checked for a live process rather than trusted; graceful SIGTERM.
import { readFileSync, unlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { createLogger, type Level } from '../common/log.js';
import { messageOf } from '../common/errors.js';
import { Daemon, ENGINE_VERSION, resolveConfig, type FlagValues } from '../daemon/index.js';
import { listen } from '../api/index.js';

function collect(v: string, prev: string[] = []): string[] {
  return [...prev, v];
}

function claimPidfile(file: string): void {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (pid > 0 && pid !== process.pid) {
      try {
        process.kill(pid, 0);
        throw new Error(`berthd is already running (pid ${pid}, from ${file})`);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
        // stale: the process is gone (e.g. kill -9)
      }
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${process.pid}\n`);
}

async function main(): Promise<void> {
  const program = new Command('berthd')
    .description('berth daemon: serves the Docker Engine API')
    .version(ENGINE_VERSION, '-v, --version')
    .option('--data-root <dir>', 'root directory of persistent state (default "/var/lib/berth")')
    .option('--exec-root <dir>', 'root directory for execution state files (default "/run/berth")')
    .option('-H, --host <addr>', 'daemon socket(s) to listen on: unix:///path or tcp://127.0.0.1:port (repeatable)', collect)
    .option('-p, --pidfile <file>', 'path to use for the daemon PID file (default "<exec-root>/berthd.pid")')
    .option('--config-file <file>', 'daemon configuration file (default "/etc/berth/daemon.json")')
    .option('-l, --log-level <level>', 'debug, info, warn or error (default "info")')
    .option('-G, --group <name>', 'group for the unix socket (default "berth")')
    .option('--insecure-registry <registry>', 'registry to reach over plain HTTP (repeatable)', collect)
    .option('--registry-mirror <url>', 'preferred registry mirror (repeatable)', collect)
    .option('--default-runtime <name>', 'default OCI runtime for containers (runc or crun)')
    .option('-b, --bridge <name>', 'name of the default bridge network\'s interface (default "berth0")')
    .parse();
  const flags = program.opts<FlagValues>();
  const config = resolveConfig(flags);
  const log = createLogger(config.logLevel as Level);
  const daemon = await Daemon.create(config, log);
  claimPidfile(daemon.paths.pidfile);
  const api = await listen(daemon, config.hosts, config.group);
  log.info('berthd started', { version: ENGINE_VERSION, hosts: config.hosts, dataRoot: config.dataRoot, pid: process.pid });
  let stopping = false;
  const stop = async (sig: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal: sig });
    await api.close();
    await daemon.close();
    try {
      if (readFileSync(daemon.paths.pidfile, 'utf8').trim() === String(process.pid)) unlinkSync(daemon.paths.pidfile);
    } catch {
      /* already gone */
    }
    log.info('berthd stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`berthd: ${messageOf(err)}\n`);
  process.exit(1);
});
