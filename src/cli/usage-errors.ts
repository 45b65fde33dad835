// Usage errors in the docker CLI's words and exit codes, with berth's name: an
// unknown command is `berth: unknown command: berth foo` and exits 1, an
// unknown flag is `unknown flag: --x` and exits 125 (the code docker gives every
// flag error), each followed by the command's usage line and where help is.
// Commander would print its own message and the whole help instead.
import { Command, CommanderError } from 'commander';

/** A usage error already worded for the user; main() prints it and exits with `exitCode`. */
export class UsageError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

function usageLines(cmd: Command, withUsage: boolean): string {
  const full = commandPath(cmd);
  const usage = withUsage ? `\nUsage:  ${full} ${cmd.usage()}\n` : '';
  return `${usage}\nRun '${full} --help' for more information\n`;
}

// docker (pflag) names a bad shorthand by its letter and the word it was in.
function flagMessage(flag: string): string {
  if (flag.startsWith('--')) return `unknown flag: ${flag.split('=')[0]}`;
  return `unknown shorthand flag: '${flag.slice(1, 2)}' in ${flag}`;
}

/**
 * Install docker-style usage errors on `root` and every command below it. Call
 * it once every command is registered; the commands that failed are recorded
 * so that `toUsageError` can word commander's errors for them.
 */
export function installUsageErrors(root: Command): (err: CommanderError) => UsageError | undefined {
  let failedIn: Command | undefined;
  const walk = (cmd: Command): void => {
    cmd.showHelpAfterError(false);
    // Commands added with addCommand (berth registry) inherit no settings:
    // without this they would exit the process themselves, unworded.
    cmd.exitOverride();
    cmd.configureOutput({
      // An unknown flag is worded by the function returned below; other
      // errors keep commander's wording, with docker's usage hint instead of
      // the whole help.
      outputError: (str, write) => {
        failedIn = cmd;
        if (!/^error: unknown option '/.test(str)) write(`${str}${usageLines(cmd, true)}`);
      },
    });
    if (cmd.commands.length > 0) {
      // An operand that names no subcommand: docker first complains about an
      // unknown flag among the rest (`docker foo --x`), else about the command.
      cmd.on('command:*', (operands: string[], unknown: string[]) => {
        const flag = unknown.find((a) => a.startsWith('-') && a !== '-' && a !== '--');
        if (flag !== undefined) throw new UsageError(`${flagMessage(flag)}\n${usageLines(cmd, true)}`, 125);
        const path = commandPath(cmd);
        throw new UsageError(`${root.name()}: unknown command: ${path} ${operands[0]}\n${usageLines(cmd, cmd !== root)}`, 1);
      });
    }
    for (const sub of cmd.commands) walk(sub);
  };
  walk(root);
  return (err) => {
    if (err.code !== 'commander.unknownOption' || !failedIn) return undefined;
    const flag = /unknown option '(.*)'/.exec(err.message)?.[1] ?? '';
    return new UsageError(`${flagMessage(flag)}\n${usageLines(failedIn, true)}`, 125);
  };
}
