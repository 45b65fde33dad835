// The image subsystem's public surface: the content store, image metadata,
// and the image operations (import, save, load, tag, delete, gc).
export type { ContentStore, ContentInfo, ContentWriter, WriterOptions } from './content.js';
export { LocalContentStore } from './content/local.js';
export { ImageMetadataStore, type ImageRecord, type LayerRecord } from './store.js';
export { ImageService, type Image, type DeleteResponseItem, type ImageServiceDeps } from './service.js';
export { importImage, dockerRuntimeConfig, type ImportOptions } from './import.js';
export { planSave, saveImages } from './archive/save.js';
export { loadArchive, type LoadedImage } from './archive/load.js';
export { parseManifest, parseIndex, parseImageConfig, ociArch } from './manifest.js';
export { pullImage, parsePlatform, platformString, selectPlatform, type PullOptions, type PullResult } from './pull.js';
export { pushImage, type PushOptions } from './push.js';
export { progressBar, type ProgressMessage, type ProgressSink } from './progress.js';
