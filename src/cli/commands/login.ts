// berth login [-u USER] [-p PASS | --password-stdin] [SERVER]
// berth logout [SERVER]
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { configFilePath, eraseCredentials, getCredentials, registryKey, storeCredentials, INDEX_SERVER } from '../credentials.js';

async function readStdin(): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of process.stdin) parts.push(c as Buffer);
  return Buffer.concat(parts).toString('utf8').replace(/\r?\n$/, '');
}

function prompt(question: string, hidden: boolean): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: Boolean(process.stdin.isTTY) });
    if (hidden) (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
      if (s.startsWith(question)) process.stderr.write(question);
    };
    rl.question(question, (a) => {
      rl.close();
      if (hidden) process.stderr.write('\n');
      resolve(a.trim());
    });
  });
}

export function registerLogin(parent: Command, ctx: CliContext): Command {
  return parent
    .command('login')
    .description('Log in to a registry')
    .argument('[server]', 'registry host[:port] (default: Docker Hub)')
    .option('-u, --username <string>', 'Username')
    .option('-p, --password <string>', 'Password')
    .option('--password-stdin', 'Take the password from stdin')
    .action(async (server: string | undefined, o: { username?: string; password?: string; passwordStdin?: boolean }) => {
      const key = registryKey(server);
      let password = o.password;
      if (o.passwordStdin) {
        if (password) throw new Error('--password and --password-stdin are mutually exclusive');
        if (!o.username) throw new Error('Must provide --username with --password-stdin');
        password = await readStdin();
      } else if (password) ctx.err.write('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
      let username = o.username;
      const stored = getCredentials(key);
      if (!username && !password && stored.username) {
        username = stored.username;
        password = stored.password;
      }
      if (!username) username = await prompt(`Username${stored.username ? ` (${stored.username})` : ''}: `, false) || stored.username;
      if (!username) throw new Error('Username cannot be empty');
      if (!password) password = await prompt('Password: ', true);
      if (!password) throw new Error('Password Required');
      const c = await ctx.client();
      const res = await c.json<{ Status?: string; IdentityToken?: string }>('POST', '/auth', { body: { username, password, serveraddress: key === INDEX_SERVER ? INDEX_SERVER : key } });
      const where = storeCredentials(key, { username, password, ...(res?.IdentityToken ? { identitytoken: res.IdentityToken } : {}) });
      if (where === 'file') {
        ctx.err.write(`WARNING! Your password will be stored unencrypted in ${configFilePath()}.\nConfigure a credential helper to remove this warning. See\nhttps://docs.docker.com/engine/reference/commandline/login/#credentials-store\n\n`);
      }
      ctx.print(res?.Status ?? 'Login Succeeded');
    });
}

export function registerLogout(parent: Command, ctx: CliContext): Command {
  return parent
    .command('logout')
    .description('Log out from a registry')
    .argument('[server]', 'registry host[:port] (default: Docker Hub)')
    .action(async (server: string | undefined) => {
      const key = registryKey(server);
      const shown = server ?? key;
      if (!eraseCredentials(key)) {
        ctx.print(`Not logged in to ${shown}`);
        return;
      }
      ctx.print(`Removing login credentials for ${shown}`);
    });
}
