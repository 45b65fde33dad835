// `docker import`: a rootfs tarball (plain, gzip or zstd) becomes a one-layer
// image. The tarball is stored as the layer blob exactly as it came (no
// recompression: that is what makes import as fast as the disk) while the same
// bytes are unpacked into the layer's snapshot, in one pass.
import type { Readable } from 'node:stream';
import { type Digest } from '../common/digest.js';
import { invalidArgument, isKind } from '../common/errors.js';
import { parseReference, withDefaultTag, type Reference } from '../common/reference.js';
import { tee } from '../common/streams.js';
import { MediaType, ociLayerType, type Compression } from '../oci/mediatypes.js';
import type { ImageConfig, ImageRuntimeConfig, Manifest } from '../oci/image.js';
import { ociArch } from './manifest.js';
import type { ImageService } from './service.js';

export interface ImportOptions {
  /** repository[:tag] to name the image, or empty */
  repo?: string;
  tag?: string;
  changes?: string[];
  message?: string;
  /** where the tarball came from, for the history comment ("-" for a request body) */
  source?: string;
  platform?: { os: string; architecture: string; variant?: string };
}

/** Docker fills every field of the runtime config; keep that shape so inspect matches. */
export function dockerRuntimeConfig(c: ImageRuntimeConfig = {}): ImageRuntimeConfig & Record<string, unknown> {
  return {
    Hostname: '',
    Domainname: '',
    User: '',
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Env: null,
    Cmd: null,
    Image: '',
    Volumes: null,
    WorkingDir: '',
    Entrypoint: null,
    OnBuild: null,
    Labels: null,
    ...c,
  } as ImageRuntimeConfig & Record<string, unknown>;
}

function detectCompression(first: Buffer): Compression {
  if (first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b) return 'gzip';
  if (first.length >= 4 && first.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

export async function importImage(svc: ImageService, body: Readable, opts: ImportOptions): Promise<Digest> {
  let name: Reference | undefined;
  if (opts.repo) {
    name = withDefaultTag(parseReference(opts.tag ? `${opts.repo}:${opts.tag}` : opts.repo));
    if (name.digest) throw invalidArgument('import: cannot import to a digest reference');
  }
  const runtime = svc.deps.applyChanges({}, opts.changes ?? []);
  return svc.gcLock.shared(async () => {
    let compression: Compression | undefined;
    const [toStore, toUnpack] = tee(body);
    const writer = await svc.content.writer();
    const storing = (async () => {
      for await (const chunk of toStore) {
        compression ??= detectCompression(chunk as Buffer);
        await writer.write(chunk as Buffer);
      }
    })();
    let layer;
    try {
      const unpacking = svc.snapshotter.applyLayer(null, toUnpack);
      // If either side fails the other must not hang waiting for its branch.
      const [s, u] = await Promise.allSettled([storing, unpacking]);
      if (u.status === 'rejected') {
        toStore.destroy();
        throw u.reason;
      }
      if (s.status === 'rejected') throw s.reason;
      layer = u.value;
    } catch (err) {
      await writer.abort();
      body.destroy();
      throw err;
    }
    let blob: { digest: Digest; size: number };
    try {
      blob = await writer.commit();
    } catch (err) {
      if (!isKind(err, 'AlreadyExists') || !writer.committedDigest) throw err;
      blob = { digest: writer.committedDigest, size: (await svc.content.info(writer.committedDigest)).size };
    }
    if (!svc.meta.getLayer(layer.chainId)) svc.meta.putLayer({ chainId: layer.chainId, diffId: layer.diffId, size: layer.contentSize ?? (await svc.snapshotter.usage(layer.chainId)) });

    const created = new Date().toISOString();
    const platform = opts.platform ?? { os: 'linux', architecture: ociArch() };
    const config: ImageConfig = {
      architecture: platform.architecture,
      ...(platform.variant ? { variant: platform.variant } : {}),
      comment: opts.message || `Imported from ${opts.source ?? '-'}`,
      config: dockerRuntimeConfig(runtime),
      container_config: dockerRuntimeConfig(),
      created,
      history: [{ created, comment: opts.message || `Imported from ${opts.source ?? '-'}` }],
      os: platform.os,
      rootfs: { type: 'layers', diff_ids: [layer.diffId] },
    };
    const configRaw = Buffer.from(JSON.stringify(config));
    const cfg = await svc.content.put(configRaw);
    const manifest: Manifest = {
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { mediaType: MediaType.OciConfig, digest: cfg.digest, size: cfg.size },
      layers: [{ mediaType: ociLayerType(compression ?? 'none'), digest: blob.digest, size: blob.size }],
    };
    const manifestRaw = Buffer.from(JSON.stringify(manifest));
    const man = await svc.content.put(manifestRaw);
    await svc.commitImage({ mediaType: MediaType.OciManifest, digest: man.digest, size: man.size }, config, name ? [name] : []);
    return cfg.digest;
  });
}
