// The official docker CLI drives berthd: version, info, import, images, tag,
// inspect, history, save, load, rmi, as a Docker user would type them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { TestDaemon, isRoot, which, useDaemon, ok as okRun } from '../helpers/daemon.js';
import { makeTar, rootfsEntries, legacyDockerSave } from '../helpers/tars.js';

const skip = !isRoot() ? 'needs root' : !which('docker') ? 'the docker CLI is not installed' : false;
let d: TestDaemon;
const ok = (r: Parameters<typeof okRun>[0], what: string) => okRun(r, `docker ${what}`);

useDaemon(skip, (x) => (d = x));


test('docker version and info against berthd', { skip }, () => {
  const v = ok(d.docker(['version']), 'version');
  assert.match(v, /Server: berth\n Engine:\n  Version:\s+0\.1\.0\n  API version:\s+1\.45 \(minimum version 1\.24\)/);
  assert.equal(ok(d.docker(['version', '--format', '{{.Server.APIVersion}}']), 'version -f').trim(), '1.45');
  const info = ok(d.docker(['info']), 'info');
  assert.match(info, /Server Version: 0\.1\.0/);
  assert.match(info, /Storage Driver: overlay2/);
  assert.match(info, new RegExp(`Docker Root Dir: ${d.dataRoot}`));
});

test('docker import, images, tag, inspect, history, rmi', { skip }, async () => {
  const f = path.join(d.root, 'rootfs.tar');
  writeFileSync(f, await makeTar(rootfsEntries('compat')));
  const id = ok(d.docker(['import', '--change', 'CMD ["sh"]', f, 'busybox:latest']), 'import').trim();
  assert.match(id, /^sha256:[a-f0-9]{64}$/);
  ok(d.docker(['tag', 'busybox:latest', 'mybox:1']), 'tag');
  const images = ok(d.docker(['images']), 'images');
  assert.match(images, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\n/);
  assert.match(images, new RegExp(`busybox\\s+latest\\s+${id.slice(7, 19)}`));
  assert.match(images, new RegExp(`mybox\\s+1\\s+${id.slice(7, 19)}`));
  assert.equal(ok(d.docker(['images', '-q', '--no-trunc']), 'images -q').trim().split('\n')[0], id);
  assert.equal(ok(d.docker(['image', 'inspect', '--format', '{{.Id}} {{json .Config.Cmd}} {{.Os}}', 'mybox:1']), 'inspect').trim(), `${id} ["sh"] linux`);
  assert.equal(ok(d.docker(['inspect', '--format', '{{join .RepoTags ","}}', id.slice(7, 19)]), 'inspect by id').trim(), 'busybox:latest,mybox:1');
  assert.match(ok(d.docker(['history', 'busybox']), 'history'), /Imported from -/);
  assert.equal(ok(d.docker(['rmi', 'mybox:1']), 'rmi'), 'Untagged: mybox:1\n');
  const nf = d.docker(['rmi', 'nope']);
  assert.notEqual(nf.code, 0);
  assert.match(nf.stderr, /Error response from daemon: No such image: nope:latest/);
});

test('docker save and load through berthd', { skip }, async () => {
  const out = path.join(d.root, 'saved.tar');
  ok(d.docker(['save', '-o', out, 'busybox']), 'save');
  assert.ok(statSync(out).size > 4096);
  const before = ok(d.docker(['image', 'inspect', '-f', '{{.Id}}', 'busybox']), 'inspect').trim();
  ok(d.docker(['rmi', 'busybox']), 'rmi');
  assert.equal(ok(d.docker(['load', '-i', out]), 'load'), 'Loaded image: busybox:latest\n');
  assert.equal(ok(d.docker(['image', 'inspect', '-f', '{{.Id}}', 'busybox']), 'inspect').trim(), before);
  const legacy = await legacyDockerSave([await makeTar(rootfsEntries('legacy'))], ['old:1']);
  assert.equal(ok(d.docker(['load'], { input: legacy.tar }), 'load stdin'), 'Loaded image: old:1\n');
  const bad = d.docker(['load'], { input: Buffer.from('garbage'.repeat(100)) });
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /invalid archive/);
});
