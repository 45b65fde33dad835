// conmon's k8s-file log: `<RFC3339Nano time> <stdout|stderr> <P|F> <content>`
// per record (notes §3). Reading it back for `logs`: since/until, tail, and
// follow across conmon's file replacement (--log-size-max, reopen).
import * as fs from 'node:fs';
import { createInterface } from 'node:readline';

export interface LogRecord {
  stream: 'stdout' | 'stderr';
  /** RFC3339 with nanoseconds, in UTC as conmon writes it with TZ=UTC */
  time: string;
  /** content, with the newline when the record ends a line */
  data: string;
}

export function parseRecord(line: string): LogRecord | undefined {
  const a = line.indexOf(' ');
  const b = line.indexOf(' ', a + 1);
  const c = line.indexOf(' ', b + 1);
  if (a < 0 || b < 0 || c < 0) return undefined;
  const stream = line.slice(a + 1, b);
  const tag = line.slice(b + 1, c);
  if ((stream !== 'stdout' && stream !== 'stderr') || (tag !== 'P' && tag !== 'F')) return undefined;
  const content = line.slice(c + 1);
  return { stream, time: toUtcZ(line.slice(0, a)), data: tag === 'F' ? content + '\n' : content };
}

/** "2024-01-01T10:00:00.123456789+00:00" → "2024-01-01T10:00:00.123456789Z" (docker's form). */
function toUtcZ(t: string): string {
  return t.endsWith('+00:00') ? t.slice(0, -6) + 'Z' : t;
}

/** Seconds since the epoch of a record time (nanoseconds dropped). */
export function recordSeconds(time: string): number {
  return Date.parse(time.replace(/\.(\d{3})\d*/, '.$1')) / 1000;
}

export interface ReadLogOptions {
  follow: boolean;
  /** only records after this (seconds since epoch, fractional) */
  since?: number;
  until?: number;
  /** last N lines; undefined = all */
  tail?: number;
  /** whether the container still runs (follow stops when it does not and the file is drained) */
  running: () => boolean;
  signal?: AbortSignal;
  /** older, rotated files, oldest first */
  rotated?: string[];
}

/** Yield the log's records (rotated files first), then (with follow) new ones until the container stops. */
export async function* readLog(file: string, o: ReadLogOptions): AsyncGenerator<LogRecord> {
  const keep = (r: LogRecord) => (o.since === undefined || recordSeconds(r.time) > o.since) && (o.until === undefined || recordSeconds(r.time) <= o.until);
  let fd: number | undefined;
  let offset = 0;
  try {
    fd = fs.openSync(file, 'r');
    offset = fs.fstatSync(fd).size;
  } catch {
    fd = undefined;
  }
  const recs: LogRecord[] = [];
  const sources = [...(o.rotated ?? []).map((f) => ({ f, end: undefined as number | undefined })), ...(fd !== undefined ? [{ f: file, end: offset }] : [])];
  for (const { f, end } of sources) {
    if (end === 0) continue;
    let input: fs.ReadStream;
    try {
      input = fs.createReadStream(f, end === undefined ? {} : { end: end - 1 });
    } catch {
      continue;
    }
    input.on('error', () => {});
    const rl = createInterface({ input, crlfDelay: Infinity });
    for await (const line of rl) {
      const r = parseRecord(line);
      if (!r || !keep(r)) continue;
      if (o.tail === undefined) {
        yield r;
        continue;
      }
      recs.push(r);
      if (recs.length > o.tail * 2 + 64) recs.splice(0, recs.length - o.tail);
    }
  }
  if (o.tail !== undefined) for (const r of recs.slice(Math.max(0, recs.length - o.tail))) yield r;
  if (!o.follow) {
    if (fd !== undefined) fs.closeSync(fd);
    return;
  }
  let pending = '';
  try {
    for (;;) {
      if (o.signal?.aborted) return;
      if (fd === undefined) {
        try {
          fd = fs.openSync(file, 'r');
          offset = 0;
        } catch {
          if (!o.running()) return;
          await waitChange(file, 250, o.signal);
          continue;
        }
      }
      const size = fs.fstatSync(fd).size;
      if (size < offset) offset = 0; // emptied in place (conmon's own --log-size-max)
      if (size > offset) {
        const buf = Buffer.alloc(size - offset);
        const n = fs.readSync(fd, buf, 0, buf.length, offset);
        offset += n;
        pending += buf.subarray(0, n).toString('utf8');
        let i: number;
        while ((i = pending.indexOf('\n')) >= 0) {
          const r = parseRecord(pending.slice(0, i));
          pending = pending.slice(i + 1);
          if (r && keep(r)) yield r;
        }
        continue;
      }
      // Drained this file. If the path now names another file, the log was rotated: move on to it.
      let pathIno: number | undefined;
      try {
        pathIno = fs.statSync(file).ino;
      } catch {
        pathIno = undefined;
      }
      if (pathIno !== undefined && pathIno !== fs.fstatSync(fd).ino) {
        fs.closeSync(fd);
        fd = undefined;
        pending = '';
        continue;
      }
      if (!o.running()) {
        // One more look: conmon writes the last lines before the exit file.
        if (fs.fstatSync(fd).size > offset) continue;
        return;
      }
      await waitChange(file, 250, o.signal);
    }
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
function waitChange(file: string, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    let w: fs.FSWatcher | undefined;
    const done = () => {
      clearTimeout(t);
      w?.close();
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    try {
      w = fs.watch(file, done);
    } catch {
      /* file not there yet: the timer will do */
    }
    signal?.addEventListener('abort', done);
  });
}
