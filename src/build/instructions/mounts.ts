// RUN --mount=... as BuildKit reads it: comma-separated key=value fields,
// type bind by default.
import type { RunMount } from './types.js';

export function parseMount(spec: string): RunMount {
  const fields = spec.split(',').map((f) => f.trim()).filter(Boolean);
  const kv = new Map<string, string>();
  const flags = new Set<string>();
  for (const f of fields) {
    const eq = f.indexOf('=');
    if (eq < 0) flags.add(f.toLowerCase());
    else kv.set(f.slice(0, eq).toLowerCase(), f.slice(eq + 1));
  }
  const type = (kv.get('type') ?? 'bind') as RunMount['type'];
  if (!['bind', 'cache', 'tmpfs', 'secret', 'ssh'].includes(type)) throw new Error(`unsupported mount type "${type}"`);
  let target = kv.get('target') ?? kv.get('dst') ?? kv.get('destination');
  const id = kv.get('id');
  if (type === 'secret' && !target) {
    if (!id) throw new Error('secret mount requires an id or a target');
    target = `/run/secrets/${id}`;
  }
  if (!target) throw new Error(`mount type=${type} requires a target`);
  const bool = (name: string): boolean | undefined => {
    if (flags.has(name)) return true;
    const v = kv.get(name);
    return v === undefined ? undefined : v !== 'false';
  };
  const ro = bool('ro') ?? bool('readonly');
  const rw = bool('rw') ?? bool('readwrite');
  const m: RunMount = {
    type,
    target,
    readOnly: type === 'bind' ? rw !== true && ro !== false : ro === true,
    required: bool('required') ?? false,
  };
  const source = kv.get('source') ?? kv.get('src');
  if (source !== undefined) m.source = source;
  if (kv.has('from')) m.from = kv.get('from')!;
  if (type === 'secret' || type === 'cache' || type === 'ssh') m.id = id ?? (type === 'secret' ? target.split('/').pop()! : target);
  const sharing = kv.get('sharing');
  if (sharing !== undefined) {
    if (!['shared', 'private', 'locked'].includes(sharing)) throw new Error(`unsupported sharing value "${sharing}"`);
    m.sharing = sharing as RunMount['sharing'];
  }
  for (const k of ['mode', 'uid', 'gid'] as const) {
    const v = kv.get(k);
    if (v === undefined) continue;
    const num = k === 'mode' ? parseInt(v, 8) : Number(v);
    if (!Number.isInteger(num) || num < 0) throw new Error(`invalid ${k} "${v}"`);
    m[k] = num;
  }
  const size = kv.get('size');
  if (size !== undefined) m.size = Number(size);
  for (const k of kv.keys()) {
    if (!['type', 'target', 'dst', 'destination', 'source', 'src', 'from', 'id', 'sharing', 'mode', 'uid', 'gid', 'ro', 'readonly', 'rw', 'readwrite', 'required', 'size'].includes(k)) throw new Error(`unexpected key '${k}' in '${spec}'`);
  }
  return m;
}
