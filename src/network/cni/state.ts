// What the manager persists so that DEL works after a daemon restart:
//
//   <stateDir>/                      e.g. /var/lib/berth/network
//     networks/<name>.json           the default network's subnet, chosen once
//     containers/<id>.json           one container's attachment: the conflist and
//                                    runtimeConfig used for ADD, the final ADD
//                                    result, the attachment returned
//   <runDir>/                        e.g. /run/berth/cni (tmpfs: gone on reboot,
//     ipam/<network>/<ip>            like the namespaces and the rules)
//
// A container's file is written before anything is created (phase "adding"),
// so a crash in the middle of ADD still leaves the id needed to undo it.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../../common/atomic.js';
import { errnoCode, internal } from '../../common/errors.js';
import type { NetworkAttachment, NetworkMode } from '../index.js';
import type { ConfList, JsonObject } from './conflist.js';

export interface ContainerNetState {
  version: 1;
  containerId: string;
  mode: NetworkMode;
  phase: 'adding' | 'attached';
  /** name under /run/netns; absent in host mode */
  netnsName?: string;
  confList?: ConfList;
  runtimeConfig: JsonObject;
  /** final result of the chain ADD; absent until it succeeded */
  result?: unknown;
  attachment?: NetworkAttachment;
}

export interface NetworkRecord {
  version: 1;
  name: string;
  bridge: string;
  subnet: string;
}

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function validContainerId(id: string): boolean {
  return ID_RE.test(id);
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseState(text: string, file: string): ContainerNetState {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw internal(`${file}: not JSON`, err);
  }
  if (
    !isObj(v) ||
    v.version !== 1 ||
    typeof v.containerId !== 'string' ||
    !validContainerId(v.containerId) ||
    !['bridge', 'host', 'none'].includes(String(v.mode)) ||
    !['adding', 'attached'].includes(String(v.phase)) ||
    (v.netnsName !== undefined && (typeof v.netnsName !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(v.netnsName))) ||
    (v.confList !== undefined && (!isObj(v.confList) || !Array.isArray(v.confList.plugins) || typeof v.confList.name !== 'string')) ||
    !isObj(v.runtimeConfig)
  ) {
    throw internal(`${file}: not a valid network state file`);
  }
  return v as unknown as ContainerNetState;
}

export class StateStore {
  readonly containersDir: string;
  readonly networksDir: string;

  constructor(readonly stateDir: string) {
    this.containersDir = path.join(stateDir, 'containers');
    this.networksDir = path.join(stateDir, 'networks');
  }

  async init(): Promise<void> {
    await fsp.mkdir(this.containersDir, { recursive: true, mode: 0o700 });
    await fsp.mkdir(this.networksDir, { recursive: true, mode: 0o700 });
  }

  private file(id: string): string {
    if (!validContainerId(id)) throw internal(`invalid container id for network state: ${JSON.stringify(id)}`);
    return path.join(this.containersDir, `${id}.json`);
  }

  async put(s: ContainerNetState): Promise<void> {
    await writeFileAtomic(this.file(s.containerId), JSON.stringify(s) + '\n', 0o600);
  }

  async get(id: string): Promise<ContainerNetState | undefined> {
    const f = this.file(id);
    try {
      return parseState(await fsp.readFile(f, 'utf8'), f);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return undefined;
      throw err;
    }
  }

  async remove(id: string): Promise<void> {
    await fsp.rm(this.file(id), { force: true });
  }

  /** Every readable state; unreadable files are reported, not fatal. */
  async list(onBad: (file: string, err: unknown) => void): Promise<ContainerNetState[]> {
    const out: ContainerNetState[] = [];
    let names: string[] = [];
    try {
      names = await fsp.readdir(this.containersDir);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
    for (const n of names) {
      if (!n.endsWith('.json') || n.startsWith('.')) continue;
      const f = path.join(this.containersDir, n);
      try {
        out.push(parseState(await fsp.readFile(f, 'utf8'), f));
      } catch (err) {
        onBad(f, err);
      }
    }
    return out;
  }

  async getNetwork(name: string): Promise<NetworkRecord | undefined> {
    const f = path.join(this.networksDir, `${name}.json`);
    try {
      const v: unknown = JSON.parse(await fsp.readFile(f, 'utf8'));
      if (!isObj(v) || v.version !== 1 || typeof v.subnet !== 'string' || typeof v.bridge !== 'string' || v.name !== name) {
        throw internal(`${f}: not a valid network record`);
      }
      return v as unknown as NetworkRecord;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return undefined;
      throw err;
    }
  }

  async putNetwork(r: NetworkRecord): Promise<void> {
    await writeFileAtomic(path.join(this.networksDir, `${r.name}.json`), JSON.stringify(r) + '\n', 0o600);
  }

  async removeNetwork(name: string): Promise<void> {
    await fsp.rm(path.join(this.networksDir, `${name}.json`), { force: true });
  }
}
