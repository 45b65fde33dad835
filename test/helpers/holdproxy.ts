// A unix-socket proxy in front of a TestDaemon that forces one ordering: the
// answer to a container start is held back until the attach connection opened
// before it has been closed both ways (the daemon closed it when the container
// exited, and the client closed its side in answer). A client then learns that
// its attach stream ended before it learns that the start succeeded, which is
// what happens by chance to a short container on a loaded machine. Bytes are
// forwarded unchanged; only the time the start's answer is delivered changes.
import * as net from 'node:net';
import * as path from 'node:path';

/** `POST /v1.41/containers/<id>/start` (berth's CLI opens one connection per request; docker's reuses them). */
const START = /POST \S*\/containers\/[^/\s?]+\/start[\s?]/;
const ATTACH = /^POST \S*\/containers\/[^/\s?]+\/attach[\s?]/;

export class StartHoldProxy {
  readonly socket: string;
  readonly host: string;
  /** start answers that were held until an attach connection had closed */
  held = 0;
  private readonly server: net.Server;
  private readonly open = new Set<net.Socket>();
  private attachClosed: Promise<void> | undefined;

  constructor(private readonly upstream: string, dir: string) {
    this.socket = path.join(dir, 'hold-proxy.sock');
    this.host = `unix://${this.socket}`;
    this.server = net.createServer({ allowHalfOpen: true }, (c) => this.accept(c));
  }

  listen(): Promise<this> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.socket, () => resolve(this));
    });
  }

  close(): Promise<void> {
    for (const s of this.open) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private track(s: net.Socket): void {
    this.open.add(s);
    s.on('close', () => this.open.delete(s));
    s.on('error', () => s.destroy());
  }

  private accept(client: net.Socket): void {
    const up = net.createConnection({ path: this.upstream, allowHalfOpen: true });
    this.track(client);
    this.track(up);
    client.on('close', () => up.destroy());
    up.on('close', () => client.destroy());
    let sent = '';
    let isAttach: boolean | undefined;
    let hold: Promise<void> | undefined;
    const queue: (Buffer | null)[] = [];
    let releasing = false;
    client.on('data', (d: Buffer) => {
      sent += d.toString('latin1');
      if (isAttach === undefined && sent.includes('\r\n')) {
        isAttach = ATTACH.test(sent);
        if (isAttach) this.attachClosed = bothEnded(client, up);
      }
      if (!hold && START.test(sent) && this.attachClosed) {
        hold = this.attachClosed;
        void hold.then(() => {
          this.held++;
          releasing = true;
          for (const b of queue.splice(0)) {
            if (b) client.write(b);
            else client.end();
          }
        });
      }
      up.write(d);
    });
    client.on('end', () => up.end());
    up.on('data', (d: Buffer) => {
      if (hold && !releasing) queue.push(d);
      else client.write(d);
    });
    up.on('end', () => {
      if (hold && !releasing) queue.push(null);
      else client.end();
    });
  }
}

/** Resolves once both sides of a proxied connection have sent their FIN (or it broke). */
function bothEnded(a: net.Socket, b: net.Socket): Promise<void> {
  const ended = (s: net.Socket) => new Promise<void>((r) => (s.once('end', () => r()), s.once('close', () => r())));
  return Promise.all([ended(a), ended(b)]).then(() => undefined);
}
