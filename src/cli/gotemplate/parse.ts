// The parser of Go's text/template (text/template/parse/parse.go): the same grammar, the same
// checks at parse time (undefined variables and functions, {{break}} outside {{range}}, non
// executable pipeline stages) and the same error texts, "template: NAME:LINE: MESSAGE".
import { goQuote, itemString, lex, type Item, type ItemType } from './lex.js';
import { nodeString } from './ast.js';
import type { Arg, CommandNode, IfNode, ListNode, Node, NumberNode, PipeNode, RangeNode, TemplateNode, VariableNode, WithNode } from './ast.js';

export class TemplateParseError extends Error {}

/** Every template a parse defined, by name; "" is the main one. */
export type TreeSet = Map<string, ListNode>;

const ARG_START = new Set<ItemType>(['bool', 'charConstant', 'dot', 'field', 'identifier', 'number', 'nil', 'rawString', 'string', 'variable', 'leftParen']);

export function parseTemplate(text: string, funcs: ReadonlySet<string>, name = ''): TreeSet {
  const items = lex(text);
  let i = 0;
  let vars: string[] = ['$'];
  let rangeDepth = 0;
  const trees: TreeSet = new Map();
  let last: Item = items[0]!;

  const errorf = (msg: string): never => {
    throw new TemplateParseError(`template: ${name}:${last.line}: ${msg}`);
  };
  const next = (): Item => {
    last = items[i] ?? items[items.length - 1]!;
    if (i < items.length) i++;
    if (last.typ === 'error') errorf(last.val);
    return last;
  };
  const backup = (n = 1) => {
    i -= n;
  };
  const peek = (): Item => items[i] ?? items[items.length - 1]!;
  const nextNonSpace = (): Item => {
    let t = next();
    while (t.typ === 'space') t = next();
    return t;
  };
  const peekNonSpace = (): Item => {
    const t = nextNonSpace();
    backup();
    return t;
  };
  const unexpected = (t: Item, context: string): never => errorf(`unexpected ${itemString(t)} in ${context}`);
  const expect = (typ: ItemType, context: string): Item => {
    const t = nextNonSpace();
    if (t.typ !== typ) unexpected(t, context);
    return t;
  };

  type Ended = { kind: 'end' | 'else'; pos: number; line: number };
  const isEnded = (n: Node | Ended): n is Ended => 'kind' in n;

  const itemList = (): [ListNode, Ended] => {
    const list: ListNode = { type: 'list', pos: peekNonSpace().pos, nodes: [] };
    while (peekNonSpace().typ !== 'EOF') {
      const n = textOrAction();
      if (isEnded(n)) return [list, n];
      list.nodes.push(n);
    }
    return errorf('unexpected EOF');
  };

  const textOrAction = (): Node | Ended => {
    const t = nextNonSpace();
    if (t.typ === 'text') return { type: 'text', pos: t.pos, text: t.val };
    if (t.typ === 'leftDelim') return action();
    if (t.typ === 'comment') return { type: 'comment', pos: t.pos, text: t.val };
    return unexpected(t, 'input');
  };

  const action = (): Node | Ended => {
    const t = nextNonSpace();
    switch (t.typ) {
      case 'block': return blockControl();
      case 'break': case 'continue': {
        const end = nextNonSpace();
        if (end.typ !== 'rightDelim') unexpected(end, `{{${t.val}}}`);
        if (rangeDepth === 0) errorf(`{{${t.val}}} outside {{range}}`);
        return { type: t.typ, pos: t.pos, line: t.line };
      }
      case 'else': {
        const p = peekNonSpace();
        if (p.typ === 'if' || p.typ === 'with') return { kind: 'else', pos: p.pos, line: p.line };
        const e = expect('rightDelim', 'else');
        return { kind: 'else', pos: e.pos, line: e.line };
      }
      case 'end': {
        const e = expect('rightDelim', 'end');
        return { kind: 'end', pos: e.pos, line: e.line };
      }
      case 'if': return control('if');
      case 'range': return control('range');
      case 'with': return control('with');
      case 'template': return templateControl();
    }
    backup();
    const p = peek();
    return { type: 'action', pos: p.pos, line: p.line, pipe: pipeline('command', 'rightDelim') };
  };

  const control = <K extends 'if' | 'range' | 'with'>(context: K): IfNode | RangeNode | WithNode => {
    const saved = vars.length;
    try {
      const pipe = pipeline(context, 'rightDelim');
      if (context === 'range') rangeDepth++;
      const [list, end] = itemList();
      if (context === 'range') rangeDepth--;
      let elseList: ListNode | null = null;
      if (end.kind === 'else') {
        const p = peek();
        if ((context === 'if' && p.typ === 'if') || (context === 'with' && p.typ === 'with')) {
          next();
          elseList = { type: 'list', pos: end.pos, nodes: [control(context)] };
        } else {
          const [l, e2] = itemList();
          if (e2.kind !== 'end') errorf('expected end; found {{else}}');
          elseList = l;
        }
      }
      return { type: context, pos: pipe.pos, line: pipe.line, pipe, list, elseList } as IfNode | RangeNode | WithNode;
    } finally {
      vars = vars.slice(0, saved);
    }
  };

  const templateName = (t: Item, context: string): string => {
    if (t.typ === 'string' || t.typ === 'rawString') return unquote(t);
    return unexpected(t, context);
  };

  const templateControl = (): TemplateNode => {
    const context = 'template clause';
    const t = nextNonSpace();
    const tname = templateName(t, context);
    let pipe: PipeNode | null = null;
    if (nextNonSpace().typ !== 'rightDelim') {
      backup();
      pipe = pipeline(context, 'rightDelim');
    }
    return { type: 'template', pos: t.pos, line: t.line, name: tname, pipe };
  };

  const blockControl = (): TemplateNode => {
    const context = 'block clause';
    const t = nextNonSpace();
    const tname = templateName(t, context);
    const pipe = pipeline(context, 'rightDelim');
    const saved = { vars, rangeDepth };
    vars = ['$'];
    rangeDepth = 0;
    const [body, end] = itemList();
    if (end.kind !== 'end') errorf(`unexpected {{else}} in ${context}`);
    vars = saved.vars;
    rangeDepth = saved.rangeDepth;
    addTree(tname, body);
    return { type: 'template', pos: t.pos, line: t.line, name: tname, pipe };
  };

  const addTree = (tname: string, list: ListNode) => {
    const old = trees.get(tname);
    // As (*Tree).add: a redefinition replaces an empty template; two non-empty ones conflict.
    if (old && !isEmptyList(old) && !isEmptyList(list)) errorf(`template: multiple definition of template "${tname}"`);
    if (!old || !isEmptyList(list)) trees.set(tname, list);
  };

  const pipeline = (context: string, end: ItemType): PipeNode => {
    const first = peekNonSpace();
    const pipe: PipeNode = { type: 'pipe', pos: first.pos, line: first.line, isAssign: false, decl: [], cmds: [] };
    decls: for (;;) {
      const v = peekNonSpace();
      if (v.typ !== 'variable') break;
      const at = i;
      nextNonSpace();
      const n = peekNonSpace();
      if (n.typ === 'assign' || n.typ === 'declare') {
        pipe.isAssign = n.typ === 'assign';
        nextNonSpace();
        pipe.decl.push(variable(v));
        vars.push(v.val);
      } else if (n.typ === 'char' && n.val === ',') {
        nextNonSpace();
        pipe.decl.push(variable(v));
        vars.push(v.val);
        if (context === 'range' && pipe.decl.length < 2) {
          const p = peekNonSpace().typ;
          if (p === 'variable' || p === 'rightDelim' || p === 'rightParen') continue decls;
          errorf('range can only initialize variables');
        }
        errorf(`too many declarations in ${context}`);
      } else {
        // not a declaration: put back the variable (and the space after it)
        i = at;
      }
      break;
    }
    for (;;) {
      const t = nextNonSpace();
      if (t.typ === end) {
        if (pipe.cmds.length === 0) errorf(`missing value for ${context}`);
        pipe.cmds.forEach((c, k) => {
          if (k > 0 && ['bool', 'dot', 'nil', 'number', 'string'].includes(c.args[0]!.type)) errorf(`non executable command in pipeline stage ${k + 1}`);
        });
        return pipe;
      }
      if (ARG_START.has(t.typ)) {
        backup();
        pipe.cmds.push(command());
      } else unexpected(t, context);
    }
  };

  const command = (): CommandNode => {
    const cmd: CommandNode = { type: 'command', pos: peekNonSpace().pos, args: [] };
    for (;;) {
      peekNonSpace();
      const op = operand();
      if (op) cmd.args.push(op);
      const t = next();
      if (t.typ === 'space') continue;
      if (t.typ === 'rightDelim' || t.typ === 'rightParen') backup();
      else if (t.typ !== 'pipe') unexpected(t, 'operand');
      break;
    }
    if (cmd.args.length === 0) errorf('empty command');
    return cmd;
  };

  const operand = (): Arg | null => {
    const node = term();
    if (!node) return null;
    if (peek().typ !== 'field') return node;
    const chainPos = peek().pos;
    const fields: string[] = [];
    while (peek().typ === 'field') fields.push(next().val.slice(1));
    switch (node.type) {
      case 'field': return { type: 'field', pos: chainPos, ident: [...node.ident, ...fields] };
      case 'variable': return { type: 'variable', pos: chainPos, ident: [...node.ident, ...fields] };
      case 'bool': case 'string': case 'number': case 'nil': case 'dot':
        return errorf(`unexpected . after term ${goQuote(nodeString(node))}`);
      default: return { type: 'chain', pos: chainPos, node, field: fields };
    }
  };

  const term = (): Arg | null => {
    const t = nextNonSpace();
    switch (t.typ) {
      case 'identifier':
        if (!funcs.has(t.val)) errorf(`function "${t.val}" not defined`);
        return { type: 'identifier', pos: t.pos, ident: t.val };
      case 'dot': return { type: 'dot', pos: t.pos };
      case 'nil': return { type: 'nil', pos: t.pos };
      case 'variable': {
        const v = variable(t);
        if (!vars.includes(v.ident[0]!)) errorf(`undefined variable "${v.ident[0]}"`);
        return v;
      }
      case 'field': return { type: 'field', pos: t.pos, ident: [t.val.slice(1)] };
      case 'bool': return { type: 'bool', pos: t.pos, value: t.val === 'true' };
      case 'charConstant': case 'number': return number(t);
      case 'leftParen': return pipeline('parenthesized pipeline', 'rightParen');
      case 'string': case 'rawString': return { type: 'string', pos: t.pos, quoted: t.val, text: unquote(t) };
    }
    backup();
    return null;
  };

  const variable = (t: Item): VariableNode => ({ type: 'variable', pos: t.pos, ident: t.val.split('.') });

  const number = (t: Item): NumberNode => {
    const n: NumberNode = { type: 'number', pos: t.pos, text: t.val, isInt: false, isFloat: false, int: 0, float: 0 };
    if (t.typ === 'charConstant') {
      const r = unquoteChar(t.val);
      if (r === undefined) errorf(`malformed character constant: ${t.val}`);
      return { ...n, isInt: true, isFloat: true, int: r!, float: r! };
    }
    const text = t.val.replace(/_/g, '');
    if (text.endsWith('i')) errorf(`complex numbers are not supported: ${t.val}`);
    const intRe = /^[+-]?(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO]?[0-7]+|[1-9][0-9]*|0)$/;
    if (intRe.test(text)) {
      const neg = text.startsWith('-');
      const body = text.replace(/^[+-]/, '');
      const v = /^0[0-7]+$/.test(body) ? parseInt(body.slice(1), 8) : /^0[oO]/.test(body) ? parseInt(body.slice(2), 8) : Number(body);
      if (!Number.isSafeInteger(v)) errorf(`integer overflow: "${t.val}"`);
      return { ...n, isInt: true, isFloat: true, int: neg ? -v : v, float: neg ? -v : v };
    }
    const f = Number(text);
    if (text === '' || Number.isNaN(f) || !/[.eEpP]/.test(text)) return errorf(`illegal number syntax: "${t.val}"`);
    return { ...n, isFloat: true, float: f, isInt: Number.isInteger(f), int: f };
  };

  const unquote = (t: Item): string => {
    if (t.typ === 'rawString') return t.val.slice(1, -1).replace(/\r/g, '');
    const s = unquoteString(t.val);
    if (s === undefined) errorf('invalid syntax');
    return s!;
  };

  // parse(): top level, with {{define}} clauses pulled out into their own trees
  const root: ListNode = { type: 'list', pos: 0, nodes: [] };
  {
    while (peek().typ !== 'EOF' && peek().typ !== 'error') {
      if (peek().typ === 'leftDelim') {
        const at = i;
        next();
        if (nextNonSpace().typ === 'define') {
          const nameTok = nextNonSpace();
          if (nameTok.typ !== 'string' && nameTok.typ !== 'rawString') unexpected(nameTok, 'define clause');
          const dname = unquote(nameTok);
          expect('rightDelim', 'define clause');
          const savedVars = vars;
          vars = ['$'];
          const [body, end] = itemList();
          if (end.kind !== 'end') errorf('unexpected {{else}} in define clause');
          vars = savedVars;
          addTree(dname, body);
          continue;
        }
        i = at;
      }
      const n = textOrAction();
      if (isEnded(n)) errorf(`unexpected {{${n.kind}}}`);
      root.nodes.push(n as Node);
    }
    if (peek().typ === 'error') next();
  }
  addTree(name, root);
  return trees;
}

