// berth pause / unpause / rename / top / port: thin over the API, with the docker CLI's output
// and messages (docker CLI 28).
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { ApiError } from '../../client/index.js';
import { table } from '../format.js';
import { each } from './lifecycle.js';

const id = (n: string) => `/containers/${encodeURIComponent(n)}`;

export function registerPause(parent: Command, ctx: CliContext): void {
  for (const [name, what] of [['pause', 'Pause all processes within one or more containers'], ['unpause', 'Unpause all processes within one or more containers']] as const) {
    parent
      .command(name)
      .description(what)
      .argument('<container...>')
      .action((names: string[]) => each(ctx, names, async (c, n) => {
        (await c.request('POST', `${id(n)}/${name}`)).resume();
        ctx.print(n);
      }));
  }
}

export function registerRename(parent: Command, ctx: CliContext): void {
  parent
    .command('rename')
    .description('Rename a container')
    .argument('<container>')
    .argument('<new-name>')
    .action(async (oldName: string, newName: string) => {
      if (!oldName.trim() || !newName.trim()) throw new Error('Neither old nor new names may be empty');
      const c = await ctx.client();
      try {
        (await c.request('POST', `${id(oldName.trim())}/rename`, { query: { name: newName.trim() } })).resume();
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        // as docker: the daemon's message, then its own
        ctx.err.write(`Error response from daemon: ${err.message}\n`);
        throw new Error(`failed to rename container named ${oldName}`);
      }
    });
}

export function registerTop(parent: Command, ctx: CliContext): void {
  parent
    .command('top')
    .description('Display the running processes of a container')
    .argument('<container>')
    .argument('[ps-options...]')
    .passThroughOptions()
    .allowUnknownOption()
    .action(async (name: string, psArgs: string[]) => {
      const c = await ctx.client();
      const r = await c.json<{ Titles: string[]; Processes: string[][] | null }>('GET', `${id(name)}/top`, { query: { ps_args: psArgs.length ? psArgs.join(' ') : undefined } });
      ctx.out.write(table([r.Titles, ...(r.Processes ?? [])], 20));
    });
}

/** Go's net.JoinHostPort */
const joinHostPort = (host: string, port: string) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

/** sortorder.NaturalLess as the docker CLI sorts port lines: runs of digits compare as numbers. */
export function naturalLess(a: string, b: string): number {
  const ca = a.match(/\d+|\D+/g) ?? [];
  const cb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
    const x = ca[i]!;
    const y = cb[i]!;
    if (x === y) continue;
    if (/^\d/.test(x) && /^\d/.test(y)) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d;
      return x.length - y.length;
    }
    return x < y ? -1 : 1;
  }
  return ca.length - cb.length;
}

type Bindings = Record<string, { HostIp: string; HostPort: string }[] | null>;

export function registerPort(parent: Command, ctx: CliContext): void {
  parent
    .command('port')
    .description('List port mappings or a specific mapping for the container')
    .argument('<container>')
    .argument('[private-port]', 'PRIVATE_PORT[/PROTO]')
    .action(async (name: string, want: string | undefined) => {
      const c = await ctx.client();
      const info = await c.json<{ NetworkSettings: { Ports: Bindings | null } }>('GET', `${id(name)}/json`);
      const ports = info.NetworkSettings.Ports ?? {};
      const out: string[] = [];
      if (want !== undefined) {
        const slash = want.indexOf('/');
        const port = slash < 0 ? want : want.slice(0, slash);
        const proto = slash < 0 || want.slice(slash + 1) === '' ? 'tcp' : want.slice(slash + 1);
        if (!/^\d+$/.test(port)) throw new Error(`invalid port (${port}): strconv.ParseUint: parsing "${port}": invalid syntax`);
        if (Number(port) > 65535) throw new Error(`invalid port (${port}): strconv.ParseUint: parsing "${port}": value out of range`);
        const frontends = ports[`${port}/${proto}`];
        if (!frontends) throw new Error(`No public port '${want}' published for ${name}`);
        for (const f of frontends) out.push(joinHostPort(f.HostIp, f.HostPort));
      } else {
        for (const [from, frontends] of Object.entries(ports)) {
          for (const f of frontends ?? []) out.push(`${from} -> ${joinHostPort(f.HostIp, f.HostPort)}`);
        }
      }
      if (out.length) ctx.print(out.sort(naturalLess).join('\n'));
    });
}
