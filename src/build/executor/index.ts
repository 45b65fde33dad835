// The Executor seam: the builder runs RUN steps through this interface, so
// the process runner can be swapped (the chroot/namespace executor here until
// the runtime's runc-based executor is wired in by the daemon).
import type { Writable } from 'node:stream';

export interface ExecMount {
  type: 'bind' | 'tmpfs';
  /** host path (bind) */
  source?: string;
  /** absolute path inside the rootfs; it must exist there before run() */
  target: string;
  readOnly: boolean;
}

export interface ExecRequest {
  /** the mounted root filesystem (host path) */
  rootfs: string;
  args: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  groups: number[];
  network: 'none' | 'host';
  hostname: string;
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
  run(req: ExecRequest): Promise<ExecResult>;
}

export { NamespaceExecutor, namespaceExecutorAvailable } from './namespace.js';
