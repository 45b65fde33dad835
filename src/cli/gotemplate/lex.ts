// The lexer of Go's text/template (text/template/parse/lex.go), ported item for item so that
// the parser above it sees the same tokens, positions and errors the docker CLI's Go sees.

export type ItemType =
  | 'error' | 'bool' | 'char' | 'charConstant' | 'comment' | 'assign' | 'declare' | 'EOF' | 'field'
  | 'identifier' | 'leftDelim' | 'leftParen' | 'number' | 'pipe' | 'rawString' | 'rightDelim'
  | 'rightParen' | 'space' | 'string' | 'text' | 'variable'
  // keywords
  | 'block' | 'break' | 'continue' | 'dot' | 'define' | 'else' | 'end' | 'if' | 'nil' | 'range' | 'template' | 'with';

export interface Item {
  typ: ItemType;
  pos: number; // byte offset (UTF-16 offset here; the same for the ASCII templates docker users write)
  val: string;
  line: number;
}

const KEYWORDS: Record<string, ItemType> = {
  '.': 'dot', block: 'block', break: 'break', continue: 'continue', define: 'define', else: 'else', end: 'end',
  if: 'if', range: 'range', nil: 'nil', template: 'template', with: 'with',
};
const KEYWORD_TYPES = new Set<ItemType>(['block', 'break', 'continue', 'dot', 'define', 'else', 'end', 'if', 'nil', 'range', 'template', 'with']);

/** Item.String() as Go prints it inside "unexpected %s" messages. */
export function itemString(i: Item): string {
  if (i.typ === 'EOF') return 'EOF';
  if (i.typ === 'error') return i.val;
  if (KEYWORD_TYPES.has(i.typ)) return `<${i.val}>`;
  if (i.val.length > 10) return `${goQuote(i.val.slice(0, 10))}...`;
  return goQuote(i.val);
}

