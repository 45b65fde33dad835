// The snapshot subsystem: image layers unpacked once each into their own
// directory, shared by every image that has them, and writable layers on top,
// presented as overlay mounts. The interface lives here; the overlay
// implementation in ./overlay/.
import type { Readable } from 'node:stream';
import type { Digest } from '../common/digest.js';

export interface Mount {
  type: string; // "overlay" or "bind"
  source: string;
  options: string[];
}

export interface LayerApplyResult {
  /** sha256 of the uncompressed layer tar */
  diffId: Digest;
  /** the committed snapshot's key: chainID(parent, diffId) */
  chainId: Digest;
  /** bytes of the uncompressed tar */
  size: number;
  /** bytes of file content and symlink targets in the layer (docker's layer size); absent when the layer was already unpacked */
  contentSize?: number;
}

export interface SnapshotInfo {
  key: string;
  parent?: string;
  kind: 'committed' | 'active';
  created: Date;
}

export interface Snapshotter {
  /**
   * Unpack a layer tar (gzip, zstd or plain, detected from its first bytes) on
   * top of the committed snapshot `parent` (a chain ID, or null for a base
   * layer), and commit it under its chain ID. The tar is untrusted: nothing is
   * written outside the new snapshot, and a malformed archive is an
   * InvalidArgument error that leaves no snapshot behind. When
   * `expectedDiffId` is given and the content differs, nothing is committed.
   * If the chain ID is already committed the stream is still consumed (to
   * verify it) and the existing snapshot is kept.
   *
   * `parent` may be a promise: a layer's files do not depend on its parent,
   * only its key does, so a loader can unpack layers in parallel, before it
   * knows their order, and settle each parent when it does. The promise is
   * awaited after unpacking, just before the commit; if it rejects, nothing is
   * committed.
   */
  applyLayer(parent: Digest | null | PromiseLike<Digest | null>, layer: Readable, opts?: { expectedDiffId?: Digest }): Promise<LayerApplyResult>;
  /** Whether a committed snapshot with this key exists. */
  exists(key: string): Promise<boolean>;
  /** A new active (writable) snapshot on top of committed `parent`; returns how to mount it. */
  prepare(key: string, parent: Digest | null): Promise<Mount[]>;
  /** The mounts of an existing snapshot (read-only lowerdirs for a committed one). */
  mounts(key: string): Promise<Mount[]>;
  /** Remove a snapshot; a committed one with children is a Conflict. */
  /** `wait: false`: resolve once the snapshot is gone (its row), before its files are deleted. */
  remove(key: string, opts?: { wait?: boolean }): Promise<void>;
  list(): Promise<SnapshotInfo[]>;
  /** Bytes used on disk by this snapshot's own directory. */
  usage(key: string): Promise<number>;
  /**
   * What an active snapshot changed, as docker counts a container's SizeRw:
   * the apparent sizes of everything but directories in its upper dir
   * (hard links once, whiteouts 0).
   */
  changesSize(key: string): Promise<number>;
}

/** chainID as the OCI image spec defines it. */
export { chainId, chainIds } from "./chain.js";

/** The overlayfs implementation, and helpers to mount/unmount what `mounts()` returns. */
export { OverlaySnapshotter, type OverlaySnapshotterOptions, mountAll, unmount } from './overlay/index.js';

/** fzstd's streaming zstd decoder as a Transform (also what build/ unpacks ADD's .tar.zst with). */
export { ZstdDecompressStream } from './overlay/index.js';
