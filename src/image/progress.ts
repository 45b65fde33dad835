// Docker's JSON progress messages (jsonmessage.JSONMessage), as pull and push
// emit them, and a throttle so a fast download does not flood the stream.
export interface ProgressMessage {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  /** the rendered bar docker also sends, e.g. "[=====>    ]  1.2MB/3.4MB" */
  progress?: string;
  /** push's closing record: {Tag, Digest, Size} */
  aux?: Record<string, unknown>;
}

export type ProgressSink = (m: ProgressMessage) => void;

function human(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)}${units[i]}`;
}

/** Docker's progress bar text: 50 cells, ">" at the head. */
export function progressBar(current: number, total?: number): string {
  if (!total || total <= 0) return `${human(current)}`;
  const width = 50;
  const filled = Math.min(width, Math.floor((current / total) * width));
  const bar = '='.repeat(Math.max(0, filled - 1)) + (filled > 0 ? '>' : '') + ' '.repeat(width - filled);
  return `[${bar}]  ${human(current)}/${human(total)}`;
}

/** Report byte progress at most every `ms` milliseconds per id, and always the last value. */
export function byteProgress(sink: ProgressSink, status: string, id: string, total: number | undefined, ms = 100): (current: number, force?: boolean) => void {
  let last = 0;
  return (current, force = false) => {
    const now = Date.now();
    if (!force && now - last < ms && current !== total) return;
    last = now;
    sink({ status, id, progressDetail: { current, ...(total !== undefined ? { total } : {}) }, progress: progressBar(current, total) });
  };
}
