// The Dockerfile parser: parser directives, comments, line continuations
// (with comments and empty lines inside them), heredocs, and each
// instruction's argument syntax. Nodes keep their source line range; errors
// name the file, line and column.
import { ArgError, extractFlags, maybeJSON, maybeJSONToList, nameOrNameVal, nameVal, splitWordsKeepQuotes, whitespaceWords, wholeString, type Parsed } from './args.js';
import { DockerfileError, type Directives, type Heredoc, type Node, type ParseResult, type Warning } from './node.js';

export const INSTRUCTIONS = new Set([
  'add', 'arg', 'cmd', 'copy', 'entrypoint', 'env', 'expose', 'from', 'healthcheck', 'label',
  'maintainer', 'onbuild', 'run', 'shell', 'stopsignal', 'user', 'volume', 'workdir',
]);
const HEREDOC_INSTRUCTIONS = new Set(['run', 'copy', 'add']);
const DIRECTIVE = /^#[ \t]*([a-zA-Z][a-zA-Z0-9]*)[ \t]*=[ \t]*(.*?)[ \t]*$/;
const KNOWN_DIRECTIVES = new Set(['syntax', 'escape', 'check']);
const HEREDOC_WORD = /^(\d*)<<(-?)([^<]*)$/;

interface Line {
  text: string;
  no: number;
}

/** Parse a whole Dockerfile at once. */
export function parseDockerfile(source: string, file = 'Dockerfile'): ParseResult {
  return drain(parseSteps(source, file));
}

/** Run a step-wise parse to its end. */
export function drain<T>(g: Generator<void, T>): T {
  for (;;) {
    const r = g.next();
    if (r.done) return r.value;
  }
}

/**
 * The parse, one instruction per step: a caller that must not hold the event
 * loop for long (the daemon, with a Dockerfile of thousands of lines) can
 * pause between steps.
 */
