// The build subsystem: Dockerfile → instructions → stage graph → solver,
// with RUN steps behind the runtime's Executor seam.
export { Builder, type BuildRequest, type BuildProgress, type BuildResult, type BuilderDeps } from './builder.js';
export { buildNetworkMode, type BuildNetworks, type BuildNetworkSession, type BuildNetworkMode, type RunNetwork } from './network.js';
export { parseDockerfile, DockerfileError } from './parser/index.js';
export type { BuildEvent } from './events.js';
export { parseStages, parseSingle } from './instructions/index.js';
export { IgnoreMatcher, parseDockerignore } from './context/dockerignore.js';
export { applyChanges } from './changes.js';