/** strconv.Quote for the printable ASCII case plus the common escapes. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c === 7) out += '\\a';
    else if (c === 8) out += '\\b';
    else if (c === 12) out += '\\f';
    else if (c === 11) out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else if (c === 0xfffd && ch !== '\ufffd') out += '\\ufffd';
    else out += ch;
  }
  return out + '"';
}

const LEFT = '{{';
const RIGHT = '}}';
const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isAlphaNumeric = (c: string | undefined) => c !== undefined && (c === '_' || /^[\p{L}\p{Nd}]$/u.test(c));

export function lex(input: string): Item[] {
  const items: Item[] = [];
  let pos = 0;
  let start = 0;
  let line = 1;
  let startLine = 1;
  let parenDepth = 0;
  let insideAction = false;

  const emit = (typ: ItemType, val = input.slice(start, pos)) => {
    items.push({ typ, pos: start, val, line: startLine });
    start = pos;
    startLine = line;
  };
  const advance = (n: number) => {
    for (let i = 0; i < n; i++) if (input[pos + i] === '\n') line++;
    pos += n;
  };
  const ignore = () => {
    start = pos;
    startLine = line;
  };
  const fail = (msg: string) => {
    items.push({ typ: 'error', pos: start, val: msg, line: startLine });
    return false;
  };
  const hasLeftTrim = (at: number) => input[at] === '-' && isSpace(input[at + 1]);
  const atRightDelim = (): { delim: boolean; trim: boolean } => {
    if (isSpace(input[pos]) && input[pos + 1] === '-' && input.startsWith(RIGHT, pos + 2)) return { delim: true, trim: true };
    if (input.startsWith(RIGHT, pos)) return { delim: true, trim: false };
    return { delim: false, trim: false };
  };
  const atTerminator = () => {
    const c = input[pos];
    if (c === undefined || isSpace(c)) return true;
    if ('.,|:()'.includes(c)) return true;
    return input.startsWith(RIGHT, pos);
  };

  // Each step returns false once an error item ends the stream.
  const lexText = (): boolean => {
    const x = input.indexOf(LEFT, pos);
    if (x < 0) {
      advance(input.length - pos);
      if (pos > start) emit('text');
      emit('EOF');
      return false;
    }
    advance(x - pos);
    let end = pos;
    if (hasLeftTrim(x + LEFT.length)) {
      while (end > start && isSpace(input[end - 1])) end--;
    }
    if (end > start) {
      items.push({ typ: 'text', pos: start, val: input.slice(start, end), line: startLine });
    }
    start = pos;
    startLine = line;
    return lexLeftDelim();
  };

  const lexLeftDelim = (): boolean => {
    advance(LEFT.length);
    const trim = hasLeftTrim(pos);
    const after = trim ? 2 : 0;
    if (input.startsWith('/*', pos + after)) {
      advance(after);
      ignore();
      return lexComment();
    }
    emit('leftDelim');
    advance(after);
    ignore();
    insideAction = true;
    return true;
  };

  const lexComment = (): boolean => {
    advance(2);
    const x = input.indexOf('*/', pos);
    if (x < 0) return fail('unclosed comment');
    advance(x + 2 - pos);
    const d = atRightDelim();
    if (!d.delim) return fail('comment ends before closing delimiter');
    emit('comment');
    if (d.trim) advance(2);
    advance(RIGHT.length);
    if (d.trim) while (isSpace(input[pos])) advance(1);
    ignore();
    return true;
  };

  const lexRightDelim = (trim: boolean): boolean => {
    if (trim) {
      advance(2);
      ignore();
    }
    advance(RIGHT.length);
    emit('rightDelim');
    if (trim) {
      while (isSpace(input[pos])) advance(1);
      ignore();
    }
    insideAction = false;
    return true;
  };

  const lexInsideAction = (): boolean => {
    const d = atRightDelim();
    if (d.delim) {
      if (parenDepth === 0) return lexRightDelim(d.trim);
      return fail('unclosed left paren');
    }
    const c = input[pos];
    if (c === undefined) return fail('unclosed action');
    if (isSpace(c)) {
      // lexSpace: a run of spaces, stopping before a " -}}" trim marker
      while (isSpace(input[pos])) {
        if (input[pos + 1] === '-' && input.startsWith(RIGHT, pos + 2)) {
          if (pos > start) emit('space');
          return true;
        }
        advance(1);
      }
      emit('space');
      return true;
    }
    if (c === '=') return (advance(1), emit('assign'), true);
    if (c === ':') {
      advance(1);
      if (input[pos] !== '=') return fail('expected :=');
      advance(1);
      emit('declare');
      return true;
    }
    if (c === '|') return (advance(1), emit('pipe'), true);
    if (c === '"') return lexQuoted('"', 'string', 'quoted string');
    if (c === '`') return lexRawQuote();
    if (c === '$') {
      advance(1);
      return lexFieldOrVariable('variable');
    }
    if (c === "'") return lexQuoted("'", 'charConstant', 'character constant');
    if (c === '.') {
      if (pos + 1 < input.length && /[0-9]/.test(input[pos + 1]!)) return lexNumber();
      advance(1);
      return lexFieldOrVariable('field');
    }
    if (c === '+' || c === '-' || /[0-9]/.test(c)) return lexNumber();
    if (isAlphaNumeric(c)) return lexIdentifier();
    if (c === '(') {
      advance(1);
      emit('leftParen');
      parenDepth++;
      return true;
    }
    if (c === ')') {
      advance(1);
      parenDepth--;
      if (parenDepth < 0) return fail('unexpected right paren');
      emit('rightParen');
      return true;
    }
    const cp = c.codePointAt(0)!;
    if (cp < 0x80 && cp >= 0x20 && cp < 0x7f) {
      advance(1);
      emit('char');
      return true;
    }
    return fail(`unrecognized character in action: U+${cp.toString(16).toUpperCase().padStart(4, '0')}`);
  };

  const badChar = () => {
    const ch = input[pos]!;
    const cp = ch.codePointAt(0)!;
    return fail(`bad character U+${cp.toString(16).toUpperCase().padStart(4, '0')} '${ch}'`);
  };

  const lexIdentifier = (): boolean => {
    while (isAlphaNumeric(input[pos])) advance(1);
    if (!atTerminator()) return badChar();
    const word = input.slice(start, pos);
    const kw = KEYWORDS[word];
    if (kw && kw !== 'dot') emit(kw);
    else if (word[0] === '.') emit('field');
    else if (word === 'true' || word === 'false') emit('bool');
    else emit('identifier');
    return true;
  };

  const lexFieldOrVariable = (typ: 'field' | 'variable'): boolean => {
    if (atTerminator()) {
      if (typ === 'variable') emit('variable');
      else emit('dot');
      return true;
    }
    while (isAlphaNumeric(input[pos])) advance(1);
    if (!atTerminator()) return badChar();
    emit(typ);
    return true;
  };

  const lexNumber = (): boolean => {
    const m = /^[+-]?(?:0[xX][0-9a-fA-F_]*(?:\.[0-9a-fA-F_]*)?(?:[pP][+-]?[0-9_]+)?|0[bB][01_]*|0[oO][0-7_]*|[0-9_]*(?:\.[0-9_]*)?(?:[eE][+-]?[0-9_]+)?)i?/.exec(input.slice(pos))!;
    advance(m[0].length);
    if (m[0] === '' || m[0] === '+' || m[0] === '-' || isAlphaNumeric(input[pos])) {
      advance(1);
      return fail(`bad number syntax: "${input.slice(start, pos)}"`);
    }
    emit('number');
    return true;
  };

  /** A "..." string or a '.' character constant: backslash escapes, no newline. */
  const lexQuoted = (close: string, typ: 'string' | 'charConstant', what: string): boolean => {
    advance(1);
    for (;;) {
      const c = input[pos];
      if (c === '\\') {
        advance(1);
        if (input[pos] !== undefined && input[pos] !== '\n') {
          advance(1);
          continue;
        }
      }
      if (c === undefined || c === '\n' || (c === '\\' && input[pos] === undefined)) return fail(`unterminated ${what}`);
      advance(1);
      if (c === close) break;
    }
    emit(typ);
    return true;
  };

  const lexRawQuote = (): boolean => {
    advance(1);
    const x = input.indexOf('`', pos);
    if (x < 0) return fail('unterminated raw quoted string');
    advance(x + 1 - pos);
    emit('rawString');
    return true;
  };

  for (;;) {
    const more = insideAction ? lexInsideAction() : lexText();
    if (!more) break;
  }
  return items;
}
