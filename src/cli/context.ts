// What every command gets: a lazily connected client and the output streams.
import { connect, type EngineClient } from '../client/index.js';

export class CliContext {
  private clientP: Promise<EngineClient> | undefined;
  constructor(private readonly host: string | undefined, readonly out: NodeJS.WriteStream = process.stdout, readonly err: NodeJS.WriteStream = process.stderr) {}

  client(): Promise<EngineClient> {
    return (this.clientP ??= connect(this.host));
  }

  print(s: string): void {
    this.out.write(s.endsWith('\n') ? s : s + '\n');
  }
}

/** A command's own usage error, shown like docker's and exiting 1. */
export class UsageError extends Error {}
