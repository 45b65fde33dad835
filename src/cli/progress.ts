// Renders docker's JSON progress stream as the docker CLI does: in a terminal
// one line per layer id, updated in place; otherwise a line per status
// change (byte progress is left out, as docker leaves it out of pipes).
export interface Message {
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  aux?: unknown;
}

export class ProgressRenderer {
  private readonly lines: string[] = [];
  private readonly last = new Map<string, string>();
  constructor(private readonly out: NodeJS.WriteStream, private readonly tty = Boolean(out.isTTY)) {}

  private text(m: Message): string {
    const s = m.status ?? '';
    return m.id ? `${m.id}: ${s}${m.progress && this.tty ? ' ' + m.progress : ''}` : s;
  }

  write(raw: Record<string, unknown>): void {
    const m = raw as Message;
    if (m.aux !== undefined && m.status === undefined) return;
    if (m.status === undefined) return;
    if (!this.tty) {
      if (m.id && m.progressDetail?.current !== undefined && ['Downloading', 'Pushing', 'Extracting'].includes(m.status)) return;
      if (m.id && this.last.get(m.id) === m.status) return;
      if (m.id) this.last.set(m.id, m.status);
      this.out.write(this.text(m) + '\n');
      return;
    }
    if (!m.id) {
      this.out.write(this.text(m) + '\n');
      // lines above are final now
      this.lines.length = 0;
      return;
    }
    const i = this.lines.indexOf(m.id);
    if (i === -1) {
      this.lines.push(m.id);
      this.out.write(this.text(m) + '\n');
      return;
    }
    const up = this.lines.length - i;
    this.out.write(`\x1b[${up}A\r\x1b[2K${this.text(m)}\r\x1b[${up}B`);
  }
}
