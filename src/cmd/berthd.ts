// berthd: the daemon process. Flags as dockerd names them; a pid file that is
// checked for a live process rather than trusted; graceful SIGTERM.
import { readFileSync, unlinkSync } from 'node:fs';
import { Command } from 'commander';
import { createLogger, type Level } from '../common/log.js';
import { messageOf } from '../common/errors.js';
import { cleanupHost, Daemon, ENGINE_VERSION, resolveConfig, type FlagValues } from '../daemon/index.js';
import { listen } from '../api/index.js';

function collect(v: string, prev: string[] = []): string[] {
  return [...prev, v];
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
    .option('--cleanup', 'with berthd stopped: remove the default bridge, its iptables rules and CNI state that berthd keeps across restarts, then exit (refused while a container runs on the bridge)')
    .parse();
  const flags = program.opts<FlagValues & { cleanup?: boolean }>();
  const config = resolveConfig(flags);
  const log = createLogger(config.logLevel as Level);
  if (flags.cleanup) {
    const report = await cleanupHost(config, log);
    for (const r of report.removed) process.stdout.write(`removed: ${r}\n`);
    if (!report.removed.length) process.stdout.write('removed: nothing (no bridge, rules or CNI state of this daemon)\n');
    for (const k of report.kept) process.stdout.write(`kept: ${k}\n`);
    return;
  }
  const daemon = await Daemon.create(config, log);
  const api = await listen(daemon, config.hosts, config.group);
  log.info('berthd started', { version: ENGINE_VERSION, hosts: config.hosts, dataRoot: config.dataRoot, pid: process.pid });
  let stopping = false;
  const stop = async (sig: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal: sig });
    await api.close();
    const left = daemon.leftOnHost();
    await daemon.close();
    if (left) log.info(left.message, left.fields);
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
