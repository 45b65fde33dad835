// AF_UNIX SOCK_SEQPACKET client sockets (conmon's attach socket), which Node's
// net module cannot open. Each receive is a blocking recv(2) on a libuv pool
// thread (koffi's async call), so the event loop stays free; close() shuts the
// socket down first so that a pending recv returns.
import { createRequire } from 'node:module';
import type * as Koffi from 'koffi';

type Fn = ((...args: unknown[]) => unknown) & { async: (...args: unknown[]) => void };

interface Sock {
  koffi: typeof Koffi;
  socket: Fn;
  connect: Fn;
  recv: Fn;
  send: Fn;
  shutdown: Fn;
  close: Fn;
  strerror: Fn;
}

let lib: Sock | undefined;
function load(): Sock {
  if (lib) return lib;
  const koffi = createRequire(import.meta.url)('koffi') as typeof Koffi;
  const c = koffi.load('libc.so.6');
  lib = {
    koffi,
    socket: c.func('int socket(int domain, int type, int protocol)') as Fn,
    connect: c.func('int connect(int fd, const void *addr, uint32_t len)') as Fn,
    recv: c.func('intptr_t recv(int fd, _Out_ void *buf, size_t len, int flags)') as Fn,
    send: c.func('intptr_t send(int fd, const void *buf, size_t len, int flags)') as Fn,
    shutdown: c.func('int shutdown(int fd, int how)') as Fn,
    close: c.func('int close(int fd)') as Fn,
    strerror: c.func('const char *strerror(int errnum)') as Fn,
  };
  return lib;
}

const AF_UNIX = 1;
const SOCK_SEQPACKET = 5;
const SOCK_CLOEXEC = 0o2000000;
const MSG_NOSIGNAL = 0x4000;
export const SHUT_WR = 1;
const SHUT_RDWR = 2;

function errnoError(l: Sock, what: string): Error {
  const e = l.koffi.errno();
  const err = new Error(`${what}: ${String(l.strerror(e))}`) as NodeJS.ErrnoException;
  err.errno = e;
  return err;
}

export class SeqpacketSocket {
  private closed = false;
  private pending = 0;
  private fdClosed = false;
  private constructor(private readonly fd: number) {}

  /** Connect to a socket path (at most 107 bytes, as sockaddr_un allows). */
  static connect(path: string): SeqpacketSocket {
    const l = load();
    const p = Buffer.from(path);
    if (p.length > 107) throw new Error(`socket path too long (${p.length} bytes): ${path}`);
    const fd = l.socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0) as number;
    if (fd < 0) throw errnoError(l, 'socket');
    const addr = Buffer.alloc(110);
    addr.writeUInt16LE(AF_UNIX, 0);
    p.copy(addr, 2);
    if ((l.connect(fd, addr, 2 + p.length + 1) as number) !== 0) {
      const err = errnoError(l, `connect ${path}`);
      l.close(fd);
      throw err;
    }
    return new SeqpacketSocket(fd);
  }

  /** One message, or null at end of stream (peer closed, or this socket was closed). */
  recv(size = 8193): Promise<Buffer | null> {
    const l = load();
    if (this.closed) return Promise.resolve(null);
    const buf = Buffer.alloc(size);
    this.pending++;
    return new Promise((resolve, reject) => {
      l.recv.async(this.fd, buf, size, 0, (err: unknown, n: unknown) => {
        this.pending--;
        if (this.closed) this.release();
        if (err) return reject(err instanceof Error ? err : new Error(String(err)));
        const got = Number(n);
        if (got < 0) return this.closed ? resolve(null) : reject(errnoError(l, 'recv'));
        resolve(got === 0 ? null : buf.subarray(0, got));
      });
    });
  }

  send(data: Buffer): void {
    const l = load();
    if (this.closed) return;
    for (let off = 0; off < data.length; ) {
      const chunk = data.subarray(off, off + 8192);
      const n = Number(l.send(this.fd, chunk, chunk.length, MSG_NOSIGNAL));
      if (n < 0) throw errnoError(l, 'send');
      off += n;
    }
  }

  shutdownWrite(): void {
    if (!this.closed) load().shutdown(this.fd, SHUT_WR);
  }

  /** Shut down (waking any pending recv) and close once it has returned. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const l = load();
    l.shutdown(this.fd, SHUT_RDWR);
    // With a recv in flight on a pool thread the fd is closed when it returns, so the number cannot be reused under it.
    this.release();
  }

  private release(): void {
    if (this.pending > 0 || this.fdClosed) return;
    this.fdClosed = true;
    load().close(this.fd);
  }
}
