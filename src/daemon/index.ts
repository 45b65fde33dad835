// What the rest of berth (the Engine API, the entry points) may see of the daemon.
export { Daemon } from './daemon.js';
export { cleanupHost, type CleanupReport } from './cleanup.js';
export { resolveConfig, type DaemonConfig, type FlagValues } from './config.js';
export { DEFAULT_SOCKET, DEFAULT_DATA_ROOT, DEFAULT_EXEC_ROOT, DEFAULT_CONFIG_FILE, type DaemonPaths } from './paths.js';
export { API_VERSION, MIN_API_VERSION, ENGINE_VERSION, type SystemInfo, type VersionInfo } from './system.js';
export {
  ImageService,
  importImage,
  loadArchive,
  planSave,
  saveImages,
  type Image,
  type DeleteResponseItem,
  type LoadedImage,
  pullImage,
  pushImage,
  parsePlatform,
  type ProgressMessage,
} from '../image/index.js';
export { pruneImages, type ImagesPruneReport } from './image-prune.js';
export { RegistryClient, type Credentials, type RegistryClientOptions } from '../registry/index.js';
export { type BuildRequest, type BuildProgress, type BuildResult, type BuildEvent, DockerfileError } from '../build/index.js';
export {
  ContainerService,
  ExecService,
  type ExecConfig,
  type ExecSession,
  ZERO_TIME,
  type ContainerRecord,
  type ContainerConfig,
  type HostConfig,
  type CreateRequest,
  type ExitResult,
  type WaitCondition,
  type AttachSession,
  type OutputStream,
} from './containers/index.js';
export type { NetworkAttachment } from '../network/index.js';
export type { LogRecord } from '../runtime/index.js';
