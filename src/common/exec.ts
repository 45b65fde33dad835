// The seam for running other programs (runc, conmon, CNI plugins, iptables,
// mount helpers): one place that spawns, collects output and turns a failure
// into an error that names the command and what it printed.
import { spawn } from 'node:child_process';
import { internal } from './errors.js';

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface ExecOptions {
  input?: string | Uint8Array;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** resolve instead of reject on a non-zero exit */
  allowFailure?: boolean;
}

export function run(cmd: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) => reject(internal(`${cmd}: ${err.message}`, err)));
    child.on('close', (code, signal) => {
      const c = code ?? 128 + (signal ? 9 : 0);
      if (c !== 0 && !opts.allowFailure) {
        const out = (stderr.trim() || stdout.trim()).slice(0, 2000);
        reject(internal(`${cmd} ${args.join(' ')}: exit ${c}${out ? `: ${out}` : ''}`));
      } else resolve({ stdout, stderr, code: c });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}
