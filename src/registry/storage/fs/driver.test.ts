import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runDriverSuite } from '../testsuite.js';
import { FilesystemDriver } from './driver.js';

runDriverSuite('filesystem', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'berth-fsdriver-'));
  return { driver: new FilesystemDriver(dir), cleanup: () => rm(dir, { recursive: true, force: true }) };
});
