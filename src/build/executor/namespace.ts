// A real isolated executor built from util-linux and the static busybox:
// `unshare` gives the process its own mount, PID, UTS and IPC namespaces (and
// network namespace for --network=none); inside, the rootfs gets a fresh
// /proc and a minimal tmpfs /dev, becomes the root with pivot_root, and the
// old root is detached, so nothing of the host filesystem stays reachable.
// The command then runs through setpriv with docker's default capability
// bounding set, as the Dockerfile's USER. There is no seccomp filter and no
// cgroup limit: this is for builds until the runc-based executor replaces it.
import { spawn, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { mknod, S_IFCHR } from '../../common/libc.js';
import type { ExecRequest, ExecResult, Executor } from './index.js';

const DEFAULT_CAPS = ['chown', 'dac_override', 'fsetid', 'fowner', 'mknod', 'net_raw', 'setgid', 'setuid', 'setfcap', 'setpcap', 'net_bind_service', 'sys_chroot', 'kill', 'audit_write'];

// Runs under /bin/sh in the new namespaces. Positional arguments only: no
// value from the Dockerfile is ever part of the script text.
const SCRIPT = `set -eu
root=$1 host=$2 devdir=$3 uid=$4 gid=$5 groups=$6 cwd=$7 nm=$8 caps=$9
shift 9
mount --bind "$root" "$root"
mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
mount -t tmpfs -o nosuid,mode=755,size=64m tmpfs "$root/dev"
cp -a "$devdir"/. "$root/dev/"
mount -t tmpfs -o nosuid,nodev,mode=1777 shm "$root/dev/shm"
while [ "$nm" -gt 0 ]; do
  t=$1 src=$2 dst=$3 ro=$4; shift 4; nm=$((nm - 1))
  if [ "$t" = tmpfs ]; then mount -t tmpfs -o nosuid,nodev tmpfs "$root$dst"; else mount --rbind "$src" "$root$dst"; fi
  if [ "$ro" = 1 ]; then mount -o remount,bind,ro "$root$dst"; fi
done
hostname "$host"
cd "$root"
pivot_root . dev/.oldroot
cd /
/dev/.berth/busybox umount -l /dev/.oldroot
cd "$cwd"
if [ "$groups" = - ]; then g=--clear-groups; else g=--groups=$groups; fi
exec /dev/.berth/ld.so --library-path /dev/.berth /dev/.berth/setpriv --reuid="$uid" --regid="$gid" "$g" --inh-caps=-all --bounding-set="$caps" -- /dev/.berth/busybox env -i "$@"
`;

/** The helper binaries copied into the container's /dev tmpfs: static busybox, setpriv and its libraries. */
function helperFiles(): Map<string, string> {
  const files = new Map<string, string>();
  files.set('busybox', execFileSync('sh', ['-c', 'command -v busybox'], { encoding: 'utf8' }).trim());
  const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => fs.existsSync(p));
  if (!setpriv) throw new Error('setpriv (util-linux) not found');
  files.set('setpriv', setpriv);
  for (const line of execFileSync('ldd', [setpriv], { encoding: 'utf8' }).split('\n')) {
    const m = /^\s*(\S+)\s+=>\s+(\S+)/.exec(line) ?? /^\s*(\/\S+ld-linux\S*)\s/.exec(line);
    if (!m) continue;
    if (m[2]) files.set(m[1]!, m[2]);
    else files.set('ld.so', m[1]!);
  }
  if (!files.has('ld.so')) throw new Error('cannot find the dynamic loader of setpriv');
  return files;
}

export function namespaceExecutorAvailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root';
  for (const c of ['unshare', 'pivot_root', 'busybox', 'ldd', 'mount']) {
    try {
      execFileSync('sh', ['-c', `command -v ${c}`], { stdio: 'ignore' });
    } catch {
      return `${c} not found`;
    }
  }
  return undefined;
}

export class NamespaceExecutor implements Executor {
  readonly mountpoints = ['/proc', '/dev'];

  /** `devDir` is the /dev template made by prepareDev() (once, by the daemon). */
  constructor(private readonly devDir: string) {}

  /**
   * The container's /dev, copied into a fresh tmpfs for every run: the usual
   * device nodes, the fd symlinks, and .berth/ with the helper binaries.
   */
  static prepareDev(dir: string): void {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(`${dir}/.berth`, { recursive: true, mode: 0o755 });
    fs.chmodSync(dir, 0o755);
    for (const [name, major, minor] of [['null', 1, 3], ['zero', 1, 5], ['full', 1, 7], ['random', 1, 8], ['urandom', 1, 9], ['tty', 5, 0]] as const) {
      mknod(`${dir}/${name}`, S_IFCHR | 0o666, major, minor);
      fs.chmodSync(`${dir}/${name}`, 0o666);
    }
    for (const d of ['shm', 'pts', '.oldroot']) fs.mkdirSync(`${dir}/${d}`, { mode: 0o755 });
    fs.symlinkSync('/proc/self/fd', `${dir}/fd`);
    ['stdin', 'stdout', 'stderr'].forEach((n, i) => fs.symlinkSync(`/proc/self/fd/${i}`, `${dir}/${n}`));
    for (const [name, src] of helperFiles()) {
      fs.copyFileSync(fs.realpathSync(src), `${dir}/.berth/${name}`);
      fs.chmodSync(`${dir}/.berth/${name}`, 0o755);
    }
  }

  run(req: ExecRequest): Promise<ExecResult> {
    const mountArgs: string[] = [];
    for (const m of req.mounts) mountArgs.push(m.type, m.source ?? 'none', m.target, m.readOnly ? '1' : '0');
    const caps = '-all,' + DEFAULT_CAPS.map((c) => '+' + c).join(',');
    const args = [
      '--mount', '--pid', '--fork', '--uts', '--ipc', '--kill-child',
      ...(req.network === 'none' ? ['--net'] : []),
      '/bin/sh', '-c', SCRIPT, 'berth-run',
      req.rootfs, req.hostname, this.devDir, String(req.uid), String(req.gid), req.groups.length ? req.groups.join(',') : '-', req.cwd, String(req.mounts.length), caps,
      ...mountArgs,
      ...req.env,
      ...req.args,
    ];
    return new Promise((resolve, reject) => {
      const p = spawn('unshare', args, { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
      p.stdout.pipe(req.stdout, { end: false });
      p.stderr.pipe(req.stderr, { end: false });
      const onAbort = () => p.kill('SIGKILL');
      req.signal?.addEventListener('abort', onAbort);
      p.on('error', reject);
      p.on('close', (code, sig) => {
        req.signal?.removeEventListener('abort', onAbort);
        resolve({ exitCode: code ?? 128 + (sig ? 9 : 0) });
      });
    });
  }
}
