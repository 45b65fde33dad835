// The whiteout entries of the layers `berth build` makes carry the headers
// docker's do (a deleted file: `.wh.<name>`, a directory deleted and made
// again: `.wh..wh..opq`), so a layer differs from docker's only where the
// files do. Checked against fixed expectations and, where the real docker
// engine and its 20.10 CLI (BuildKit) are installed, against the layers it
// makes of the same Dockerfile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import tar from 'tar-stream';
import { TestDaemon, isRoot, ok, which } from '../helpers/daemon.js';
import { useContainerDaemon } from '../helpers/containers.js';
import { writeContext } from '../helpers/buildctx.js';
import { savedImage } from '../helpers/imagetree.js';
import { DOCKER_SOCK, dockerUp } from '../helpers/realdocker.js';

const skip = !isRoot() ? 'needs root (overlay, namespaces)' : !which('busybox') ? 'needs busybox-static' : false;
let d: TestDaemon;
// a daemon with busybox imported, whose containers are removed at the end
useContainerDaemon(skip, (x) => (d = x));

// a deleted file in an existing directory, a deleted file in a directory of
// the image's own, and a directory deleted and made again (opaque)
const DOCKERFILE = `FROM busybox
RUN rm /etc/group && mkdir -p /x/y && echo a > /x/y/f && echo b > /x/keep && chmod 750 /x/y && chown 7:8 /x/y
RUN rm -rf /x/y && rm /x/keep && mkdir -m 710 /x/y && chown 5:6 /x/y && echo new > /x/y/g
`;

interface WhiteoutHeader {
  layer: number;
  name: string;
  type: string;
  mode: string;
  uid: number;
  gid: number;
  size: number;
  /** an opaque marker's time is 0 in docker's layers, a whiteout's the deletion's */
  zeroTime: boolean;
}

async function whiteouts(layers: Buffer[]): Promise<WhiteoutHeader[]> {
  const out: WhiteoutHeader[] = [];
  for (const [i, layer] of layers.entries()) {
    const ex = tar.extract();
    ex.on('entry', (h, stream, next) => {
      if (path.posix.basename(h.name).startsWith('.wh.')) {
        out.push({ layer: i, name: h.name, type: h.type ?? 'file', mode: (h.mode ?? 0).toString(8), uid: h.uid ?? 0, gid: h.gid ?? 0, size: h.size ?? 0, zeroTime: (h.mtime?.getTime() ?? 0) === 0 });
      }
      stream.resume();
      stream.on('end', next);
    });
    await new Promise<void>((resolve, reject) => {
      ex.on('finish', resolve);
      ex.on('error', reject);
      ex.end(layer);
    });
  }
  return out.sort((a, b) => a.layer - b.layer || (a.name < b.name ? -1 : 1));
}

// the layers a Dockerfile adds to its base (the base's own are left out)
async function builtLayers(save: (file: string) => void, file: string, baseLayers: number): Promise<Buffer[]> {
  save(file);
  return (await savedImage(readFileSync(file))).layers.slice(baseLayers);
}

test('whiteout and opaque entries carry docker\'s tar headers', { skip }, async () => {
  const ctx = writeContext(path.join(d.root, 'ctx'), { Dockerfile: DOCKERFILE });
  ok(d.berth(['build', '-q', '-t', 'wh:1', ctx]), 'build');
  const berth = await whiteouts(await builtLayers((f) => ok(d.berth(['save', '-o', f, 'wh:1']), 'save'), path.join(d.root, 'wh.tar'), 1));
  assert.deepEqual(berth, [
    { layer: 0, name: 'etc/.wh.group', type: 'file', mode: '600', uid: 0, gid: 0, size: 0, zeroTime: false },
    { layer: 1, name: 'x/.wh.keep', type: 'file', mode: '600', uid: 0, gid: 0, size: 0, zeroTime: false },
    // the directory's owner and permission bits, time 0
    { layer: 1, name: 'x/y/.wh..wh..opq', type: 'file', mode: '710', uid: 5, gid: 6, size: 0, zeroTime: true },
  ]);
});

// BuildKit needs the 20.10 CLI that docker.io installs (the machine's CLI 28 has no buildx)
const buildkitCli = '/usr/bin/docker';
const bkSkip = skip || (!dockerUp ? 'no docker engine at /var/run/docker.sock' : !existsSync(buildkitCli) ? `no ${buildkitCli} (docker.io's CLI, for BuildKit)` : false);

test('the same headers as the layers BuildKit makes of the same Dockerfile', { skip: bkSkip }, async () => {
  const docker = (args: string[]) => {
    const r = spawnSync(buildkitCli, ['-H', `unix://${DOCKER_SOCK}`, ...args], { encoding: 'utf8', env: { ...process.env, DOCKER_BUILDKIT: '1' }, maxBuffer: 1 << 30 });
    return { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr };
  };
  const tag = `berth-test-whiteouts:${process.pid}`;
  const ctx = writeContext(path.join(d.root, 'ctx-docker'), { Dockerfile: DOCKERFILE });
  try {
    ok(docker(['build', '-q', '-t', tag, ctx]), 'docker build (BuildKit)');
    const baseLayers = (JSON.parse(ok(docker(['image', 'inspect', 'busybox:latest']), 'inspect busybox')) as { RootFS: { Layers: string[] } }[])[0]!.RootFS.Layers.length;
    const theirs = await whiteouts(await builtLayers((f) => ok(docker(['save', '-o', f, tag]), 'docker save'), path.join(d.root, 'docker-wh.tar'), baseLayers));
    ok(d.berth(['build', '-q', '-t', 'wh:2', path.join(d.root, 'ctx-docker')]), 'build');
    const ours = await whiteouts(await builtLayers((f) => ok(d.berth(['save', '-o', f, 'wh:2']), 'save'), path.join(d.root, 'wh2.tar'), 1));
    // names aside (berth's layers carry no user or group names in any entry,
    // docker's carry them in every one), every header field agrees
    assert.deepEqual(ours, theirs);
  } finally {
    docker(['rmi', '-f', tag]);
  }
});
