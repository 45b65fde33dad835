// Docker's stream conventions: stdcopy framing (8-byte header: stream id,
// three zero bytes, big-endian length) when there is no TTY, and the hijacked
// connection of attach and exec start.
import type { Ctx } from './router.js';

export const STDOUT = 1;
export const STDERR = 2;

export function frame(stream: number, data: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(data.length, 4);
  return Buffer.concat([h, data]);
}

export interface Hijacked {
  write(b: Buffer): void;
  end(): void;
  /** bytes from the client (stdin); with an upgrade only */
  onInput(cb: (b: Buffer) => void): void;
  /** the client half-closed its side */
  onInputEnd(cb: () => void): void;
  /** the connection is gone */
  onClose(cb: () => void): void;
}

/**
 * Take over the connection: 101 UPGRADED when the client asked for it, else
 * docker's 200 with a raw stream (output only).
 */
export function hijack(ctx: Ctx, multiplexed: boolean): Hijacked {
  const type = multiplexed && ctx.version >= 1042 ? 'application/vnd.docker.multiplexed-stream' : 'application/vnd.docker.raw-stream';
  if (ctx.upgrade) {
    const { socket, head } = ctx.upgrade;
    ctx.res.detachSocket(socket as unknown as import('node:net').Socket);
    socket.write(`HTTP/1.1 101 UPGRADED\r\nContent-Type: ${type}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`);
    return {
      write: (b) => void (socket.writable && socket.write(b)),
      end: () => socket.end(),
      onInput: (cb) => {
        if (head.length) setImmediate(() => cb(head));
        socket.on('data', cb);
      },
      onInputEnd: (cb) => socket.on('end', cb),
      onClose: (cb) => socket.on('close', cb),
    };
  }
  ctx.res.writeHead(200, { 'Content-Type': type });
  ctx.res.flushHeaders();
  return {
    write: (b) => void (!ctx.res.writableEnded && ctx.res.write(b)),
    end: () => ctx.res.end(),
    onInput: () => {},
    onInputEnd: () => {},
    onClose: (cb) => ctx.res.on('close', cb),
  };
}
