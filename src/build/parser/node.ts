// The parser's output: one Node per instruction, with the source lines it came
// from. Arguments are kept as written (no variable expansion: that needs the
// build's ARG/ENV state, and happens in ../instructions).

export interface Heredoc {
  /** the delimiter word, unquoted */
  name: string;
  /** the body, each line ending in "\n" (leading tabs removed for <<-) */
  content: string;
  /** false when the delimiter was quoted: no variable expansion in the body */
  expand: boolean;
  /** <<- */
  chomp: boolean;
  /** file descriptor prefix ("3<<EOF"), when given */
  fd?: number;
}

export interface Node {
  /** the instruction keyword, lower-case */
  value: string;
  /** the instruction as written: continuations joined, comments removed */
  original: string;
  /** leading --flags, as written ("--from=build") */
  flags: string[];
  /** arguments after the instruction's own argument syntax (see parser.ts) */
  next: string[];
  /** exec (JSON) form */
  json: boolean;
  heredocs: Heredoc[];
  /** ONBUILD's trigger */
  sub?: Node;
  startLine: number;
  endLine: number;
}

export interface Directives {
  escape: string;
  syntax?: string;
  check?: string;
}

export interface Warning {
  line: number;
  message: string;
}

export interface ParseResult {
  directives: Directives;
  nodes: Node[];
  warnings: Warning[];
}

/** A Dockerfile error with its position (1-based line and column). */
export class DockerfileError extends Error {
  constructor(readonly file: string, readonly line: number, readonly column: number, readonly detail: string) {
    super(line > 0 ? `${file}:${line}: ${detail}` : `${file}: ${detail}`);
    this.name = 'DockerfileError';
  }
}
