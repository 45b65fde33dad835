// Paths inside a build stage's root filesystem, resolved the way a process
// chrooted there would see them: symlinks are followed but never lead out
// of the root (an absolute target or `..` past the top stays at the root).
import * as fs from 'node:fs';
import * as path from 'node:path';

export class RootfsError extends Error {}

/**
 * Resolve `p` (absolute inside the rootfs) to a host path under `root`.
 * The last component is followed only when `followLast` is set.
 */
export function resolveInRoot(root: string, p: string, followLast = true): string {
  let parts = path.posix.normalize('/' + p).split('/').filter(Boolean);
  const done: string[] = [];
  let hops = 0;
  while (parts.length) {
    const name = parts.shift()!;
    if (name === '.') continue;
    if (name === '..') {
      done.pop();
      continue;
    }
    const host = path.join(root, ...done, name);
    let st: fs.Stats | undefined;
    try {
      st = fs.lstatSync(host);
    } catch {
      st = undefined;
    }
    if (st?.isSymbolicLink() && (parts.length > 0 || followLast)) {
      if (++hops > 40) throw new RootfsError(`too many levels of symbolic links: ${p}`);
      const target = fs.readlinkSync(host);
      if (target.startsWith('/')) done.length = 0;
      parts = [...target.split('/').filter(Boolean), ...parts];
      continue;
    }
    done.push(name);
  }
  return path.join(root, ...done);
}

/** mkdir -p inside the rootfs; new directories get mode 0755 and the owner given. Returns the host path. */
export function mkdirInRoot(root: string, p: string, owner: { uid: number; gid: number } = { uid: 0, gid: 0 }, created?: string[]): string {
  const parts = path.posix.normalize('/' + p).split('/').filter(Boolean);
  let cur = '/';
  for (const name of parts) {
    cur = path.posix.join(cur, name);
    const host = resolveInRoot(root, cur);
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(host);
    } catch {
      st = undefined;
    }
    if (!st) {
      fs.mkdirSync(host, { mode: 0o755 });
      fs.chmodSync(host, 0o755);
      fs.lchownSync(host, owner.uid, owner.gid);
      created?.push(cur);
    } else if (!st.isDirectory()) throw new RootfsError(`mkdir ${cur}: not a directory`);
  }
  return resolveInRoot(root, p);
}

function readDb(root: string, file: string): string[][] {
  try {
    return fs.readFileSync(resolveInRoot(root, file), 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'));
  } catch {
    return [];
  }
}

export interface Ids {
  uid: number;
  gid: number;
  /** supplementary groups of a named user */
  groups: number[];
}

/**
 * USER / --chown "user[:group]" → numeric ids, names looked up in the
 * rootfs's /etc/passwd and /etc/group (as docker does). For --chown a user
 * without a group keeps the numeric uid as gid; for USER the user's primary group.
 */
export function lookupIds(root: string, spec: string, forChown: boolean): Ids {
  const [u, g] = spec.split(':', 2) as [string, string | undefined];
  const passwd = readDb(root, '/etc/passwd');
  let uid: number;
  let gid: number | undefined;
  let name: string | undefined;
  if (/^\d+$/.test(u)) {
    uid = Number(u);
    const row = passwd.find((r) => r[2] === u);
    if (row && !forChown) {
      gid = Number(row[3]);
      name = row[0];
    }
  } else {
    const row = passwd.find((r) => r[0] === u);
    if (!row) throw new RootfsError(`unable to find user ${u}: no matching entries in passwd file`);
    uid = Number(row[2]);
    name = u;
    gid = forChown ? undefined : Number(row[3]);
    if (forChown && g === undefined) gid = Number(row[3]);
  }
  const groupDb = readDb(root, '/etc/group');
  if (g !== undefined && g !== '') {
    if (/^\d+$/.test(g)) gid = Number(g);
    else {
      const row = groupDb.find((r) => r[0] === g);
      if (!row) throw new RootfsError(`unable to find group ${g}: no matching entries in group file`);
      gid = Number(row[2]);
    }
  }
  if (gid === undefined) gid = forChown ? uid : 0;
  const groups = name && !forChown && g === undefined ? groupDb.filter((r) => (r[3] ?? '').split(',').includes(name!)).map((r) => Number(r[2])) : [];
  return { uid, gid, groups: groups.filter((x) => x !== gid) };
}
