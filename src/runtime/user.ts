// docker's -u / USER: "name", "uid", "name:group", "uid:gid", resolved against
// the image's /etc/passwd and /etc/group (given as text: this stays pure).
import { invalidArgument } from '../common/errors.js';

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
}

interface PasswdEntry { name: string; uid: number; gid: number; home: string }
interface GroupEntry { name: string; gid: number; members: string[] }

function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 7 || line.startsWith('#')) continue;
    out.push({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5]! });
  }
  return out;
}

function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 4 || line.startsWith('#')) continue;
    out.push({ name: f[0]!, gid: Number(f[2]), members: f[3]!.split(',').filter(Boolean) });
  }
  return out;
}

const isNum = (s: string) => /^\d+$/.test(s);

/** Resolve `spec` (empty = root) as docker does; unknown names are an error, unknown numbers are fine. */
export function resolveUser(spec: string, passwdText: string, groupText: string): ResolvedUser {
  const [u = '', g] = spec.split(':', 2) as [string, string | undefined];
  const users = parsePasswd(passwdText);
  const groups = parseGroup(groupText);
  const user = u === '' ? users.find((x) => x.uid === 0) : isNum(u) ? users.find((x) => x.uid === Number(u)) : users.find((x) => x.name === u);
  if (!user && u !== '' && !isNum(u)) throw invalidArgument(`unable to find user ${u}: no matching entries in passwd file`);
  const uid = user?.uid ?? (u === '' ? 0 : Number(u));
  let gid = user?.gid ?? 0;
  if (g !== undefined && g !== '') {
    if (isNum(g)) gid = Number(g);
    else {
      const grp = groups.find((x) => x.name === g);
      if (!grp) throw invalidArgument(`unable to find group ${g}: no matching entries in group file`);
      gid = grp.gid;
    }
  }
  const additionalGids = user && g === undefined ? groups.filter((x) => x.members.includes(user.name) && x.gid !== gid).map((x) => x.gid) : [];
  return { uid, gid, additionalGids, home: user?.home ?? '/' };
}
