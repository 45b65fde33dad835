// Pure rules for names found in an untrusted layer tar: where an entry lands
// inside the layer, and which names are OCI whiteouts. Kept apart from the
// unpacker so that the rules can be tested without a filesystem.

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_WHITEOUT = '.wh..wh..opq';
/** Names starting with this are whiteout metadata (aufs hardlink dirs etc.), not whiteouts. */
export const WHITEOUT_META_PREFIX = '.wh..wh.';

export class UnsafePathError extends Error {}

/**
 * The path of a tar entry relative to the layer root, as "a/b/c" ("" is the
 * root itself). Leading "/" and "./" are dropped, as are "." components and
 * repeated slashes; ".." is resolved lexically, and a name that climbs above
 * the root is refused. Lexical resolution is enough because the unpacker
 * never follows a symlink, so "a/../b" means "b" whatever "a" is.
 */
export function normalizeEntryPath(name: string): string {
  if (name.includes('\0')) throw new UnsafePathError('name contains a NUL byte');
  const out: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) throw new UnsafePathError('path escapes the layer root');
      out.pop();
      continue;
    }
    out.push(part);
  }
  return out.join('/');
}

export type WhiteoutKind =
  | { kind: 'none' }
  /** `.wh..wh..opq`: the directory `dir` hides everything below it in lower layers. */
  | { kind: 'opaque'; dir: string }
  /** `.wh.<name>`: `dir/name` is deleted. */
  | { kind: 'whiteout'; dir: string; name: string }
  /** other `.wh..wh.*` names: bookkeeping of other tools, skipped. */
  | { kind: 'meta' };

/** Classify a normalised entry path (see normalizeEntryPath). */
export function classifyWhiteout(path: string): WhiteoutKind {
  const slash = path.lastIndexOf('/');
  const dir = slash === -1 ? '' : path.slice(0, slash);
  const base = path.slice(slash + 1);
  if (!base.startsWith(WHITEOUT_PREFIX)) return { kind: 'none' };
  if (base === OPAQUE_WHITEOUT) return { kind: 'opaque', dir };
  if (base.startsWith(WHITEOUT_META_PREFIX)) return { kind: 'meta' };
  const name = base.slice(WHITEOUT_PREFIX.length);
  if (name === '' || name === '.' || name === '..') throw new UnsafePathError(`invalid whiteout name "${base}"`);
  return { kind: 'whiteout', dir, name };
}

/** Join a normalised relative path onto the directory it is relative to. */
export function joinUnder(root: string, rel: string): string {
  return rel === '' ? root : `${root}/${rel}`;
}

/** Device nodes other than whiteouts belong in /dev; anywhere else they are refused. */
export function deviceAllowedAt(path: string): boolean {
  return path.startsWith('dev/');
}
