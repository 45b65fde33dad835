// The registry subsystem's public surface.
export { registryCommand } from './command.js';
export { startRegistry, serveRegistry, gcRegistry, resolveConfig, type RegistryFlags, type RunningRegistry } from './serve.js';
export { parseConfig, loadConfig, defaultConfig, type RegistryConfig } from './config.js';
export type { StorageDriver } from './storage/driver.js';
export type { GcReport } from './store/gc.js';
export {
  RegistryClient,
  RegistryError,
  Repository,
  MANIFEST_ACCEPT,
  isInsecure,
  parseChallenges,
  type RegistryClientOptions,
  type FetchedManifest,
  type BlobStream,
  type UploadOptions,
  type UploadResult,
  type Credentials,
} from './client/index.js';
