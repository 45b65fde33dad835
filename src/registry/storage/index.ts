export type { StorageDriver, FileInfo, FileWriter } from './driver.js';
export { checkPath } from './driver.js';
export { FilesystemDriver } from './fs/driver.js';
export { MemoryDriver } from './memory/driver.js';
export * as paths from './paths.js';
