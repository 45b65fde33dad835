// /containers/*: create, list, inspect and the lifecycle (start, stop,
// restart, kill, wait, delete) in the Engine API's shapes.
import { invalidArgument } from '../../common/errors.js';
import { humanDuration } from '../../common/units.js';
import { ZERO_TIME, type ContainerRecord, type CreateRequest, type Daemon, type HostConfig, type WaitCondition } from '../../daemon/index.js';
import { boolParam, parseFilters, sendJSON, type Ctx, type Router } from '../router.js';
import { bool, num, obj, readJsonBody, str, strList, strMap, strSlice, type Json } from '../body.js';

function ulimits(h: Json): HostConfig['Ulimits'] {
  const v = h['Ulimits'];
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v)) throw invalidArgument('json: cannot unmarshal field Ulimits: expected a list');
  return v.map((u: unknown) => {
    if (typeof u !== 'object' || u === null) throw invalidArgument('json: cannot unmarshal field Ulimits: expected objects');
    const o = u as Json;
    return { Name: str(o, 'Name') ?? '', Soft: num(o, 'Soft') ?? 0, Hard: num(o, 'Hard') ?? 0 };
  });
}

function parseCreate(body: Json, name: string | null): CreateRequest {
  const image = str(body, 'Image');
  if (!image) throw invalidArgument('Config cannot be empty in order to create a container');
  const h = obj(body, 'HostConfig') ?? {};
  const rp = obj(h, 'RestartPolicy');
  const lc = obj(h, 'LogConfig');
  const rpName = rp ? str(rp, 'Name') ?? '' : '';
  if (!['', 'no', 'always', 'on-failure', 'unless-stopped'].includes(rpName)) throw invalidArgument(`invalid restart policy '${rpName}'`);
  const cs = h['ConsoleSize'];
  const hostConfig: Partial<HostConfig> = {
    ...(strList(h, 'Binds') ? { Binds: strList(h, 'Binds')! } : {}),
    ...(str(h, 'NetworkMode') ? { NetworkMode: str(h, 'NetworkMode')! } : {}),
    ...(obj(h, 'PortBindings') ? { PortBindings: obj(h, 'PortBindings') as HostConfig['PortBindings'] } : {}),
    ...(rp ? { RestartPolicy: { Name: rpName as HostConfig['RestartPolicy']['Name'], MaximumRetryCount: num(rp, 'MaximumRetryCount') ?? 0 } } : {}),
    AutoRemove: bool(h, 'AutoRemove') ?? false,
    Memory: num(h, 'Memory') ?? 0,
    MemorySwap: num(h, 'MemorySwap') ?? 0,
    NanoCpus: num(h, 'NanoCpus') ?? 0,
    CpuShares: num(h, 'CpuShares') ?? 0,
    CpuQuota: num(h, 'CpuQuota') ?? 0,
    CpuPeriod: num(h, 'CpuPeriod') ?? 0,
    PidsLimit: num(h, 'PidsLimit') ?? null,
    ReadonlyRootfs: bool(h, 'ReadonlyRootfs') ?? false,
    Tmpfs: strMap(h, 'Tmpfs') ?? null,
    Init: bool(h, 'Init') ?? null,
    ...(lc ? { LogConfig: { Type: str(lc, 'Type') ?? '', Config: strMap(lc, 'Config') ?? {} } } : {}),
    CapAdd: strList(h, 'CapAdd') ?? null,
    CapDrop: strList(h, 'CapDrop') ?? null,
    SecurityOpt: strList(h, 'SecurityOpt') ?? null,
    Ulimits: ulimits(h),
    ...honoured(h),
    ...(Array.isArray(cs) && cs.length === 2 && cs.every((x) => typeof x === 'number') ? { ConsoleSize: cs as [number, number] } : {}),
  };
  const config: CreateRequest['config'] = {
    Image: image,
    ...(str(body, 'Hostname') ? { Hostname: str(body, 'Hostname')! } : {}),
    ...(str(body, 'Domainname') ? { Domainname: str(body, 'Domainname')! } : {}),
    ...(str(body, 'User') !== undefined ? { User: str(body, 'User')! } : {}),
    AttachStdin: bool(body, 'AttachStdin') ?? false,
    AttachStdout: bool(body, 'AttachStdout') ?? false,
    AttachStderr: bool(body, 'AttachStderr') ?? false,
    Tty: bool(body, 'Tty') ?? false,
    OpenStdin: bool(body, 'OpenStdin') ?? false,
    StdinOnce: bool(body, 'StdinOnce') ?? false,
    ...(strList(body, 'Env') ? { Env: strList(body, 'Env')! } : {}),
    ...(strSlice(body, 'Cmd') ? { Cmd: strSlice(body, 'Cmd')! } : {}),
    ...(body['Entrypoint'] !== undefined && body['Entrypoint'] !== null ? { Entrypoint: strSlice(body, 'Entrypoint')! } : {}),
    ...(str(body, 'WorkingDir') ? { WorkingDir: str(body, 'WorkingDir')! } : {}),
    ...(strMap(body, 'Labels') ? { Labels: strMap(body, 'Labels')! } : {}),
    ...(str(body, 'StopSignal') ? { StopSignal: str(body, 'StopSignal')! } : {}),
    ...(num(body, 'StopTimeout') !== undefined ? { StopTimeout: num(body, 'StopTimeout')! } : {}),
    ...(obj(body, 'ExposedPorts') ? { ExposedPorts: obj(body, 'ExposedPorts') as Record<string, object> } : {}),
  };
  return { ...(name ? { name } : {}), config, hostConfig };
}

