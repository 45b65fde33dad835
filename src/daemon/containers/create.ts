// Creating a container: docker's name rules, the image resolved and merged
// with the request, a writable snapshot on the image's top layer, and the
// record in SQLite. Nothing runs yet; start() mounts and runs it.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { conflict, invalidArgument, isKind, messageOf, notFound } from '../../common/errors.js';
import { generateName, validateName } from './names.js';
import { defaultHostConfig, logMaxFile, logSizeMax, mergeConfig, networkMode, parseBind, portMappings } from './setup.js';
import type { ContainerServiceDeps } from './service.js';
import { deviceAt } from './honour.js';
import { validateCreateBody, parseCpuList, type HostFacts } from './validate.js';
import { ZERO_TIME, type ContainerRecord, type CreateRequest, type HostConfig } from './types.js';

const ADDED: (keyof HostConfig)[] = [
  'Privileged', 'Devices', 'ExtraHosts', 'Dns', 'DnsSearch', 'DnsOptions', 'Sysctls', 'ShmSize', 'PidMode', 'IpcMode', 'UTSMode',
  'CgroupnsMode', 'GroupAdd', 'OomScoreAdj', 'CpusetCpus', 'CpusetMems', 'MemoryReservation', 'MemorySwappiness', 'MaskedPaths', 'ReadonlyPaths', 'Runtime',
];

/** The fields defaultHostConfig (written before them) does not carry, kept only when set. */
function addedFields(h: Partial<HostConfig>): Partial<HostConfig> {
  const out: Record<string, unknown> = {};
  for (const k of ADDED) if (h[k] !== undefined) out[k] = h[k];
  return out as Partial<HostConfig>;
}

function onlineList(file: string): number[] {
  try {
    return parseCpuList(fs.readFileSync(file, 'utf8').trim()) ?? [0];
  } catch {
    return [0];
  }
}

/** The create body checked field by field (validate.ts) against this host; docker's warnings. */
export function checkCreateBody(body: Record<string, unknown>, runc: string): string[] {
  return validateCreateBody(body, hostFacts(path.basename(runc)));
}

let facts: HostFacts | undefined;
/** What the host offers (read once: CPUs and memory nodes do not come and go under a running daemon here). */
function hostFacts(runtime: string): HostFacts {
  facts ??= { cpus: onlineList('/sys/devices/system/cpu/online'), mems: onlineList('/sys/devices/system/node/online'), runtime };
  return { ...facts, runtime };
}


export async function createContainer(d: ContainerServiceDeps, req: CreateRequest, dirOf: (id: string) => string): Promise<{ Id: string; Warnings: string[] }> {
  if (!req.config.Image) throw invalidArgument('Config cannot be empty in order to create a container');
  const hostConfig: HostConfig = { ...defaultHostConfig(req.hostConfig), ...addedFields(req.hostConfig) };
  // a --device must name a device node on the host: docker's start-time error, given at create
  for (const dev of hostConfig.Devices ?? []) deviceAt(dev.PathOnHost, dev.PathInContainer, dev.CgroupPermissions);
  networkMode(hostConfig);
  portMappings(hostConfig);
  for (const b of hostConfig.Binds ?? []) parseBind(b);
  let name: string;
  if (req.name) {
    name = validateName(req.name);
    const other = d.store.idByName(name);
    if (other) throw conflict(`Conflict. The container name "/${name}" is already in use by container "${other}". You have to remove (or rename) that container to be able to reuse that name.`);
  } else {
    name = generateName();
    for (let i = 1; d.store.idByName(name); i++) name = generateName(i);
  }
  const image = await d.images.get(req.config.Image).catch((err: unknown) => {
    // the image service's own "No such image: nope:latest" / "invalid reference format" are docker's words
    if (isKind(err, 'NotFound') || isKind(err, 'InvalidArgument')) throw err;
    throw notFound(`No such image: ${req.config.Image}`, err);
  });
  if (req.platform) {
    // berth runs the host's platform only: a --platform is honoured when the image is of it
    const [os, arch, variant] = req.platform.toLowerCase().split('/');
    const ic = image.config;
    const actual = `${ic.os ?? 'linux'}/${ic.architecture ?? ''}${ic.variant ? `/${ic.variant}` : ''}`;
    if (os !== (ic.os ?? 'linux') || (arch && arch !== ic.architecture) || (variant && variant !== ic.variant)) {
      throw invalidArgument(`image with reference ${req.config.Image} was found but does not match the specified platform: wanted ${req.platform}, actual: ${actual}`);
    }
  }
  const id = randomBytes(32).toString('hex');
  const { config, path: p, args } = mergeConfig(id, req, image.config.config ?? {});
  const rec: ContainerRecord = {
    Id: id,
    Name: name,
    Created: new Date().toISOString(),
    Image: image.record.id,
    Path: p,
    Args: args,
    Config: config,
    HostConfig: hostConfig,
    State: { Status: 'created', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 0, ExitCode: 0, Error: '', StartedAt: ZERO_TIME, FinishedAt: ZERO_TIME },
    RestartCount: 0,
    HasBeenStartedBefore: false,
    HasBeenManuallyStopped: false,
  };
  logSizeMax(rec);
  logMaxFile(rec);
  const dir = dirOf(id);
  fs.mkdirSync(path.join(dir, 'rootfs'), { recursive: true, mode: 0o711 });
  try {
    await d.snapshotter.prepare(id, image.chainIds.at(-1) ?? null);
    try {
      d.store.insert(rec);
    } catch (err) {
      await d.snapshotter.remove(id).catch(() => {});
      if (/UNIQUE/.test(messageOf(err))) throw conflict(`Conflict. The container name "/${name}" is already in use. You have to remove (or rename) that container to be able to reuse that name.`);
      throw err;
    }
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  d.log.info('container created', { id: id.slice(0, 12), name });
  return { Id: id, Warnings: req.warnings ?? [] };
}
