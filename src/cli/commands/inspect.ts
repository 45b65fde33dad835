// berth inspect / berth image inspect / berth container inspect NAME...
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { goStruct, goTypes, parseFormat, reportFormatError, runFormat, typedMap, FormatError } from '../format.js';
import { NIL_PTR, nilCollection, omitInJSON, type GoTemplate } from '../gotemplate/index.js';
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

/**
 * Structs whose JSON omits empty fields (omitempty): their Go field order, and the zero value a
 * template sees for an omitted field ("<nil>" for a pointer, map[] and [] for nil maps and slices).
 */
type Zero = 'ptr' | 'map' | 'slice' | string | boolean;
const STRUCTS: Record<string, [string, Zero][]> = {
  'Mounts': [['Type', ''], ['Name', ''], ['Source', ''], ['Destination', ''], ['Driver', ''], ['Mode', ''], ['RW', false], ['Propagation', '']],
  'State': [['Status', ''], ['Running', false], ['Paused', false], ['Restarting', false], ['OOMKilled', false], ['Dead', false], ['Pid', ''], ['ExitCode', ''], ['Error', ''], ['StartedAt', ''], ['FinishedAt', ''], ['Health', 'ptr']],
  'Config': [
    ['Hostname', ''], ['Domainname', ''], ['User', ''], ['AttachStdin', false], ['AttachStdout', false], ['AttachStderr', false], ['ExposedPorts', 'map'],
    ['Tty', false], ['OpenStdin', false], ['StdinOnce', false], ['Env', 'slice'], ['Cmd', 'slice'], ['Healthcheck', 'ptr'], ['ArgsEscaped', false], ['Image', ''],
    ['Volumes', 'map'], ['WorkingDir', ''], ['Entrypoint', 'slice'], ['NetworkDisabled', false], ['MacAddress', ''], ['OnBuild', 'slice'], ['Labels', 'map'],
    ['StopSignal', ''], ['StopTimeout', 'ptr'], ['Shell', 'slice'],
  ],
};
// omitted fields of structs printed rarely as a whole: added at the end
const OMITTED: Record<string, [string, Zero][]> = {
  '': [['SizeRw', 'ptr'], ['SizeRootFs', 'ptr']],
  'HostConfig': [['Annotations', 'map'], ['StorageOpt', 'map'], ['Tmpfs', 'map'], ['Sysctls', 'map'], ['Init', 'ptr']],
};

// an image's Config (the OCI image config with docker's additions): every field is omitempty
const IMAGE_OMITTED: Record<string, [string, Zero][]> = {
  'Config': [['User', ''], ['ExposedPorts', 'map'], ['Env', 'slice'], ['Entrypoint', 'slice'], ['Cmd', 'slice'], ['Volumes', 'map'], ['WorkingDir', ''], ['Labels', 'map'], ['StopSignal', ''], ['ArgsEscaped', false], ['Healthcheck', 'ptr'], ['OnBuild', 'slice'], ['Shell', 'slice']],
};

function zeroOf(z: Zero, path: string): unknown {
  if (z === 'ptr') return NIL_PTR;
  if (z === 'map') return nilCollection(typedMap({}, MAP_FIELDS[path] ?? null));
  if (z === 'slice') return nilCollection([]);
  return z;
}

/** The inspect JSON as docker's typed structs see it: structs in Go field order, typed maps, typed nils. */
function typedView(v: unknown, path: string, container: boolean): unknown {
  if (Array.isArray(v)) return v.map((x) => typedView(x, path, container));
  const isMap = Object.prototype.hasOwnProperty.call(MAP_FIELDS, path) && MAP_FIELDS[path] !== undefined;
  if (v === null) return isMap ? zeroOf('map', path) : SLICE_FIELDS.has(path) ? zeroOf('slice', path) : NIL_PTR;
  if (typeof v !== 'object') return v;
  const src = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const sub = (k: string) => (isMap ? `${path}.*` : path ? `${path}.${k}` : k);
  // the struct layouts are the container's (an image's Config is another type, the OCI image config)
  const order = isMap || !container ? undefined : STRUCTS[path];
  const omitted: string[] = [];
  const zero = (k: string, z: Zero) => (omitted.push(k), zeroOf(z, sub(k)));
  if (order) for (const [k, z] of order) out[k] = k in src ? typedView(src[k], sub(k), container) : zero(k, z);
  for (const [k, x] of Object.entries(src)) if (!(k in out)) out[k] = typedView(x, sub(k), container);
  if (!isMap) for (const [k, z] of (container ? OMITTED : IMAGE_OMITTED)[path] ?? []) if (!(k in out)) out[k] = zero(k, z);
  return isMap ? typedMap(out, MAP_FIELDS[path]) : omitInJSON(goStruct('struct', out), omitted);
}

/**
 * docker's TemplateInspector: the template runs on the typed object; if that fails it runs on
 * the raw JSON with missingkey=error, whose error is the one reported.
 */
export function inspectTemplate(t: GoTemplate, raw: unknown): string {
  try {
    const container = typeof raw === 'object' && raw !== null && 'State' in raw;
    return runFormat(t, typedView(raw, '', container));
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
