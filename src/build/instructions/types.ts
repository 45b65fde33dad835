// Typed instructions: what each Dockerfile instruction means, with its flags
// checked. Words are still unexpanded (expansion needs the build's ARG/ENV
// state at that point of the stage; see ../dispatch).
import type { Heredoc, Node } from '../parser/index.js';

interface Base {
  node: Node;
}

export interface RunMount {
  type: 'bind' | 'cache' | 'tmpfs' | 'secret' | 'ssh';
  target: string;
  source?: string;
  from?: string;
  id?: string;
  readOnly: boolean;
  sharing?: 'shared' | 'private' | 'locked';
  mode?: number;
  uid?: number;
  gid?: number;
  required: boolean;
  size?: number;
}

export type Instruction =
  | (Base & { kind: 'run'; args: string[]; shell: boolean; mounts: RunMount[]; network: 'default' | 'none' | 'host'; heredocs: Heredoc[] })
  | (Base & { kind: 'cmd' | 'entrypoint'; args: string[]; shell: boolean })
  | (Base & { kind: 'env' | 'label'; pairs: [string, string][] })
  | (Base & { kind: 'arg'; args: { name: string; value?: string }[] })
  | (Base & { kind: 'expose'; ports: string[] })
  | (Base & { kind: 'workdir' | 'user' | 'stopsignal' | 'maintainer'; value: string })
  | (Base & { kind: 'volume'; paths: string[] })
  | (Base & { kind: 'shell'; shell: string[] })
  | (Base & { kind: 'onbuild'; expression: string })
  | (Base & { kind: 'healthcheck'; test: string[] | null; interval?: string; timeout?: string; startPeriod?: string; startInterval?: string; retries?: string })
  | (Base & CopyLike);

export interface CopyLike {
  kind: 'copy' | 'add';
  sources: string[];
  dest: string;
  from?: string;
  chown?: string;
  chmod?: string;
  link: boolean;
  exclude: string[];
  heredocs: Heredoc[];
  checksum?: string;
  keepGitDir: boolean;
}

export interface Stage {
  /** lower-cased AS name */
  name?: string;
  /** FROM's image or stage reference, unexpanded */
  base: string;
  platform?: string;
  index: number;
  node: Node;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** ARGs before the first FROM */
  metaArgs: { name: string; value?: string }[];
  stages: Stage[];
  escape: string;
  /** the Dockerfile's name, for errors found while building (file:line) */
  file: string;
}
