// The Engine API server: an HTTP server on a unix socket (0660, group berth)
// and optionally TCP, dispatching to the routes.
import * as http from 'node:http';
import { chmodSync, chownSync, existsSync, unlinkSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { invalidArgument } from '../common/errors.js';
import type { Daemon } from '../daemon/index.js';
import { Router } from './router.js';
import { systemRoutes } from './handlers/system.js';
import { imageRoutes } from './handlers/images.js';
import { distributionRoutes } from './handlers/distribution.js';
import { buildRoutes } from './handlers/build.js';
import { containerRoutes } from './handlers/containers.js';
import { containerIoRoutes } from './handlers/container-io.js';
import { execRoutes } from './handlers/exec.js';
import { containerOpsRoutes } from './handlers/container-ops.js';
import { swarmRoutes } from './handlers/swarm.js';

export function buildRouter(): Router {
  const r = new Router();
  systemRoutes(r);
  distributionRoutes(r);
  imageRoutes(r);
  buildRoutes(r);
  containerRoutes(r);
  containerIoRoutes(r);
  execRoutes(r);
  containerOpsRoutes(r);
  swarmRoutes(r);
  return r;
}

function groupId(name: string): number | undefined {
  try {
    const line = execFileSync('getent', ['group', name], { encoding: 'utf8' });
    const gid = Number(line.split(':')[2]);
    return Number.isInteger(gid) ? gid : undefined;
  } catch {
    return undefined;
  }
}

export interface ApiServer {
  servers: http.Server[];
  close(): Promise<void>;
}

export async function listen(daemon: Daemon, hosts: string[], group: string): Promise<ApiServer> {
  const router = buildRouter();
  const servers: http.Server[] = [];
  const sockets: string[] = [];
  for (const h of hosts) {
    const server = http.createServer((req, res) => void router.dispatch(daemon, req, res));
    // attach and exec start ask for `Upgrade: tcp` and get the raw connection (docker's hijack)
    server.on('upgrade', (req: http.IncomingMessage, socket: import('node:stream').Duplex, head: Buffer) => void router.dispatchUpgrade(daemon, req, socket, head));
    server.keepAliveTimeout = 30_000;
    server.headersTimeout = 0;
    server.requestTimeout = 0;
    if (h.startsWith('unix://')) {
      const p = h.slice('unix://'.length);
      if (existsSync(p)) unlinkSync(p);
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(p, () => resolve()));
      chmodSync(p, 0o660);
      const gid = groupId(group);
      if (gid !== undefined) chownSync(p, 0, gid);
      sockets.push(p);
    } else if (h.startsWith('tcp://')) {
      const u = new URL(h);
      const host = u.hostname.replace(/^\[|\]$/g, '');
      if (!['127.0.0.1', 'localhost', '::1'].includes(host)) {
        throw invalidArgument(`refusing to listen on ${h} without TLS: only loopback TCP is allowed until TLS is configured`);
      }
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(Number(u.port || 2375), host, () => resolve()));
    } else {
      throw invalidArgument(`invalid host "${h}": expected unix:///path or tcp://host:port`);
    }
    servers.push(server);
  }
  return {
    servers,
    close: async () => {
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeIdleConnections();
              // Long requests (a load in flight) get a grace period, then go.
              setTimeout(() => s.closeAllConnections(), 10_000).unref();
            }),
        ),
      );
      for (const p of sockets) if (existsSync(p)) unlinkSync(p);
    },
  };
}
