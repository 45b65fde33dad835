// The smallest SpecOptions the spec unit tests start from.
import type { SpecOptions } from '../spec.js';

export const BASE_SPEC: SpecOptions = {
  id: 'abc',
  rootfs: '/c/abc/rootfs',
  args: ['sh'],
  env: ['PATH=/bin'],
  cwd: '',
  user: { uid: 0, gid: 0 },
  hostname: 'abc',
  terminal: false,
  network: { mode: 'netns', path: '/run/netns/berth-abc' },
};
