// Test helpers: a registry on 127.0.0.1 with an ephemeral port and a temp
// root, and a raw HTTP client (node:http, so paths are sent exactly as given:
// fetch would normalise "a/../b" away).
import * as http from 'node:http';
import * as https from 'node:https';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { sha256, type Digest } from '../common/digest.js';
import { silentLogger } from '../common/log.js';
import { defaultConfig, type RegistryConfig } from './config.js';
import { startRegistry, type RunningRegistry } from './serve.js';

export interface TestRegistry extends RunningRegistry {
  root: string;
  stop(): Promise<void>;
}

export async function startTestRegistry(patch: (c: RegistryConfig) => void = () => {}): Promise<TestRegistry> {
  const root = await mkdtemp(path.join(tmpdir(), 'berth-registry-test-'));
  const c = defaultConfig();
  c.addr = '127.0.0.1:0';
  c.storage = { kind: 'filesystem', root: path.join(root, 'data') };
  patch(c);
  try {
    const r = await startRegistry(c, silentLogger);
    return Object.assign(r, {
      root,
      async stop() {
        await r.close(100);
        await rm(root, { recursive: true, force: true });
      },
    });
  } catch (err) {
    await rm(root, { recursive: true, force: true });
    throw err;
  }
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  json<T = unknown>(): T;
  /** the first error code of a spec error body */
  code(): string | undefined;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** send this many bytes of body, then destroy the connection */
  killAfter?: number;
  /** send the body with Transfer-Encoding: chunked, no Content-Length */
  chunked?: boolean;
  ca?: Buffer;
}

export function request(method: string, base: string, p: string, o: RequestOptions = {}): Promise<Reply> {
  const u = new URL(base);
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...o.headers };
    const body = o.body === undefined ? undefined : Buffer.from(o.body);
    if (body && o.chunked) headers['Transfer-Encoding'] = 'chunked';
    else if (body) headers['Content-Length'] = body.length;
    const req = mod.request(
      { method, host: u.hostname, port: u.port, path: p, headers, agent: false, ...(o.ca ? { ca: o.ca } : {}) },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => {
          const buf = Buffer.concat(parts);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: buf,
            json: <T>() => JSON.parse(buf.toString()) as T,
            code: () => {
              try {
                return (JSON.parse(buf.toString()) as { errors?: { code?: string }[] }).errors?.[0]?.code;
              } catch {
                return undefined;
              }
            },
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body && o.killAfter !== undefined) {
      req.write(body.subarray(0, o.killAfter), () => {
        setTimeout(() => {
          req.destroy();
          resolve({ status: 0, headers: {}, body: Buffer.alloc(0), json: () => ({}) as never, code: () => undefined });
        }, 100);
      });
      return;
    }
    req.end(body);
  });
}

export interface TestImage {
  config: Buffer;
  layers: Buffer[];
  manifest: Buffer;
  digest: Digest;
}

/** A tiny OCI image: a config and the given layers (raw bytes; registries do not look inside). */
export function makeImage(layers: Buffer[], extra: Record<string, unknown> = {}): TestImage {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map((l) => sha256(l)) } }));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(l), size: l.length })),
      ...extra,
    }),
  );
  return { config, layers, manifest, digest: sha256(manifest) };
}

/** Push blobs monolithically and the manifest under `ref`. */
export async function pushImage(base: string, repo: string, ref: string, img: TestImage, headers: Record<string, string> = {}): Promise<Reply> {
  for (const b of [img.config, ...img.layers]) {
    const r = await request('POST', base, `/v2/${repo}/blobs/uploads/?digest=${sha256(b)}`, { body: b, headers });
    if (r.status !== 201) throw new Error(`blob push failed: ${r.status} ${r.body.toString()}`);
  }
  return request('PUT', base, `/v2/${repo}/manifests/${ref}`, {
    body: img.manifest,
    headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json', ...headers },
  });
}
