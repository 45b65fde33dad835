// The overlay implementation of Snapshotter, and the helpers that mount what
// it describes.
export { OverlaySnapshotter, type OverlaySnapshotterOptions } from './snapshotter.js';
export { mountAll, unmount } from './mount.js';
export { ZstdDecompressStream } from './decompress.js';
