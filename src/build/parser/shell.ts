// Variable expansion with the Dockerfile's quoting rules (BuildKit's shell
// lexer): single quotes are literal; double quotes allow $-expansion and the
// escape character before " $ and itself; outside quotes the escape character
// makes the next character literal. Supported expansions: $v ${v} ${v:-w}
// ${v-w} ${v:+w} ${v+w} ${v:?msg} ${v?msg} ${v#p} ${v##p} ${v%p} ${v%%p}
// ${v/p/r} ${v//p/r}, where the words themselves are expanded and p is a
// shell glob (* ? [...]).

export type Env = ReadonlyMap<string, string>;

export class ExpansionError extends Error {}

export interface WordResult {
  words: string[];
  /** names of the variables the text referred to (for unused build-arg warnings) */
  used: Set<string>;
}

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

class Lexer {
  private i = 0;
  readonly used = new Set<string>();
  constructor(private readonly s: string, private readonly env: Env, private readonly esc: string) {}

  /** Expand and split into words (quotes removed); splitting only on unquoted whitespace. */
  words(split: boolean): string[] {
    const out: string[] = [];
    let cur = '';
    let inWord = false;
    while (this.i < this.s.length) {
      const c = this.s[this.i]!;
      if (split && /\s/.test(c)) {
        this.i++;
        if (inWord) out.push(cur);
        cur = '';
        inWord = false;
        continue;
      }
      inWord = true;
      if (c === "'") cur += this.single();
      else if (c === '"') cur += this.double();
      else if (c === '$') cur += this.dollar();
      else if (c === this.esc) {
        this.i++;
        if (this.i < this.s.length) cur += this.s[this.i++];
        else cur += this.esc;
      } else {
        cur += c;
        this.i++;
      }
    }
    if (inWord) out.push(cur);
    return out;
  }

  private single(): string {
    this.i++;
    const end = this.s.indexOf("'", this.i);
    if (end < 0) throw new ExpansionError('unexpected end of statement while looking for matching single-quote');
    const v = this.s.slice(this.i, end);
    this.i = end + 1;
    return v;
  }

  private double(): string {
    this.i++;
    let v = '';
    while (this.i < this.s.length) {
      const c = this.s[this.i]!;
      if (c === '"') {
        this.i++;
        return v;
      }
      if (c === '$') v += this.dollar();
      else if (c === this.esc && this.i + 1 < this.s.length) {
        const n = this.s[this.i + 1]!;
        if (n === '"' || n === '$' || n === this.esc) {
          v += n;
          this.i += 2;
        } else {
          v += c;
          this.i++;
        }
      } else {
        v += c;
        this.i++;
      }
    }
    throw new ExpansionError('unexpected end of statement while looking for matching double-quote');
  }

  private lookup(name: string): string | undefined {
    this.used.add(name);
    return this.env.get(name);
  }

  private dollar(): string {
    this.i++; // $
    const c = this.s[this.i];
    if (c === undefined) return '$';
    if (c !== '{') {
      if (!NAME_START.test(c)) return '$';
      let name = '';
      while (this.i < this.s.length && NAME_CHAR.test(this.s[this.i]!)) name += this.s[this.i++];
      return this.lookup(name) ?? '';
    }
    this.i++; // {
    let name = '';
    while (this.i < this.s.length && NAME_CHAR.test(this.s[this.i]!)) name += this.s[this.i++];
    if (!name) throw new ExpansionError(`bad substitution: missing variable name in \${`);
    const ch = this.s[this.i];
    if (ch === undefined) throw new ExpansionError('missing \'}\'');
    if (ch === '}') {
      this.i++;
      return this.lookup(name) ?? '';
    }
    let op = ch;
    this.i++;
    if ((op === ':' || op === '#' || op === '%' || op === '/') && ['-', '+', '?', '#', '%', '/'].includes(this.s[this.i] ?? '')) {
      const n = this.s[this.i]!;
      if ((op === ':' && '-+?'.includes(n)) || (op !== ':' && n === op)) {
        op += n;
        this.i++;
      }
    }
    const value = this.lookup(name);
    const word = () => this.braceWord();
    switch (op) {
      case ':-': { const w = word(); return value ? value : w; }
      case '-': { const w = word(); return value !== undefined ? value : w; }
      case ':+': { const w = word(); return value ? w : ''; }
      case '+': { const w = word(); return value !== undefined ? w : ''; }
      case ':?': case '?': {
        const w = word();
        if (op === ':?' ? !value : value === undefined) throw new ExpansionError(`${name}: ${w || 'is not allowed to be unset'}`);
        return value!;
      }
      case '#': case '##': case '%': case '%%': {
        const pat = word();
        return trim(value ?? '', pat, op);
      }
      case '/': case '//': {
        const pat = this.braceWord('/');
        let repl = '';
        if (this.s[this.i - 1] === '/') repl = this.braceWord();
        return replace(value ?? '', pat, repl, op === '//');
      }
      default:
        throw new ExpansionError(`unsupported modifier (${op}) in substitution`);
    }
  }

