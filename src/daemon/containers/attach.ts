// One client attached to a container's stdio through conmon's attach socket
// (SOCK_SEQPACKET: 1 byte stream id, 2 = stdout, 3 = stderr, then payload;
// what the client writes goes to the container's stdin unframed). A session can
// exist before the container starts: stdin written meanwhile is kept, and it is
// connected between `runc create` and `runc start`, so no output is missed.
import { SeqpacketSocket } from '../../common/seqpacket.js';

export type OutputStream = 'stdout' | 'stderr';

export interface AttachSink {
  output(stream: OutputStream, data: Buffer): void;
  /** the container's side ended (conmon closed the socket at exit, or the session was closed) */
  end(): void;
}

export class AttachSession {
  private sock: SeqpacketSocket | undefined;
  private queued: Buffer[] = [];
  private stdinClosed = false;
  private closed = false;

  constructor(readonly wantStdin: boolean, private readonly sink: AttachSink) {}

  /** Connect to conmon's socket and pump its messages to the sink until EOF. */
  connect(path: string): void {
    if (this.closed) return;
    this.sock = SeqpacketSocket.connect(path);
    for (const b of this.queued) this.sock.send(b);
    this.queued = [];
    if (this.stdinClosed && this.wantStdin) this.sock.shutdownWrite();
    void this.pump(this.sock);
  }

  private async pump(sock: SeqpacketSocket): Promise<void> {
    try {
      for (;;) {
        const m = await sock.recv();
        if (m === null) break;
        if (m.length < 1) continue;
        const id = m[0];
        if (id === 2 || id === 3) this.sink.output(id === 3 ? 'stderr' : 'stdout', m.subarray(1));
      }
    } catch {
      /* the socket went away: same as EOF */
    }
    this.close();
  }

  write(data: Buffer): void {
    if (!this.wantStdin || this.closed || this.stdinClosed) return;
    if (this.sock) this.sock.send(data);
    else this.queued.push(data);
  }

  /** The client's stdin ended: closes the container's stdin unless it was created with StdinOnce=false. */
  closeStdin(): void {
    if (this.stdinClosed) return;
    this.stdinClosed = true;
    if (this.wantStdin) this.sock?.shutdownWrite();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sock?.close();
    this.sink.end();
  }

  get isClosed(): boolean {
    return this.closed;
  }
}
