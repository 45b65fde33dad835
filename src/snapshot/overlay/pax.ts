// tar-stream decodes every PAX record value as UTF-8. Extended attributes are
// binary (security.capability is a packed struct), and a UTF-8 round trip
// turns their high bytes into U+FFFD. So the PAX decoder is wrapped once to
// also keep the raw bytes of every SCHILY.xattr.* record, under a symbol key
// that tar-stream copies along with the rest of the record set and that other
// users of tar-stream never see.
import { createRequire } from 'node:module';

export const XATTR_PAX_PREFIX = 'SCHILY.xattr.';
const RAW_XATTRS = Symbol.for('berth.tar-stream.rawXattrs');
const WRAPPED = Symbol.for('berth.tar-stream.decodePaxWrapped');

type PaxRecords = Record<string | symbol, unknown>;
interface HeadersModule {
  decodePax: ((buf: Buffer) => PaxRecords) & { [WRAPPED]?: true };
}

/** The SCHILY.xattr.* records of a PAX block, with their values as bytes. */
export function parseRawXattrs(buf: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let at = 0;
  while (at < buf.length) {
    const space = buf.indexOf(0x20, at);
    if (space === -1) break;
    const len = Number.parseInt(buf.toString('latin1', at, space), 10);
    if (!Number.isSafeInteger(len) || len <= space - at || at + len > buf.length) break;
    const record = buf.subarray(space + 1, at + len - 1); // drop the trailing "\n"
    const eq = record.indexOf(0x3d);
    if (eq !== -1) {
      const key = record.toString('utf8', 0, eq);
      if (key.startsWith(XATTR_PAX_PREFIX)) out.set(key.slice(XATTR_PAX_PREFIX.length), Buffer.from(record.subarray(eq + 1)));
    }
    at += len;
  }
  return out;
}

let installed = false;

/** Make tar-stream keep raw xattr bytes; idempotent. */
export function installRawXattrDecoding(): void {
  if (installed) return;
  const headers = createRequire(import.meta.url)('tar-stream/headers.js') as HeadersModule;
  if (!headers.decodePax[WRAPPED]) {
    const original = headers.decodePax;
    const wrapped = (buf: Buffer): PaxRecords => {
      const records = original(buf);
      const raw = parseRawXattrs(buf);
      if (raw.size > 0) records[RAW_XATTRS] = raw;
      return records;
    };
    headers.decodePax = Object.assign(wrapped, { [WRAPPED]: true as const });
  }
  installed = true;
}

/** The xattrs of an entry's PAX records: raw bytes when available, else the decoded strings. */
export function entryXattrs(pax: unknown): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  if (!pax || typeof pax !== 'object') return out;
  const records = pax as PaxRecords;
  for (const [k, v] of Object.entries(records)) {
    if (k.startsWith(XATTR_PAX_PREFIX) && typeof v === 'string') out.set(k.slice(XATTR_PAX_PREFIX.length), Buffer.from(v));
  }
  const raw = records[RAW_XATTRS];
  if (raw instanceof Map) for (const [k, v] of raw as Map<string, Buffer>) out.set(k, v);
  return out;
}

/** A PAX time value ("1700000000.123456789") in seconds, if present and valid. */
export function paxTime(pax: unknown, key: 'mtime' | 'atime'): number | undefined {
  if (!pax || typeof pax !== 'object') return undefined;
  const v = (pax as PaxRecords)[key];
  if (typeof v !== 'string' || !/^-?\d+(\.\d+)?$/.test(v)) return undefined;
  return Number.parseFloat(v);
}