  /** The word inside ${name<op>word}, expanded, up to the closing brace (or `stop`). */
  private braceWord(stop?: string): string {
    let v = '';
    while (this.i < this.s.length) {
      const c = this.s[this.i]!;
      if (c === '}' || c === stop) {
        this.i++;
        return v;
      }
      if (c === "'") v += this.single();
      else if (c === '"') v += this.double();
      else if (c === '$') v += this.dollar();
      else if (c === this.esc && this.i + 1 < this.s.length) {
        v += this.s[this.i + 1];
        this.i += 2;
      } else {
        v += c;
        this.i++;
      }
    }
    throw new ExpansionError("missing '}'");
  }
}

/** A shell glob as a RegExp source (no anchors). */
export function globSource(pat: string): string {
  let re = '';
  for (let i = 0; i < pat.length; i++) {
    const c = pat[i]!;
    if (c === '*') re += '[\\s\\S]*';
    else if (c === '?') re += '[\\s\\S]';
    else if (c === '[') {
      const end = pat.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let cls = pat.slice(i + 1, end);
        if (cls.startsWith('!') || cls.startsWith('^')) cls = '^' + cls.slice(1);
        re += `[${cls.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else if (c === '\\' && i + 1 < pat.length) re += escapeRe(pat[++i]!);
    else re += escapeRe(c);
  }
  return re;
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function trim(value: string, pat: string, op: string): string {
  const g = globSource(pat);
  if (op === '#' || op === '##') {
    // shortest (#) or longest (##) matching prefix
    const lens = [...Array(value.length + 1).keys()];
    if (op === '##') lens.reverse();
    for (const n of lens) if (new RegExp(`^(?:${g})$`).test(value.slice(0, n))) return value.slice(n);
    return value;
  }
  const starts = [...Array(value.length + 1).keys()];
  if (op === '%') starts.reverse();
  for (const n of starts) if (new RegExp(`^(?:${g})$`).test(value.slice(n))) return value.slice(0, n);
  return value;
}

function replace(value: string, pat: string, repl: string, all: boolean): string {
  if (!pat) return value;
  let g = globSource(pat);
  let anchor = '';
  if (pat.startsWith('#')) { g = globSource(pat.slice(1)); anchor = '^'; }
  else if (pat.startsWith('%')) { g = globSource(pat.slice(1)); return value.replace(new RegExp(`(?:${g})$`), repl); }
  return value.replace(new RegExp(anchor + `(?:${g})`, all && !anchor ? 'g' : ''), () => repl);
}

/** Expand `s` into one word (quotes removed, whitespace kept). */
export function expandWord(s: string, env: Env, esc = '\\'): string {
  return new Lexer(s, env, esc).words(false).join('');
}

/** Expand and split `s` into words on unquoted whitespace. */
export function expandWords(s: string, env: Env, esc = '\\'): string[] {
  return new Lexer(s, env, esc).words(true);
}

/** Which variables `s` refers to. */
export function referencedVars(s: string, env: Env, esc = '\\'): Set<string> {
  const l = new Lexer(s, env, esc);
  try {
    l.words(false);
  } catch {
    /* a malformed word refers to what it named so far */
  }
  return l.used;
}
