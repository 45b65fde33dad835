// berth inspect / berth image inspect / berth container inspect NAME...
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { goStruct, goTypes, parseFormat, reportFormatError, runFormat, typedMap, FormatError } from '../format.js';
import type { GoTemplate } from '../gotemplate/index.js';
import { ApiError, type EngineClient } from '../../client/index.js';

type Kind = 'object' | 'image' | 'container';

async function find(c: EngineClient, kind: Kind, n: string, size: boolean): Promise<unknown | undefined> {
  const paths = kind === 'image' ? ['images'] : kind === 'container' ? ['containers'] : ['containers', 'images'];
  for (const p of paths) {
    try {
      return await c.json('GET', `/${p}/${encodeURIComponent(n)}/json`, p === 'containers' && size ? { query: { size: '1' } } : {});
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 404) throw err;
    }
  }
  return undefined;
}

/**
 * The fields docker's inspect types declare as Go maps, with the zero value of their element
 * (what `index` gives for a missing key); every other object is a struct. "*" is any map key.
 */
const MAP_FIELDS: Record<string, unknown> = {
  'Config.Labels': '', 'Config.ExposedPorts': {}, 'Config.Volumes': {},
  'ContainerConfig.Labels': '', 'ContainerConfig.ExposedPorts': {}, 'ContainerConfig.Volumes': {},
  'HostConfig.PortBindings': null, 'HostConfig.LogConfig.Config': '', 'HostConfig.Sysctls': '', 'HostConfig.StorageOpt': '',
  'HostConfig.Tmpfs': '', 'HostConfig.Annotations': '', 'NetworkSettings.Ports': null, 'NetworkSettings.Networks': null,
  'NetworkSettings.Networks.*.DriverOpts': '', 'GraphDriver.Data': '', 'Config.Healthcheck': undefined,
};

/** Slice fields of the same types: a nil one prints as [] (not "<no value>"), as Go prints a nil slice. */
const SLICE_FIELDS = new Set(
  [
    'Args', 'ExecIDs', 'RepoTags', 'RepoDigests', 'Mounts', 'RootFS.Layers',
    ...['Cmd', 'Entrypoint', 'Env', 'OnBuild', 'Shell'].flatMap((f) => [`Config.${f}`, `ContainerConfig.${f}`]),
    ...['Binds', 'CapAdd', 'CapDrop', 'Dns', 'DnsOptions', 'DnsSearch', 'ExtraHosts', 'GroupAdd', 'Links', 'SecurityOpt', 'VolumesFrom', 'Devices', 'DeviceCgroupRules', 'DeviceRequests', 'Ulimits', 'Mounts', 'MaskedPaths', 'ReadonlyPaths', 'BlkioWeightDevice', 'BlkioDeviceReadBps', 'BlkioDeviceWriteBps', 'BlkioDeviceReadIOps', 'BlkioDeviceWriteIOps'].map((f) => `HostConfig.${f}`),
    'NetworkSettings.Networks.*.Aliases', 'NetworkSettings.Networks.*.Links', 'NetworkSettings.Networks.*.DNSNames',
  ],
);

/** The inspect JSON as docker's typed structs see it: structs, typed maps (a null one reads as empty, as Go's nil map). */
function typedView(v: unknown, path: string): unknown {
  if (Array.isArray(v)) return v.map((x) => typedView(x, path));
  const isMap = Object.prototype.hasOwnProperty.call(MAP_FIELDS, path) && MAP_FIELDS[path] !== undefined;
  if (v === null && isMap) return typedMap({}, MAP_FIELDS[path]);
  if (v === null && SLICE_FIELDS.has(path)) return [];
  if (typeof v !== 'object' || v === null) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = typedView(x, isMap ? `${path}.*` : path ? `${path}.${k}` : k);
  return isMap ? typedMap(out, MAP_FIELDS[path]) : goStruct('struct', out);
}

/**
 * docker's TemplateInspector: the template runs on the typed object; if that fails it runs on
 * the raw JSON with missingkey=error, whose error is the one reported.
 */
function inspectTemplate(t: GoTemplate, raw: unknown): string {
  try {
    return runFormat(t, typedView(raw, ''));
  } catch (err) {
    if (!(err instanceof FormatError)) throw err;
    return runFormat(t, raw, 'template parsing error', { types: goTypes, missingKey: 'error' });
  }
}

export function register(parent: Command, ctx: CliContext, kind: Kind = 'object'): Command {
  const description =
    kind === 'image' ? 'Display detailed information on one or more images' : kind === 'container' ? 'Display detailed information on one or more containers' : 'Return low-level information on berth objects';
  return parent
    .command('inspect')
    .description(description)
    .argument('<name...>', kind === 'object' ? 'NAME|ID' : kind.toUpperCase())
    .option('-f, --format <string>', 'Format output using a Go template')
    .option('--type <type>', 'Return JSON for specified type (container, image)')
    .option('-s, --size', 'Display total file sizes if the type is container')
    .action(async (names: string[], o: { format?: string; type?: string; size?: boolean }) => {
      if (o.type && o.type !== 'image' && o.type !== 'container') throw new Error(`"${o.type}" is not a valid value for --type`);
      const k: Kind = (o.type as Kind | undefined) ?? kind;
      let tmpl: GoTemplate | undefined;
      try {
        if (o.format && o.format !== 'json') tmpl = parseFormat(o.format, 'template parsing error', 64);
      } catch (err) {
        return reportFormatError(err, ctx.err);
      }
      const c = await ctx.client();
      const found: unknown[] = [];
      const errors: string[] = [];
      // as docker's TemplateInspector: each object's output is kept, a failing one adds its error
      // to the not-found ones in order; an empty output is still one newline
      let out = '';
      for (const n of names) {
        const v = await find(c, k, n, !!o.size);
        if (v === undefined) errors.push(`Error: No such ${k}: ${n}`);
        else if (!tmpl) found.push(v);
        else {
          try {
            out += inspectTemplate(tmpl, v) + '\n';
          } catch (err) {
            if (!(err instanceof FormatError)) throw err;
            errors.push(err.message);
          }
        }
      }
      if (tmpl) ctx.out.write(out || '\n');
      else if (o.format === 'json') ctx.print(JSON.stringify(found));
      else ctx.print(JSON.stringify(found, null, 4));
      for (const e of errors) ctx.err.write(e + '\n');
      if (errors.length) process.exitCode = 1;
    });
}