/** The HostConfig fields added with the create body's validation, when set (validate.ts has checked them). */
function honoured(h: Json): Partial<HostConfig> {
  const out: Partial<HostConfig> = {};
  const set = <K extends keyof HostConfig>(k: K, v: HostConfig[K] | undefined) => {
    if (v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0)) out[k] = v;
  };
  set('Privileged', bool(h, 'Privileged'));
  const devices = h['Devices'];
  if (Array.isArray(devices) && devices.length) {
    out.Devices = devices.map((d: Json) => {
      const onHost = str(d, 'PathOnHost') ?? '';
      return { PathOnHost: onHost, PathInContainer: str(d, 'PathInContainer') || onHost, CgroupPermissions: str(d, 'CgroupPermissions') || 'rwm' };
    });
  }
  for (const k of ['ExtraHosts', 'Dns', 'DnsSearch', 'DnsOptions', 'GroupAdd', 'MaskedPaths', 'ReadonlyPaths'] as const) {
    const v = strList(h, k);
    // MaskedPaths/ReadonlyPaths: [] is a choice (none), null is docker's default
    if (v && (v.length || k === 'MaskedPaths' || k === 'ReadonlyPaths')) out[k] = v;
  }
  const sysctls = strMap(h, 'Sysctls');
  if (sysctls && Object.keys(sysctls).length) out.Sysctls = sysctls;
  for (const k of ['ShmSize', 'OomScoreAdj', 'MemoryReservation'] as const) set(k, num(h, k) || undefined);
  const swappiness = num(h, 'MemorySwappiness');
  if (swappiness !== undefined && swappiness >= 0) out.MemorySwappiness = swappiness;
  for (const k of ['PidMode', 'IpcMode', 'UTSMode', 'CgroupnsMode', 'CpusetCpus', 'CpusetMems', 'Runtime'] as const) set(k, str(h, k));
  return out;
}

/** docker's Status column: "Up 3 seconds", "Exited (0) 2 seconds ago", "Created". */
export function statusText(c: ContainerRecord, now = Date.now()): string {
  const s = c.State;
  if (s.Running) return `Up ${humanDuration(now - Date.parse(s.StartedAt))}${s.Paused ? ' (Paused)' : ''}`;
  if (s.Restarting) return `Restarting (${s.ExitCode}) ${humanDuration(now - Date.parse(s.FinishedAt))} ago`;
  if (s.Status === 'created') return 'Created';
  if (s.Status === 'removing') return 'Removal In Progress';
  if (s.Status === 'dead') return 'Dead';
  if (s.FinishedAt === ZERO_TIME) return '';
  return `Exited (${s.ExitCode}) ${humanDuration(now - Date.parse(s.FinishedAt))} ago`;
}

/** docker's list Command: path and args, an arg with a space in single quotes */
function command(c: ContainerRecord): string {
  return [c.Path, ...c.Args.map((a) => (a.includes(' ') ? `'${a}'` : a))].join(' ');
}

function ports(d: Daemon, c: ContainerRecord): { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }[] {
  const out: { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }[] = [];
  // as docker: a container that is not running lists no ports, not even exposed ones
  if (!c.State.Running) return out;
  const seen = new Set<string>();
  // What the network manager actually published (host port 0 resolved).
  const published = d.containers.network(c.Id)?.ports ?? [];
  for (const p of published) {
    seen.add(`${p.containerPort}/${p.protocol}`);
    out.push({ IP: p.hostIp || '0.0.0.0', PrivatePort: p.containerPort, PublicPort: p.hostPort, Type: p.protocol });
  }
  for (const key of Object.keys(c.Config.ExposedPorts ?? {})) {
    if (seen.has(key)) continue;
    const [port, proto = 'tcp'] = key.split('/');
    out.push({ PrivatePort: Number(port), Type: proto });
  }
  return out;
}

