// The client side of a hijacked attach/exec stream: stdcopy demux without a
// TTY, raw bytes with one; stdin forwarding, raw mode and SIGWINCH resizes.
import type { Duplex } from 'node:stream';

export function demux(onOut: (stream: number, data: Buffer) => void): (chunk: Buffer) => void {
  let buf: Buffer = Buffer.alloc(0);
  return (chunk) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    while (buf.length >= 8) {
      const size = buf.readUInt32BE(4);
      if (buf.length < 8 + size) break;
      onOut(buf[0]!, buf.subarray(8, 8 + size));
      buf = buf.subarray(8 + size);
    }
  };
}

export interface StreamOptions {
  tty: boolean;
  stdin: boolean;
  /** called with (rows, cols) at start and on SIGWINCH when tty */
  resize?: (rows: number, cols: number) => Promise<void>;
}

/** Pump a hijacked connection until the daemon closes it. */
export function pumpStreams(conn: { socket: Duplex; head: Buffer }, o: StreamOptions): Promise<void> {
  const { socket, head } = conn;
  const out = o.tty ? (d: Buffer) => process.stdout.write(d) : demux((s, d) => (s === 2 ? process.stderr : process.stdout).write(d));
  const stdin = process.stdin;
  const raw = o.tty && o.stdin && stdin.isTTY;
  if (raw) stdin.setRawMode(true);
  const onWinch = () => {
    if (o.resize && process.stdout.isTTY) void o.resize(process.stdout.rows, process.stdout.columns).catch(() => {});
  };
  if (o.tty) process.on('SIGWINCH', onWinch);
  return new Promise((resolve) => {
    if (head.length) out(head);
    socket.on('data', (d: Buffer) => out(d));
    let finished = false;
    const done = () => {
      if (finished) return;
      finished = true;
      if (raw) stdin.setRawMode(false);
      if (o.tty) process.off('SIGWINCH', onWinch);
      if (o.stdin) {
        stdin.unpipe(socket);
        stdin.pause();
        stdin.destroy();
      }
      resolve();
    };
    socket.on('end', done);
    socket.on('close', done);
    socket.on('error', done);
    if (o.stdin) {
      stdin.on('data', (d: Buffer) => socket.write(d));
      stdin.on('end', () => (socket as Duplex & { end(): void }).end());
    }
    // 'end' and 'close' fire once: a connection that already ended (nothing was buffered) or was
    // destroyed before this pump began would otherwise keep it waiting for ever
    if (socket.readableEnded || socket.destroyed) done();
  });
}
