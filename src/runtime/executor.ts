// The Executor seam: the builder runs each RUN step through this interface
// (BuildKit's executor.Executor). The runtime's implementation, OciExecutor
// (ociexec.ts), runs every step as a real OCI container through runc/crun.
import type { Writable } from 'node:stream';

export interface ExecMount {
  type: 'bind' | 'tmpfs';
  /** host path (bind) */
  source?: string;
  /** absolute path inside the rootfs; it must exist there before run() (or lie inside the executor's /dev tmpfs) */
  target: string;
  readOnly: boolean;
}

/** The process's network: the host's, or a namespace someone else made and pinned (the executor never creates one). */
export type ExecNetwork = { mode: 'host' } | { mode: 'netns'; path: string };

export interface ExecRequest {
  /** the container id: runtime state, cgroup and bundle are named after it */
  id: string;
  /** the mounted root filesystem (host path) */
  rootfs: string;
  args: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  groups: number[];
  network: ExecNetwork;
  hostname: string;
  /** contents of /etc/hosts and /etc/resolv.conf, mounted over the rootfs's (never written into it) */
  etc: { hosts: string; resolvConf: string };
  mounts: ExecMount[];
  stdout: Writable;
  stderr: Writable;
  signal?: AbortSignal;
}

export interface ExecResult {
  exitCode: number;
}

export interface Executor {
  /** Directories the executor mounts over inside the rootfs (they must exist; they are not part of a layer). */
  readonly mountpoints: readonly string[];
  /** Files the executor mounts over (created empty when missing, removed again after the run). */
  readonly fileMountpoints: readonly string[];
  run(req: ExecRequest): Promise<ExecResult>;
}
