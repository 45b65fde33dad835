// berth: the command line. Each command is a thin file in ./commands that turns
// flags into one Engine API call and prints docker's output for it.
import { Command, CommanderError } from 'commander';
import { ApiError, ConnectError } from '../client/index.js';
import { CliContext } from './context.js';
import { installUsageErrors, UsageError } from './usage-errors.js';
import { CLI_VERSION, register as version } from './commands/version.js';
import { register as info } from './commands/info.js';
import { register as images } from './commands/images.js';
import { register as tag } from './commands/tag.js';
import { register as rmi } from './commands/rmi.js';
import { register as history } from './commands/history.js';
import { register as importCmd } from './commands/import.js';
import { register as save } from './commands/save.js';
import { register as load } from './commands/load.js';
import { register as inspect } from './commands/inspect.js';
import { register as pull } from './commands/pull.js';
import { register as push } from './commands/push.js';
import { registerLogin, registerLogout } from './commands/login.js';
import { register as build } from './commands/build.js';
import { register as builder } from './commands/builder.js';
import { register as run } from './commands/run.js';
import { register as ps } from './commands/ps.js';
import { register as logs } from './commands/logs.js';
import { register as exec } from './commands/exec.js';
import { register as attach } from './commands/attach.js';
import { registerKill, registerRestart, registerRm, registerStart, registerStop, registerWait } from './commands/lifecycle.js';
import { registerPause, registerPort, registerRename, registerTop } from './commands/container-ops.js';
import { registerContainerPrune, registerImagePrune } from './commands/prune.js';

function hostFromArgv(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-H' || a === '--host') return argv[i + 1];
    if (a.startsWith('--host=')) return a.slice(7);
    if (a.startsWith('-H') && a.length > 2) return a.slice(2);
    if (!a.startsWith('-')) break;
  }
  return undefined;
}

function normaliseHost(h: string | undefined): string | undefined {
  if (h === undefined) return undefined;
  if (h.startsWith('/')) return `unix://${h}`;
  return h;
}

/**
 * Run the CLI. `extra` adds command trees that live outside cli/ (the registry
 * server runs in-process, not through the daemon); src/cmd/berth.ts passes them.
 */
export async function main(argv = process.argv, extra: Command[] = []): Promise<void> {
  // `berth logs | head`: a closed pipe ends the command quietly, as docker's does.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
  });
  const ctx = new CliContext(normaliseHost(hostFromArgv(argv.slice(2))));
  const program = new Command('berth')
    .description('A Docker-compatible container engine')
    .version(`berth version ${CLI_VERSION}`, '-v, --version', 'Print version information and quit')
    .option('-H, --host <addr>', 'Daemon socket to connect to (unix:///path or tcp://host:port; default $DOCKER_HOST, else unix:///run/berth/berth.sock)')
    .enablePositionalOptions()
    .exitOverride();
  version(program, ctx);
  info(program, ctx);
  images(program, ctx);
  tag(program, ctx);
  rmi(program, ctx);
  history(program, ctx);
  importCmd(program, ctx);
  save(program, ctx);
  load(program, ctx);
  inspect(program, ctx);
  pull(program, ctx);
  push(program, ctx);
  registerLogin(program, ctx);
  registerLogout(program, ctx);
  build(program, ctx);
  builder(program, ctx);
  const containerCommands = (p: Command) => {
    run(p, ctx, 'run');
    run(p, ctx, 'create');
    logs(p, ctx);
    exec(p, ctx);
    attach(p, ctx);
    registerStop(p, ctx);
    registerStart(p, ctx);
    registerRestart(p, ctx);
    registerKill(p, ctx);
    registerWait(p, ctx);
    registerPause(p, ctx);
    registerRename(p, ctx);
    registerTop(p, ctx);
    registerPort(p, ctx);
  };
  containerCommands(program);
  ps(program, ctx);
  registerRm(program, ctx);

  const container = program.command('container').description('Manage containers');
  containerCommands(container);
  ps(container, ctx, 'ls').aliases(['ps', 'list']);
  registerRm(container, ctx, 'rm').alias('remove');
  inspect(container, ctx, 'container');
  registerContainerPrune(container, ctx);

  const image = program.command('image').description('Manage images');
  images(image, ctx, 'ls').alias('list');
  inspect(image, ctx, 'image');
  rmi(image, ctx, 'rm').alias('remove');
  tag(image, ctx);
  history(image, ctx);
  importCmd(image, ctx);
  save(image, ctx);
  load(image, ctx);
  pull(image, ctx);
  push(image, ctx);
  build(image, ctx);
  registerImagePrune(image, ctx);

  for (const c of extra) program.addCommand(c);
  const usageError = installUsageErrors(program);

  try {
    await program.parseAsync(argv);
  } catch (err) {
    const usage = err instanceof CommanderError ? usageError(err) : err;
    if (usage instanceof UsageError) {
      process.stderr.write(usage.message);
      process.exitCode = usage.exitCode;
      return;
    }
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : 1;
      return;
    }
    if (err instanceof ApiError) process.stderr.write(`Error response from daemon: ${err.message}\n`);
    else if (err instanceof ConnectError) process.stderr.write(`${err.message}\n`);
    else process.stderr.write(`Error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}

