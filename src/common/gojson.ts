// JSON read the way Go's encoding/json reads it, for inputs whose errors users
// compare with docker's: a seccomp profile is checked by the docker CLI with
// json.Compact and decoded by dockerd with json.Unmarshal, and both print Go's
// scanner messages ("invalid character '}' after object key"). The parser keeps
// numbers as their literal text (a uint64 must not pass through a double) and
// every node's source span (Go quotes a value's raw bytes in some messages).

export type GoJsonNode =
  | { kind: 'null'; start: number; end: number }
  | { kind: 'bool'; value: boolean; start: number; end: number }
  | { kind: 'number'; raw: string; start: number; end: number }
  | { kind: 'string'; value: string; start: number; end: number }
  | { kind: 'array'; items: GoJsonNode[]; start: number; end: number }
  | { kind: 'object'; entries: [string, GoJsonNode][]; start: number; end: number };

/** A syntax error; the message is Go's, word for word. */
export class GoJsonSyntaxError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
    this.name = 'GoJsonSyntaxError';
  }
}

/** Go's encoding/json nesting limit (scanner.go maxNestingDepth). */
const MAX_DEPTH = 10_000;

/** How Go's scanner names a byte in a message (quoteChar). */
function quoteChar(c: string): string {
  if (c === "'") return `'\\''`;
  if (c === '"') return `'"'`;
  const code = c.charCodeAt(0);
  const named: Record<string, string> = { '\n': '\\n', '\t': '\\t', '\r': '\\r', '\b': '\\b', '\f': '\\f', '\v': '\\v', '\x07': '\\a', '\\': '\\\\' };
  if (named[c]) return `'${named[c]}'`;
  if (code < 0x20 || code === 0x7f) return `'\\x${code.toString(16).padStart(2, '0')}'`;
  return `'${c}'`;
}

const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const isHex = (c: string | undefined) => c !== undefined && /^[0-9a-fA-F]$/.test(c);

/** Where a value ends decides how Go words the character after it. */
type After = 'top-level value' | 'object key:value pair' | 'array element';

class Parser {
  private i = 0;
  private depth = 0;
  constructor(private readonly s: string) {}

  private fail(what: string): never {
    if (this.i >= this.s.length) throw new GoJsonSyntaxError('unexpected end of JSON input', this.i);
    throw new GoJsonSyntaxError(`invalid character ${quoteChar(this.s[this.i]!)} ${what}`, this.i);
  }

  private ws(): void {
    while (isSpace(this.s[this.i])) this.i++;
  }

  document(): GoJsonNode {
    const v = this.value();
    this.ws();
    if (this.i < this.s.length) this.fail('after top-level value');
    return v;
  }

  private value(): GoJsonNode {
    this.ws();
    const c = this.s[this.i];
    const start = this.i;
    if (c === '{' || c === '[') {
      if (++this.depth > MAX_DEPTH) throw new GoJsonSyntaxError('exceeded max depth', this.i);
      const v = c === '{' ? this.object() : this.array();
      this.depth--;
      return v;
    }
    if (c === '"') return { kind: 'string', value: this.string(), start, end: this.i };
    if (c === '-' || isDigit(c)) return { kind: 'number', raw: this.number(), start, end: this.i };
    if (c === 't' || c === 'f' || c === 'n') {
      const word = c === 't' ? 'true' : c === 'f' ? 'false' : 'null';
      for (let k = 0; k < word.length; k++, this.i++) {
        if (this.s[this.i] !== word[k]) this.fail(`in literal ${word} (expecting ${quoteChar(word[k]!)})`);
      }
      return word === 'null' ? { kind: 'null', start, end: this.i } : { kind: 'bool', value: word === 'true', start, end: this.i };
    }
    return this.fail('looking for beginning of value');
  }

  /** After a value inside a container: skip spaces, then the closing or separating character must come. */
  private after(close: string, what: After): boolean {
    this.ws();
    const c = this.s[this.i];
    if (c === ',') {
      this.i++;
      return true;
    }
    if (c === close) {
      this.i++;
      return false;
    }
    return this.fail(`after ${what}`);
  }

  private object(): GoJsonNode {
    const start = this.i++;
    const entries: [string, GoJsonNode][] = [];
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return { kind: 'object', entries, start, end: this.i };
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.fail('looking for beginning of object key string');
      const key = this.string();
      this.ws();
      if (this.s[this.i] !== ':') this.fail('after object key');
      this.i++;
      entries.push([key, this.value()]);
      if (!this.after('}', 'object key:value pair')) return { kind: 'object', entries, start, end: this.i };
    }
  }

  private array(): GoJsonNode {
    const start = this.i++;
    const items: GoJsonNode[] = [];
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return { kind: 'array', items, start, end: this.i };
    }
    for (;;) {
      items.push(this.value());
      if (!this.after(']', 'array element')) return { kind: 'array', items, start, end: this.i };
    }
  }

  private string(): string {
    const start = this.i++;
    for (;;) {
      const c = this.s[this.i];
      if (c === undefined) this.fail('');
      if (c === '"') break;
      if (c === '\\') {
        this.i++;
        const e = this.s[this.i];
        if (e === 'u') {
          for (let k = 0; k < 4; k++) {
            this.i++;
            if (!isHex(this.s[this.i])) this.fail('in \\u hexadecimal character escape');
          }
        } else if (e === undefined || !'"\\/bfnrt'.includes(e)) this.fail('in string escape code');
      } else if (c.charCodeAt(0) < 0x20) this.fail('in string literal');
      this.i++;
    }
    this.i++;
    return JSON.parse(this.s.slice(start, this.i)) as string;
  }

  private number(): string {
    const start = this.i;
    if (this.s[this.i] === '-') {
      this.i++;
      if (!isDigit(this.s[this.i])) this.fail('in numeric literal');
    }
    if (this.s[this.i] === '0') this.i++;
    else while (isDigit(this.s[this.i])) this.i++;
    if (this.s[this.i] === '.') {
      this.i++;
      if (!isDigit(this.s[this.i])) this.fail('after decimal point in numeric literal');
      while (isDigit(this.s[this.i])) this.i++;
    }
    if (this.s[this.i] === 'e' || this.s[this.i] === 'E') {
      this.i++;
      if (this.s[this.i] === '+' || this.s[this.i] === '-') this.i++;
      if (!isDigit(this.s[this.i])) this.fail('in exponent of numeric literal');
      while (isDigit(this.s[this.i])) this.i++;
    }
    return this.s.slice(start, this.i);
  }
}

/** Parse as Go's json.Unmarshal validates (it checks the whole input before decoding any of it). */
export function parseGoJson(text: string): GoJsonNode {
  try {
    return new Parser(text).document();
  } catch (e) {
    // Node's stack may end before Go's depth limit; either way the input nests too deep.
    if (e instanceof RangeError) throw new GoJsonSyntaxError('exceeded max depth', 0);
    throw e;
  }
}

/** Go's json.Compact: the same document without insignificant whitespace, or Go's syntax error. */
export function compactGoJson(text: string): string {
  parseGoJson(text);
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i]!;
      else if (c === '"') inString = false;
    } else if (!isSpace(c)) {
      out += c;
      if (c === '"') inString = true;
    }
  }
  return out;
}
