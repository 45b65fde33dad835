// The build subsystem: Dockerfile → instructions → stage graph → solver,
// with RUN steps behind the Executor seam.
export { Builder, type BuildRequest, type BuildProgress, type BuildResult, type BuilderDeps } from './builder.js';
export { NamespaceExecutor, namespaceExecutorAvailable, type Executor, type ExecRequest, type ExecResult, type ExecMount } from './executor/index.js';
export { parseDockerfile, DockerfileError } from './parser/index.js';
export type { BuildEvent } from './events.js';
export { parseStages, parseSingle } from './instructions/index.js';
export { IgnoreMatcher, parseDockerignore } from './context/dockerignore.js';
export { applyChanges } from './changes.js';
