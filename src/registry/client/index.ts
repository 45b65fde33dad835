// The distribution client's public surface (used through registry/index.ts).
export { RegistryClient, RegistryError, type RegistryClientOptions } from './client.js';
export { Repository, MANIFEST_ACCEPT, type FetchedManifest, type BlobStream, type UploadOptions, type UploadResult } from './repository.js';
export { type Credentials, parseChallenges } from './auth.js';
export { isInsecure, DEFAULT_CERTS_DIRS, type TransportOptions } from './transport.js';
