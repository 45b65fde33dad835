import { runDriverSuite } from '../testsuite.js';
import { MemoryDriver } from './driver.js';

runDriverSuite('inmemory', async () => ({ driver: new MemoryDriver(), cleanup: async () => {} }));
