// Swarm mode is not part of berth: the swarm, service, node, task, secret and config routes
// answer as a dockerd that is not in a swarm does (503), which clients such as docker-py's
// test teardown rely on to tell "no swarm" from "no such endpoint".
import { unavailable } from '../../common/errors.js';
import type { Router } from '../router.js';

const NOT_MANAGER = 'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.';

/** dockerd's swarm-mode routes (api/server/router/swarm), by method. */
const ROUTES: [string, string][] = [
  ['GET', '/swarm'], ['GET', '/swarm/unlockkey'], ['POST', '/swarm/init'], ['POST', '/swarm/join'],
  ['POST', '/swarm/update'], ['POST', '/swarm/unlock'],
  ['GET', '/services'], ['GET', '/services/{id}'], ['GET', '/services/{id}/logs'], ['POST', '/services/create'],
  ['POST', '/services/{id}/update'], ['DELETE', '/services/{id}'],
  ['GET', '/nodes'], ['GET', '/nodes/{id}'], ['DELETE', '/nodes/{id}'], ['POST', '/nodes/{id}/update'],
  ['GET', '/tasks'], ['GET', '/tasks/{id}'], ['GET', '/tasks/{id}/logs'],
  ['GET', '/secrets'], ['POST', '/secrets/create'], ['GET', '/secrets/{id}'], ['DELETE', '/secrets/{id}'], ['POST', '/secrets/{id}/update'],
  ['GET', '/configs'], ['POST', '/configs/create'], ['GET', '/configs/{id}'], ['DELETE', '/configs/{id}'], ['POST', '/configs/{id}/update'],
];

export function swarmRoutes(r: Router): void {
  // leaving is the one that says "not part of a swarm" (a worker could leave, too)
  r.add('POST', '/swarm/leave', () => {
    throw unavailable('This node is not part of a swarm');
  });
  for (const [method, pattern] of ROUTES) {
    r.add(method, pattern, () => {
      throw unavailable(NOT_MANAGER);
    });
  }
}
