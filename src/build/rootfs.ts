// A build stage's users and groups: USER and COPY --chown names looked up in
// the stage's own /etc/passwd and /etc/group. Paths in the stage resolve
// through common/inroot (symlinks followed as if the stage were `/`), which
// this module re-exports for the builder.
import { ETC_FILE_MAX, InRootError, readTextInRoot } from '../common/inroot.js';

export { mkdirInRoot, resolveInRoot } from '../common/inroot.js';

export class RootfsError extends Error {}

async function readDb(root: string, file: string): Promise<string[][]> {
  let text: string | undefined;
  try {
    text = await readTextInRoot(root, file, { maxBytes: ETC_FILE_MAX });
  } catch (err) {
    // a FIFO, a device, a directory or a huge file where the database should be
    if (err instanceof InRootError) throw new RootfsError(`unable to read ${err.message}`);
    throw err;
  }
  return (text ?? '').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'));
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
export async function lookupIds(root: string, spec: string, forChown: boolean): Promise<Ids> {
  const [u, g] = spec.split(':', 2) as [string, string | undefined];
  const passwd = await readDb(root, '/etc/passwd');
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
  const groupDb = await readDb(root, '/etc/group');
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
