export { ContainerService, type ContainerServiceDeps, type ExitResult, type WaitCondition } from './service.js';
export { ContainerStore } from './store.js';
export type { AttachSession, AttachSink, OutputStream } from './attach.js';
export * from './types.js';
export { ExecService, type ExecConfig, type ExecSession } from './exec.js';
