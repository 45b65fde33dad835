export { Registry } from './registry.js';
export { checkRepoName, isRepoName, isTag } from './names.js';
export { checkReference } from './manifests.js';
export type { StoredManifest, ReferrerDescriptor, PutResult } from './manifests.js';
export { KNOWN_MANIFEST_TYPES } from './manifest-parse.js';
export { collectGarbage, type GcOptions, type GcReport } from './gc.js';
