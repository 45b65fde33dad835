// What the HTTP layer needs to know, decided by serve.ts from flags and config.
import type { Authorizer } from './auth/authorizer.js';

export interface ServerOptions {
  /** largest accepted manifest body (4 MiB by default) */
  manifestMaxBytes: number;
  /** whether DELETE of manifests and blobs is allowed */
  deleteEnabled: boolean;
  authorizer: Authorizer;
}

export const DEFAULT_MANIFEST_MAX_BYTES = 4 * 1024 * 1024;
