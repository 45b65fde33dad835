// berth info
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { FormatError, goStruct, parseFormat, reportFormatError, runFormat } from '../format.js';
import { CLI_VERSION } from './version.js';

/** units.BytesSize: binary units, 4 significant digits */
function bytesSize(n: number): string {
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) {
    n /= 1024;
    i++;
  }
  return `${Number(n.toPrecision(4))}${u[i]}`;
}

type Info = Record<string, unknown> & {
  RegistryConfig?: { InsecureRegistryCIDRs?: string[]; Mirrors?: string[] };
  DriverStatus?: [string, string][];
};

export function register(parent: Command, ctx: CliContext): Command {
  return parent
    .command('info')
    .description('Display system-wide information')
    .option('-f, --format <string>', 'Format output using a Go template')
    .action(async (o: { format?: string }) => {
      // as docker: a bad template is exit 64 before anything is asked of the daemon, a failing one exit 1
      let tmpl;
      try {
        if (o.format) tmpl = parseFormat(o.format === 'json' ? '{{json .}}' : o.format, 'template parsing error', 64);
      } catch (err) {
        return reportFormatError(err, ctx.err);
      }
      const c = await ctx.client();
      const i = await c.json<Info>('GET', '/info');
      if (tmpl) {
        try {
          // system.dockerInfo is a struct (an unknown field is an error); what is inside it is read as maps
          const clientInfo = goStruct('system.clientInfo', { Debug: false, Context: 'default', Plugins: [], Warnings: null });
          ctx.print(runFormat(tmpl, goStruct('system.dockerInfo', { ...i, ClientInfo: clientInfo })));
        } catch (err) {
          // as docker: what the template wrote, a newline, then the error
          if (err instanceof FormatError) ctx.out.write(err.partial + '\n');
          reportFormatError(err, ctx.err);
        }
        return;
      }
      const L: string[] = ['Client:', ` Version:    ${CLI_VERSION}`, ` Context:    ${process.env['DOCKER_HOST'] ? 'DOCKER_HOST' : 'default'}`, '', 'Server:'];
      const p = (k: string, v: unknown, ind = ' ') => L.push(`${ind}${k}: ${v ?? ''}`);
      p('Containers', i['Containers']);
      p('Running', i['ContainersRunning'], '  ');
      p('Paused', i['ContainersPaused'], '  ');
      p('Stopped', i['ContainersStopped'], '  ');
      p('Images', i['Images']);
      p('Server Version', i['ServerVersion']);
      p('Storage Driver', i['Driver']);
      for (const [k, v] of i.DriverStatus ?? []) p(k, v, '  ');
      p('Logging Driver', i['LoggingDriver']);
      p('Cgroup Driver', i['CgroupDriver']);
      p('Cgroup Version', i['CgroupVersion']);
      const rts = Object.keys((i['Runtimes'] as Record<string, unknown>) ?? {});
      p('Runtimes', rts.join(' '));
      p('Default Runtime', i['DefaultRuntime']);
      p('Kernel Version', i['KernelVersion']);
      p('Operating System', i['OperatingSystem']);
      p('OSType', i['OSType']);
      p('Architecture', i['Architecture']);
      p('CPUs', i['NCPU']);
      p('Total Memory', bytesSize(Number(i['MemTotal'] ?? 0)));
      p('Name', i['Name']);
      p('ID', i['ID']);
      p('Docker Root Dir', i['DockerRootDir']);
      p('Debug Mode', i['Debug']);
      p('Experimental', i['ExperimentalBuild']);
      L.push(' Insecure Registries:');
      for (const r of i.RegistryConfig?.InsecureRegistryCIDRs ?? []) L.push(`  ${r}`);
      if (i.RegistryConfig?.Mirrors?.length) {
        L.push(' Registry Mirrors:');
        for (const m of i.RegistryConfig.Mirrors) L.push(`  ${m}`);
      }
      p('Live Restore Enabled', i['LiveRestoreEnabled']);
      ctx.print(L.join('\n'));
      for (const w of (i['Warnings'] as string[] | null) ?? []) ctx.err.write(`${w}\n`);
    });
}
