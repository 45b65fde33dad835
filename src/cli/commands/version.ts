// berth version
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { CLIENT_API_VERSION } from '../../client/index.js';
import { FormatError, goStruct, goView, parseFormat, reportFormatError, runFormat } from '../format.js';

export const CLI_VERSION = '0.1.0';

interface ServerVersion {
  Platform?: { Name?: string };
  Version: string;
  ApiVersion: string;
  MinAPIVersion?: string;
  GitCommit?: string;
  GoVersion?: string;
  Os?: string;
  Arch?: string;
  KernelVersion?: string;
  Components?: { Name: string; Version: string }[];
}

function kv(pairs: [string, string][], indent: string): string {
  const w = Math.max(...pairs.map(([k]) => k.length)) + 2;
  return pairs.map(([k, v]) => `${indent}${(k + ':').padEnd(Math.max(w, 18))}${v}\n`).join('');
}

/** docker's versionInfo as its template sees it: Go field names (APIVersion), JSON names for `json`. */
function versionInfo(client: Record<string, unknown>, server: ServerVersion | undefined): Record<string, unknown> {
  const api = { ApiVersion: 'APIVersion', MinAPIVersion: 'MinAPIVersion' };
  const srv = server
    ? goView('*types.Version', {
        ...server,
        Platform: goStruct('struct { Name string }', { Name: server.Platform?.Name ?? '' }),
        Components: (server.Components ?? []).map((c) => goStruct('types.ComponentVersion', { Details: null, ...c })),
      }, api)
    : null;
  return goStruct('system.versionInfo', { Client: goView('system.clientVersion', { ...client, Context: 'default' }, api), Server: srv });
}

export function register(parent: Command, ctx: CliContext): Command {
  return parent
    .command('version')
    .description('Show the berth version information')
    .option('-f, --format <string>', 'Format output using a Go template')
    .action(async (o: { format?: string }) => {
      let tmpl;
      try {
        if (o.format) tmpl = parseFormat(o.format === 'json' ? '{{json .}}' : o.format, 'template parsing error', 64, 'version');
      } catch (err) {
        return reportFormatError(err, ctx.err);
      }
      const arch = process.arch === 'x64' ? 'amd64' : process.arch;
      const client = { Version: CLI_VERSION, ApiVersion: CLIENT_API_VERSION, DefaultAPIVersion: CLIENT_API_VERSION, GoVersion: `node ${process.version}`, Os: 'linux', Arch: arch };
      const c = await ctx.client();
      let server: ServerVersion | undefined;
      let serverErr: unknown;
      let negotiated = CLIENT_API_VERSION;
      try {
        negotiated = await c.apiVersion();
        server = await c.json<ServerVersion>('GET', '/version');
      } catch (err) {
        serverErr = err;
      }
      client.ApiVersion = negotiated;
      if (tmpl) {
        try {
          ctx.print(runFormat(tmpl, versionInfo(client, server)));
        } catch (err) {
          // as docker: what the template wrote, a newline, then the error
          if (err instanceof FormatError) ctx.out.write(err.partial + '\n');
          reportFormatError(err, ctx.err);
          return;
        }
        if (serverErr) throw serverErr;
        return;
      }
      let s = 'Client:\n';
      s += kv(
        [
          ['Version', CLI_VERSION],
          ['API version', negotiated === CLIENT_API_VERSION ? negotiated : `${negotiated} (downgraded from ${CLIENT_API_VERSION})`],
          ['Node version', process.version],
          ['OS/Arch', `linux/${arch}`],
        ],
        ' ',
      );
      ctx.out.write(s);
      if (!server) throw serverErr;
      let t = `\nServer: ${server.Platform?.Name ?? ''}\n Engine:\n`;
      t += kv(
        [
          ['Version', server.Version],
          ['API version', `${server.ApiVersion}${server.MinAPIVersion ? ` (minimum version ${server.MinAPIVersion})` : ''}`],
          ['Runtime', server.GoVersion ?? ''],
          ['Git commit', server.GitCommit ?? ''],
          ['OS/Arch', `${server.Os ?? ''}/${server.Arch ?? ''}`],
          ['Kernel version', server.KernelVersion ?? ''],
        ],
        '  ',
      );
      for (const comp of server.Components ?? []) {
        if (comp.Name === 'Engine') continue;
        t += ` ${comp.Name}:\n` + kv([['Version', comp.Version]], '  ');
      }
      ctx.out.write(t);
    });
}
