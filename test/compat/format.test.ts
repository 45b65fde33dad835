// `--format` in berth and in the official docker CLI, against the same berthd: the same
// templates must print the same bytes, fail with the same message and exit with the same code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestDaemon, isRoot, which } from '../helpers/daemon.js';
import { useContainerDaemon } from '../helpers/containers.js';

const skip = !isRoot() ? 'needs root' : !which('docker') ? 'the docker CLI is not installed' : false;
let d: TestDaemon;

useContainerDaemon(skip, (x) => (d = x));

// Fields that tell how long ago something happened may be read a second apart by the two CLIs.
const CLOCK_FIELDS = ['RunningFor', 'Status', 'CreatedSince'];

function same(args: string[], opts: { jsonLines?: boolean } = {}): void {
  const b = d.berth(args);
  const k = d.docker(args);
  const what = `${args.join(' ')}\n berth: ${JSON.stringify(b)}\ndocker: ${JSON.stringify(k)}`;
  assert.equal(b.code, k.code, what);
  assert.equal(b.stderr, k.stderr, what);
  if (!opts.jsonLines) return assert.equal(b.stdout, k.stdout, what);
  const norm = (s: string) =>
    s.split('\n').filter(Boolean).map((l) => {
      const o = JSON.parse(l) as Record<string, unknown>;
      for (const f of CLOCK_FIELDS) if (f in o) o[f] = '<clock>';
      return JSON.stringify(o);
    });
  assert.deepEqual(norm(b.stdout), norm(k.stdout), what);
  // the raw lines too, with only the clock fields' values masked: key order and escaping count
  assert.equal(b.stdout.replace(/"(RunningFor|Status|CreatedSince)":"[^"]*"/g, '"$1":""'), k.stdout.replace(/"(RunningFor|Status|CreatedSince)":"[^"]*"/g, '"$1":""'), what);
}

test('ps, images and inspect --format print what the docker CLI prints', { skip }, () => {
  const run = d.berth(['run', '-d', '--name', 'fmt-web', '--network', 'none', '-l', 'a=b', '-l', 'com.example.tier=front', '-v', `${d.root}:/mnt/host:ro`, 'busybox', 'sleep', '1000']);
  assert.equal(run.code, 0, run.stderr);
  const created = d.berth(['create', '--name', 'fmt-idle', '--network', 'none', 'busybox', 'echo', 'a <b> & "c"']);
  assert.equal(created.code, 0, created.stderr);

  // ps
  same(['ps', '-a', '--format', 'json'], { jsonLines: true });
  same(['ps', '-a', '--format', '{{json .}}'], { jsonLines: true });
  same(['ps', '-a', '--format', 'table {{.ID}}\t{{.Names}}\t{{.Image}}\t{{.Labels}}\t{{.Command}}']);
  same(['ps', '-a', '--format', 'table {{.Names}}\\t{{.Label "com.example.tier"}}\\t{{.State}}\\t{{.Mounts}}']);
  same(['ps', '-a', '--no-trunc', '--format', '{{.Names}}: {{.Label "a"}} {{upper .Image}} {{printf "%-10s|%q" .Names .State}}']);
  same(['ps', '-a', '--format', '{{if eq .State "running"}}{{.Names}} is up{{else}}{{.Names}} is {{.State}}{{end}}']);
  same(['ps', '-a', '--format', '{{.Nope}}']);
  same(['ps', '-a', '--format', '{{.Platform}} {{.Networks}} {{.LocalVolumes}}']);
  same(['ps', '-a', '--format', '{{}']);
  same(['ps', '-a', '-s', '--format', '{{.Names}} {{.Size}}']);
  // images
  same(['images', '--format', 'json'], { jsonLines: true });
  same(['images', '--format', 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.Size}}\t{{.Digest}}']);
  same(['images', '--format', '{{.Repository}}:{{.Tag}} {{lower .ID}} {{.CreatedAt}}']);
  same(['images', '--format', '{{.Nope}}']);
  // inspect
  for (const f of [
    '{{range .Mounts}}{{.Source}} -> {{.Destination}} {{.RW}}{{end}}',
    '{{index .Config.Labels "a"}}|{{index .Config.Labels "zz"}}|{{.Config.Labels.zz}}',
    '{{join .Config.Cmd ","}} {{json .Config.Cmd}} {{json .Config.Labels}}',
    '{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}',
    '{{printf "%s|%-10s|%5d|%v" .Name .State.Status .State.ExitCode .State.Running}}',
    '{{upper .Config.Image}} {{len .Config.Cmd}} {{with .Config.Labels}}{{len .}} labels{{end}}',
    '{{.Nope}}',
    '{{.Config.Cmd.X}}',
    '{{}',
    '{{.Foo }',
    '{{if}}',
  ]) same(['inspect', '-f', f, 'fmt-web', 'fmt-idle']);
  same(['image', 'inspect', '-f', '{{.Config.Cmd}} {{join .RepoTags ","}} {{.Os}}/{{.Architecture}}', 'busybox']);
  same(['version', '--format', '{{.Server.APIVersion}} {{.Server.Os}}/{{.Server.Arch}}']);
  same(['version', '--format', 'ab{{.Server.ApiVersion}}']);
  same(['version', '--format', '{{}']);
  same(['info', '--format', '{{.Containers}} {{.ContainersRunning}} {{.Images}}']);
  same(['info', '--format', 'ab{{.Nope}}']);
  same(['info', '--format', '{{}']);
  // history
  same(['history', '--format', 'table {{.ID}}\t{{.Size}}\t{{.Comment}}\t{{.CreatedBy}}', 'busybox']);
  same(['history', '--format', '{{.ID}}|{{.CreatedAt}}|{{json .Comment}}', 'busybox']);
  same(['history', '--format', '{{.Nope}}', 'busybox']);
  // the default tables by name
  same(['images', '--format', 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.Size}}']);
  same(['ps', '-a', '-q', '--format', '{{.Names}}']);
});
