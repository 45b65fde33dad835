export { ContainerService, type ContainerServiceDeps, type ExitResult, type WaitCondition } from './service.js';
export { ContainerStore } from './store.js';
export type { AttachSession, AttachSink, OutputStream } from './attach.js';
export * from './types.js';
