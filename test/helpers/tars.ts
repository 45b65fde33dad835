// Builds tar archives in memory for tests: rootfs tarballs, docker-save
// archives in the old and new layouts, and deliberately broken ones.
import tar from 'tar-stream';
import { createHash } from 'node:crypto';

export interface Entry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  data?: string | Buffer;
  linkname?: string;
  mode?: number;
}

export async function makeTar(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((r) => pack.on('end', () => r()));
  for (const e of entries) {
    const type = e.type ?? 'file';
    const data = e.data === undefined ? undefined : Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data);
    await new Promise<void>((resolve, reject) =>
      pack.entry(
        { name: e.name, type, mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644), mtime: new Date(1_700_000_000_000), ...(e.linkname ? { linkname: e.linkname } : {}), ...(type === 'file' ? { size: data?.length ?? 0 } : {}) },
        type === 'file' ? data ?? Buffer.alloc(0) : undefined,
        (err) => (err ? reject(err) : resolve()),
      ),
    );
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export function sha256hex(b: Buffer | string): string {
  return createHash('sha256').update(b).digest('hex');
}

/** A small rootfs: a few files and a symlink, enough to tell layers apart. */
export function rootfsEntries(marker: string): Entry[] {
  return [
    { name: 'etc/', type: 'directory' },
    { name: 'etc/passwd', data: 'root:x:0:0:root:/root:/bin/sh\n' },
    { name: 'etc/marker', data: `${marker}\n` },
    { name: 'bin/', type: 'directory' },
    { name: 'bin/tool', data: Buffer.alloc(4096, 1), mode: 0o755 },
    { name: 'bin/alias', type: 'symlink', linkname: 'tool' },
  ];
}

/** A `docker save` archive in docker ≤24's layout: <id>/layer.tar, <config>.json, manifest.json. */
export async function legacyDockerSave(layers: Buffer[], repoTags: string[], cmd = ['sh']): Promise<{ tar: Buffer; configDigest: string }> {
  const diffIds = layers.map((l) => `sha256:${sha256hex(l)}`);
  const created = '2024-01-02T03:04:05Z';
  const config = JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    created,
    config: { Cmd: cmd, Env: ['PATH=/bin'] },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: layers.map(() => ({ created, created_by: '/bin/sh -c #(nop) ADD file' })),
  });
  const cfgHex = sha256hex(config);
  const entries: Entry[] = [];
  const layerPaths: string[] = [];
  layers.forEach((l, i) => {
    const id = sha256hex(`layer${i}${diffIds[i]}`);
    entries.push({ name: `${id}/`, type: 'directory' }, { name: `${id}/VERSION`, data: '1.0' }, { name: `${id}/json`, data: JSON.stringify({ id }) }, { name: `${id}/layer.tar`, data: l });
    layerPaths.push(`${id}/layer.tar`);
  });
  entries.push({ name: `${cfgHex}.json`, data: config });
  entries.push({ name: 'manifest.json', data: JSON.stringify([{ Config: `${cfgHex}.json`, RepoTags: repoTags, Layers: layerPaths }]) });
  entries.push({ name: 'repositories', data: '{}' });
  return { tar: await makeTar(entries), configDigest: `sha256:${cfgHex}` };
}

/** A plain OCI image layout (no manifest.json), names in index.json annotations. */
export async function ociLayout(layers: Buffer[], name: string, blobs: Buffer[] = layers, mediaTypes?: string[]): Promise<{ tar: Buffer; configDigest: string; manifestDigest: string }> {
  const diffIds = layers.map((l) => `sha256:${sha256hex(l)}`);
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: diffIds } });
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${sha256hex(config)}`, size: Buffer.byteLength(config) },
    layers: blobs.map((l, i) => ({ mediaType: mediaTypes?.[i] ?? 'application/vnd.oci.image.layer.v1.tar', digest: `sha256:${sha256hex(l)}`, size: l.length })),
  });
  const index = JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${sha256hex(manifest)}`, size: Buffer.byteLength(manifest), annotations: { 'io.containerd.image.name': name, 'org.opencontainers.image.ref.name': 'latest' } }],
  });
  const entries: Entry[] = [{ name: 'oci-layout', data: '{"imageLayoutVersion":"1.0.0"}' }, { name: 'index.json', data: index }];
  for (const b of [config, manifest, ...blobs]) entries.push({ name: `blobs/sha256/${sha256hex(b)}`, data: Buffer.isBuffer(b) ? b : Buffer.from(b) });
  return { tar: await makeTar(entries), configDigest: `sha256:${sha256hex(config)}`, manifestDigest: `sha256:${sha256hex(manifest)}` };
}
