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
}

/** Yield the log's records, then (with follow) new ones until the container stops. */
export async function* readLog(file: string, o: ReadLogOptions): AsyncGenerator<LogRecord> {
  const keep = (r: LogRecord) => (o.since === undefined || recordSeconds(r.time) > o.since) && (o.until === undefined || recordSeconds(r.time) <= o.until);
  let offset = 0;
  let ino = 0;
  try {
    const st = fs.statSync(file);
    ino = st.ino;
    offset = st.size;
  } catch {
    if (!o.follow) return;
  }
  if (ino) {
    const recs: LogRecord[] = [];
    const rl = createInterface({ input: fs.createReadStream(file, { end: offset - 1 }), crlfDelay: Infinity });
    for await (const line of rl) {
      const r = parseRecord(line);
      if (!r || !keep(r)) continue;
      recs.push(r);
      if (o.tail !== undefined && recs.length > o.tail * 2 + 64) recs.splice(0, recs.length - o.tail);
    }
    const start = o.tail === undefined ? 0 : Math.max(0, recs.length - o.tail);
    for (const r of recs.slice(start)) yield r;
  }
  if (!o.follow) return;
  let pending = '';
  for (;;) {
    if (o.signal?.aborted) return;
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(file);
    } catch {
      st = undefined;
    }
    if (st && (st.ino !== ino || st.size < offset)) {
      // conmon replaced the file (size limit or reopen): start over in the new one.
      ino = st.ino;
      offset = 0;
      pending = '';
    }
    if (st && st.size > offset) {
      const fd = fs.openSync(file, 'r');
      const buf = Buffer.alloc(st.size - offset);
      const n = fs.readSync(fd, buf, 0, buf.length, offset);
      fs.closeSync(fd);
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
    if (!o.running()) {
      // One more look: conmon writes the last lines before the exit file.
      const again = fs.existsSync(file) ? fs.statSync(file) : undefined;
      if (!again || (again.ino === ino && again.size <= offset)) return;
      continue;
    }
    await waitChange(file, 250, o.signal);
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
