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
import { ZERO_TIME, type ContainerRecord, type CreateRequest } from './types.js';

export async function createContainer(d: ContainerServiceDeps, req: CreateRequest, dirOf: (id: string) => string): Promise<{ Id: string; Warnings: string[] }> {
  if (!req.config.Image) throw invalidArgument('Config cannot be empty in order to create a container');
  const hostConfig = defaultHostConfig(req.hostConfig);
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
  return { Id: id, Warnings: [] };
}