function isEmptyList(l: ListNode): boolean {
  return l.nodes.every((n) => (n.type === 'text' && n.text.trim() === '') || n.type === 'comment');
}

const SIMPLE_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', "'": "'", '"': '"' };

/** One escape sequence at s[i] (after the backslash); returns [text, length] or undefined. */
function escape(s: string, i: number, quote: string): [string, number] | undefined {
  const c = s[i]!;
  if (c in SIMPLE_ESCAPES) {
    if ((c === "'" || c === '"') && c !== quote) return undefined;
    return [SIMPLE_ESCAPES[c]!, 1];
  }
  const hex = (n: number) => {
    const h = s.slice(i + 1, i + 1 + n);
    return h.length === n && /^[0-9a-fA-F]+$/.test(h) ? parseInt(h, 16) : undefined;
  };
  if (c === 'x') {
    const v = hex(2);
    return v === undefined ? undefined : [String.fromCharCode(v), 3];
  }
  if (c === 'u' || c === 'U') {
    const n = c === 'u' ? 4 : 8;
    const v = hex(n);
    if (v === undefined || v > 0x10ffff || (v >= 0xd800 && v < 0xe000)) return undefined;
    return [String.fromCodePoint(v), n + 1];
  }
  if (/[0-7]/.test(c)) {
    const o = s.slice(i, i + 3);
    if (!/^[0-7]{3}$/.test(o) || parseInt(o, 8) > 255) return undefined;
    return [String.fromCharCode(parseInt(o, 8)), 3];
  }
  return undefined;
}

/** strconv.Unquote of a "..." literal. */
export function unquoteString(q: string): string | undefined {
  if (q.length < 2 || q[0] !== '"' || q[q.length - 1] !== '"') return undefined;
  let out = '';
  for (let i = 1; i < q.length - 1; i++) {
    const c = q[i]!;
    if (c === '"' || c === '\n') return undefined;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = escape(q, i + 1, '"');
    if (!e) return undefined;
    out += e[0];
    i += e[1];
  }
  return out;
}

function unquoteChar(q: string): number | undefined {
  const body = q.slice(1, -1);
  if (body.startsWith('\\')) {
    const e = escape(body, 1, "'");
    if (!e || e[1] + 1 !== body.length) return undefined;
    return e[0].codePointAt(0);
  }
  const chars = [...body];
  return chars.length === 1 ? chars[0]!.codePointAt(0) : undefined;
}