export function* parseSteps(source: string, file = 'Dockerfile'): Generator<void, ParseResult> {
  const text = source.replace(/^\uFEFF/, '');
  const lines: Line[] = text.split('\n').map((t, i) => ({ text: t.replace(/\r$/, ''), no: i + 1 }));
  if (lines.length && lines[lines.length - 1]!.text === '') lines.pop();
  const warnings: Warning[] = [];
  const directives: Directives = { escape: '\\' };
  let i = 0;
  const seen = new Set<string>();
  for (; i < lines.length; i++) {
    const m = DIRECTIVE.exec(lines[i]!.text);
    if (!m) break;
    const name = m[1]!.toLowerCase();
    if (!KNOWN_DIRECTIVES.has(name)) break; // unknown directives are comments, and end the directives
    if (seen.has(name)) throw new DockerfileError(file, lines[i]!.no, 1, `only one ${name} parser directive can be used`);
    seen.add(name);
    const value = m[2]!;
    if (name === 'escape') {
      if (value !== '\\' && value !== '`') throw new DockerfileError(file, lines[i]!.no, 1, `invalid escape token '${value}' does not match \` or \\`);
      directives.escape = value;
    } else if (name === 'syntax') directives.syntax = value;
    else directives.check = value;
  }
  const esc = directives.escape;
  const continuation = new RegExp(`${esc === '\\' ? '\\\\' : '`'}[ \\t]*$`);
  const nodes: Node[] = [];
  while (i < lines.length) {
    const first = lines[i]!;
    const trimmed = first.text.trim();
    if (trimmed === '' || trimmed.startsWith('#')) {
      i++;
      continue;
    }
    // join continuation lines
    let joined = first.text.trimStart();
    let end = first.no;
    i++;
    while (continuation.test(joined)) {
      joined = joined.replace(continuation, '');
      let found = false;
      while (i < lines.length) {
        const l = lines[i]!;
        i++;
        const t = l.text.trim();
        if (t.startsWith('#')) continue;
        if (t === '') {
          warnings.push({ line: l.no, message: 'Empty continuation line found in: this will become an error in a future release' });
          continue;
        }
        joined += l.text;
        end = l.no;
        found = true;
        break;
      }
      if (!found) break;
    }
    const node = parseInstruction(joined, first.no, end, first.text.length - first.text.trimStart().length + 1, esc, file);
    if (HEREDOC_INSTRUCTIONS.has(node.value)) {
      const docs = heredocWords(node, esc);
      for (const d of docs) {
        const body: string[] = [];
        let closed = false;
        while (i < lines.length) {
          const l = lines[i]!;
          i++;
          const cmp = d.chomp ? l.text.replace(/^\t+/, '') : l.text;
          if (cmp === d.name) {
            closed = true;
            node.endLine = l.no;
            break;
          }
          body.push(cmp + '\n');
        }
        if (!closed) throw new DockerfileError(file, node.startLine, 1, `unterminated heredoc ${d.name}`);
        node.heredocs.push({ ...d, content: body.join('') });
      }
    }
    nodes.push(node);
    yield;
  }
  return { directives, nodes, warnings };
}

function heredocWords(node: Node, esc: string): Omit<Heredoc, 'content'>[] {
  if (node.json) return [];
  const out: Omit<Heredoc, 'content'>[] = [];
  const src = node.value === 'run' ? node.next[0] ?? '' : node.next.join(' ');
  for (const w of splitWordsKeepQuotes(src, esc)) {
    const m = HEREDOC_WORD.exec(w);
    if (!m || !m[3]) continue;
    let name = m[3];
    let expand = true;
    const q = /^(['"])(.*)\1$/.exec(name);
    if (q) {
      name = q[2]!;
      expand = false;
    } else if (name.includes(esc)) {
      name = name.split(esc).join('');
      expand = false;
    }
    if (!name) continue;
    out.push({ name, expand, chomp: m[2] === '-', ...(m[1] ? { fd: Number(m[1]) } : {}) });
  }
  return out;
}

function fail(file: string, line: number, col: number, msg: string): never {
  throw new DockerfileError(file, line, col, msg);
}

function parseInstruction(line: string, start: number, end: number, col: number, esc: string, file: string): Node {
  const m = /^(\S+)\s*([\s\S]*)$/.exec(line)!;
  const word = m[1]!;
  const value = word.toLowerCase();
  if (!INSTRUCTIONS.has(value)) fail(file, start, col, `unknown instruction: ${word.toUpperCase()}`);
  const { flags, rest } = value === 'onbuild' ? { flags: [], rest: m[2]! } : extractFlags(m[2]!, esc);
  let parsed: Parsed;
  let sub: Node | undefined;
  try {
    switch (value) {
      case 'from':
      case 'expose':
        parsed = whitespaceWords(rest);
        break;
      case 'run':
      case 'cmd':
      case 'entrypoint':
      case 'shell':
        parsed = maybeJSON(rest);
        break;
      case 'copy':
      case 'add':
      case 'volume':
        parsed = maybeJSONToList(rest, esc);
        break;
      case 'env':
      case 'label':
        parsed = nameVal(rest, value.toUpperCase(), esc);
        break;
      case 'arg':
        parsed = nameOrNameVal(rest, esc);
        break;
      case 'onbuild': {
        const t = rest.trim();
        if (!t) fail(file, start, col, 'ONBUILD requires at least one argument');
        const inner = t.split(/\s+/)[0]!.toUpperCase();
        if (inner === 'ONBUILD') fail(file, start, col, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
        if (inner === 'FROM' || inner === 'MAINTAINER') fail(file, start, col, `${inner} isn't allowed as an ONBUILD trigger`);
        sub = parseInstruction(t, start, end, col, esc, file);
        parsed = { next: [t], json: false };
        break;
      }
      case 'healthcheck':
        parsed = healthcheck(rest);
        break;
      default:
        parsed = wholeString(rest);
    }
  } catch (err) {
    if (err instanceof ArgError) fail(file, start, col, err.message);
    throw err;
  }
  return { value, original: line.trim(), flags, next: parsed.next, json: parsed.json, heredocs: [], ...(sub ? { sub } : {}), startLine: start, endLine: end };
}

function healthcheck(rest: string): Parsed {
  const t = rest.trim();
  if (!t) throw new ArgError('HEALTHCHECK requires at least one argument');
  const m = /^(\S+)\s*([\s\S]*)$/.exec(t)!;
  const typ = m[1]!.toUpperCase();
  if (typ === 'NONE') {
    if (m[2]!.trim()) throw new ArgError('HEALTHCHECK NONE takes no arguments');
    return { next: ['NONE'], json: false };
  }
  if (typ !== 'CMD') throw new ArgError(`Unknown type "${typ}" in HEALTHCHECK (try CMD)`);
  const p = maybeJSON(m[2]!);
  return { next: ['CMD', ...p.next], json: p.json };
}

/** The golden-file form of a parse: one S-expression per instruction. */
export function dump(nodes: readonly Node[]): string {
  const one = (n: Node): string => {
    const parts = [n.value];
    if (n.flags.length) parts.push(`[${n.flags.map((f) => JSON.stringify(f)).join(' ')}]`);
    if (n.json) parts.push('json');
    if (n.sub) parts.push(one(n.sub));
    else for (const a of n.next) parts.push(JSON.stringify(a));
    for (const h of n.heredocs) parts.push(`<<${h.chomp ? '-' : ''}${h.expand ? '' : "'"}${h.name}${h.expand ? '' : "'"}=${JSON.stringify(h.content)}`);
    return `(${parts.join(' ')})`;
  };
  return nodes.map((n) => `${n.startLine}-${n.endLine} ${one(n)}`).join('\n') + '\n';
}
