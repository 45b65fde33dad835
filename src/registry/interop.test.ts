// Interop: skopeo (containers/image, the same client code podman and buildah
// use) copies an image to berth's registry and back, anonymously and with
// bearer-token auth. Skips, saying why, when skopeo is not installed.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import bcrypt from 'bcryptjs';
import { request, startTestRegistry, type TestRegistry } from './testing.js';

const run = promisify(execFile);

function hasSkopeo(): boolean {
  try {
    execFileSync('skopeo', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** One ustar entry: 512-byte header, data, padding. */
function tarFile(name: string, data: Buffer): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0);
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(data.length.toString(8).padStart(11, '0') + '\0', 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  const pad = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([h, data, pad, Buffer.alloc(1024)]);
}

const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A small OCI image layout with one gzip layer, tagged "latest". Returns the manifest digest. */
async function makeLayout(dir: string): Promise<string> {
  await mkdir(path.join(dir, 'blobs', 'sha256'), { recursive: true });
  const put = async (b: Buffer) => {
    await writeFile(path.join(dir, 'blobs', 'sha256', hex(b)), b);
    return { digest: `sha256:${hex(b)}`, size: b.length };
  };
  const tar = tarFile('hello.txt', Buffer.from('hello from berth\n'));
  const layer = await put(gzipSync(tar));
  const config = await put(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [`sha256:${hex(tar)}`] } })));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
    }),
  );
  const m = await put(manifest);
  await writeFile(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  await writeFile(
    path.join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...m, annotations: { 'org.opencontainers.image.ref.name': 'latest' } }],
    }),
  );
  return m.digest;
}

async function skopeo(args: string[]): Promise<string> {
  const { stdout } = await run('skopeo', ['--insecure-policy', ...args], { timeout: 60_000 });
  return stdout;
}

describe('interop: skopeo', { skip: hasSkopeo() ? false : 'skopeo is not installed (apt-get install skopeo)' }, () => {
  let dir: string;
  let digest: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'berth-registry-interop-'));
    digest = await makeLayout(path.join(dir, 'src'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('copies oci: → berth → oci: and the image is unchanged', async () => {
    const reg = await startTestRegistry();
    try {
      const host = reg.url.replace(/^http:\/\//, '');
      await skopeo(['copy', '--dest-tls-verify=false', `oci:${dir}/src:latest`, `docker://${host}/interop/x:latest`]);
      const m = await request('GET', reg.url, '/v2/interop/x/manifests/latest');
      assert.equal(m.status, 200);
      assert.equal(m.headers['docker-content-digest'], digest);
      await skopeo(['copy', '--src-tls-verify=false', `docker://${host}/interop/x:latest`, `oci:${dir}/back:latest`]);
      const index = JSON.parse(await readFile(path.join(dir, 'back', 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
      assert.equal(index.manifests[0]!.digest, digest);
      const tags = JSON.parse(await skopeo(['list-tags', '--tls-verify=false', `docker://${host}/interop/x`])) as { Tags: string[] };
      assert.deepEqual(tags.Tags, ['latest']);
    } finally {
      await reg.stop();
    }
  });

  it('copies with bearer-token auth, and a reader cannot push', async () => {
    const htpasswd = path.join(dir, 'htpasswd');
    await writeFile(htpasswd, `writer:${bcrypt.hashSync('w-pass', 4)}\nreader:${bcrypt.hashSync('r-pass', 4)}\n`);
    let reg: TestRegistry | undefined;
    try {
      reg = await startTestRegistry((c) => {
        c.auth.htpasswd = { realm: 'interop', path: htpasswd };
        c.auth.token = { service: 'interop', issuer: 'interop', expiration: 60 };
        c.auth.access = [
          { account: 'writer', name: '*', actions: ['pull', 'push'] },
          { account: 'reader', name: '*', actions: ['pull'] },
        ];
      });
      const host = reg.url.replace(/^http:\/\//, '');
      await skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', 'writer:w-pass', `oci:${dir}/src:latest`, `docker://${host}/auth/x:v1`]);
      await skopeo(['copy', '--src-tls-verify=false', '--src-creds', 'reader:r-pass', `docker://${host}/auth/x:v1`, `oci:${dir}/back-auth:v1`]);
      await assert.rejects(skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', 'reader:r-pass', `oci:${dir}/src:latest`, `docker://${host}/auth/y:v1`]));
      await assert.rejects(skopeo(['inspect', '--tls-verify=false', `docker://${host}/auth/x:v1`]));
    } finally {
      await reg?.stop();
    }
  });
});