/** NetworkSettings.Ports: {"80/tcp": [{HostIp, HostPort}]}, exposed-only ports as null; {} when not running, as docker. */
function portMap(d: Daemon, c: ContainerRecord): Record<string, { HostIp: string; HostPort: string }[] | null> {
  const out: Record<string, { HostIp: string; HostPort: string }[] | null> = {};
  if (!c.State.Running) return out;
  for (const key of Object.keys(c.Config.ExposedPorts ?? {})) out[key] = null;
  for (const p of d.containers.network(c.Id)?.ports ?? []) {
    const k = `${p.containerPort}/${p.protocol}`;
    (out[k] ??= []).push({ HostIp: p.hostIp || '0.0.0.0', HostPort: String(p.hostPort) });
  }
  return out;
}

function networkName(c: ContainerRecord): string {
  return c.HostConfig.NetworkMode === 'default' ? 'bridge' : c.HostConfig.NetworkMode;
}

function endpoint(d: Daemon, c: ContainerRecord): Record<string, unknown> {
  const a = c.State.Running ? d.containers.network(c.Id) : undefined;
  return {
    IPAMConfig: null, Links: null, Aliases: null, NetworkID: '', EndpointID: '',
    Gateway: a?.gateway ?? '', IPAddress: a?.ipAddress ?? '', IPPrefixLen: a?.prefixLen ?? 0,
    IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, MacAddress: a?.macAddress ?? '', DriverOpts: null,
  };
}

function summary(d: Daemon, c: ContainerRecord, imageName: string): Record<string, unknown> {
  return {
    Id: c.Id,
    Names: [`/${c.Name}`],
    Image: imageName,
    ImageID: c.Image,
    Command: command(c),
    Created: Math.floor(Date.parse(c.Created) / 1000),
    Ports: ports(d, c),
    Labels: c.Config.Labels,
    State: c.State.Status,
    Status: statusText(c),
    HostConfig: { NetworkMode: c.HostConfig.NetworkMode },
    NetworkSettings: { Networks: { [networkName(c)]: endpoint(d, c) } },
    Mounts: mounts(c),
  };
}

function mounts(c: ContainerRecord): Record<string, unknown>[] {
  return (c.HostConfig.Binds ?? []).map((b) => {
    const [src, dst, mode = ''] = b.split(':');
    return { Type: 'bind', Source: src, Destination: dst, Mode: mode, RW: !mode.split(',').includes('ro'), Propagation: 'rprivate' };
  });
}

function matches(c: ContainerRecord, filters: Map<string, string[]>): boolean {
  for (const [k, vals] of filters) {
    if (!vals.length) continue;
    const ok = vals.some((v) => {
      switch (k) {
        case 'id':
          return c.Id.startsWith(v);
        case 'name':
          return new RegExp(v).test(`/${c.Name}`);
        case 'status':
          return c.State.Status === v;
        case 'exited':
          return !c.State.Running && c.State.Status === 'exited' && c.State.ExitCode === Number(v);
        case 'label': {
          const [lk, lv] = v.split('=', 2) as [string, string | undefined];
          return lk in c.Config.Labels && (lv === undefined || c.Config.Labels[lk] === lv);
        }
        case 'ancestor':
          return c.Config.Image === v || c.Image === v || c.Image.startsWith(`sha256:${v}`);
        default:
          throw invalidArgument(`invalid filter '${k}'`);
      }
    });
    if (!ok) return false;
  }
  return true;
}

export function inspectContainer(d: Daemon, c: ContainerRecord): Record<string, unknown> {
  const dir = d.containers.dirOf(c.Id);
  const a = c.State.Running ? d.containers.network(c.Id) : undefined;
  const ep = endpoint(d, c);
  return {
    Id: c.Id,
    Created: c.Created,
    Path: c.Path,
    Args: c.Args,
    State: c.State,
    Image: c.Image,
    ResolvConfPath: `${dir}/resolv.conf`,
    HostnamePath: `${dir}/hostname`,
    HostsPath: `${dir}/hosts`,
    LogPath: d.containers.logPath(c.Id),
    Name: `/${c.Name}`,
    RestartCount: c.RestartCount,
    Driver: 'overlay',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: d.exec.idsOf(c.Id),
    // docker's defaults where the container asked for nothing else (--runtime, --cgroupns, --ipc, --shm-size)
    HostConfig: { Runtime: 'runc', CgroupnsMode: 'host', IpcMode: 'private', ShmSize: 67108864, PidMode: '', UTSMode: '', Privileged: false, ...c.HostConfig },
    GraphDriver: { Name: 'overlay', Data: { MergedDir: `${dir}/rootfs` } },
    Mounts: mounts(c),
    Config: c.Config,
    NetworkSettings: {
      Bridge: '', SandboxID: '', HairpinMode: false, LinkLocalIPv6Address: '', LinkLocalIPv6PrefixLen: 0,
      Ports: portMap(d, c), SandboxKey: a?.netnsPath ?? '', SecondaryIPAddresses: null, SecondaryIPv6Addresses: null,
      EndpointID: '', Gateway: a?.gateway ?? '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0,
      IPAddress: a?.ipAddress ?? '', IPPrefixLen: a?.prefixLen ?? 0, IPv6Gateway: '', MacAddress: a?.macAddress ?? '',
      Networks: { [networkName(c)]: ep },
    },
  };
}

