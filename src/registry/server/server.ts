// The registry's HTTP(S) server: node's http/https with the Router, tuned for
// large streamed bodies (no request timeout for 500 MB layers).
import * as http from 'node:http';
import * as https from 'node:https';
import type { Logger } from '../../common/log.js';
import type { Registry } from '../store/registry.js';
import type { ServerOptions } from './options.js';
import { Router } from './router.js';

export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

export function createRegistryServer(reg: Registry, opts: ServerOptions, log: Logger, tls?: TlsFiles): http.Server {
  const router = new Router(reg, opts, log);
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    void router.handle(req, res);
  };
  const common = { requestTimeout: 0, keepAliveTimeout: 75_000, highWaterMark: 1024 * 1024 };
  const server: http.Server = tls ? https.createServer({ ...common, cert: tls.cert, key: tls.key }, handler) : http.createServer(common, handler);
  server.on('clientError', (err, socket) => {
    log.debug('client error', { err: err.message });
    socket.destroy();
  });
  return server;
}