function timeoutParam(ctx: Ctx): number | undefined {
  const t = ctx.query.get('t');
  if (t === null || t === '') return undefined;
  const n = Number(t);
  if (!Number.isInteger(n)) throw invalidArgument(`invalid value for t: ${t}`);
  return n;
}

export function containerRoutes(r: Router): void {
  r.add('POST', '/containers/create', async (ctx) => {
    const body = await readJsonBody(ctx);
    const warnings = ctx.daemon.containers.checkCreateBody(body);
    const platform = ctx.query.get('platform') || undefined;
    const res = await ctx.daemon.containers.create({ ...parseCreate(body, ctx.query.get('name')), warnings, ...(platform ? { platform } : {}) });
    sendJSON(ctx.res, 201, res);
  });
  r.add('GET', '/containers/json', async (ctx) => {
    const all = boolParam(ctx.query, 'all');
    const filters = parseFilters(ctx.query);
    let list = ctx.daemon.containers.list().filter((c) => (all || c.State.Running || filters.has('status') || filters.has('exited')) && matches(c, filters));
    const limit = Number(ctx.query.get('limit') ?? -1);
    if (limit > 0) list = list.slice(0, limit);
    const out = list.map((c) => summary(ctx.daemon, c, c.Config.Image));
    // size=1: what each container changed, and with its image (ps --size)
    // (a container removed meanwhile just has no sizes)
    if (boolParam(ctx.query, 'size')) for (const [i, c] of list.entries()) Object.assign(out[i]!, await ctx.daemon.containers.sizes(c.Id).catch(() => ({})));
    sendJSON(ctx.res, 200, out);
  });
  r.add('GET', '/containers/{id}/json', async (ctx) => {
    const c = ctx.daemon.containers.get(ctx.params[0]!);
    const out = inspectContainer(ctx.daemon, c);
    sendJSON(ctx.res, 200, boolParam(ctx.query, 'size') ? { ...out, ...(await ctx.daemon.containers.sizes(c.Id)) } : out);
  });
  r.add('POST', '/containers/{id}/start', async (ctx) => {
    const started = await ctx.daemon.containers.start(ctx.params[0]!);
    ctx.res.writeHead(started ? 204 : 304).end();
  });
  r.add('POST', '/containers/{id}/stop', async (ctx) => {
    const stopped = await ctx.daemon.containers.stop(ctx.params[0]!, timeoutParam(ctx), ctx.query.get('signal') ?? undefined);
    ctx.res.writeHead(stopped ? 204 : 304).end();
  });
  r.add('POST', '/containers/{id}/restart', async (ctx) => {
    await ctx.daemon.containers.restart(ctx.params[0]!, timeoutParam(ctx));
    ctx.res.writeHead(204).end();
  });
  r.add('POST', '/containers/{id}/kill', async (ctx) => {
    await ctx.daemon.containers.kill(ctx.params[0]!, ctx.query.get('signal') || 'SIGKILL');
    ctx.res.writeHead(204).end();
  });
  r.add('POST', '/containers/{id}/wait', async (ctx) => {
    const cond = (ctx.query.get('condition') || 'not-running') as WaitCondition;
    if (!['not-running', 'next-exit', 'removed'].includes(cond)) throw invalidArgument(`invalid condition: "${cond}"`);
    const p = ctx.daemon.containers.wait(ctx.params[0]!, cond);
    // Headers first: the client knows the wait is in place before it starts the container.
    ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
    ctx.res.flushHeaders();
    const r2 = await p;
    ctx.res.end(JSON.stringify(r2) + '\n');
  });
  r.add('DELETE', '/containers/{id}', async (ctx) => {
    await ctx.daemon.containers.remove(ctx.params[0]!, { force: boolParam(ctx.query, 'force') });
    ctx.res.writeHead(204).end();
  });
}
