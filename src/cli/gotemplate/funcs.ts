// text/template's builtin functions (funcs.go) and the ones the docker CLI adds
// (cli/templates/templates.go: json, split, join, title, lower, upper, pad, truncate), with Go's
// argument types and error texts.
import { formatV, sprint, sprintf, sprintln } from './fmt.js';
import { GoFloat, GoNil, isNil, isObject, isTrue, omittedInJSON, MAPS_ONLY, numberOf, sortedKeys, structFields, typeName, type ArgKind, type GoFunc, type GoTypes, type Value } from './values.js';

function fn(f: (...args: Value[]) => Value, goArgs: ArgKind[], variadic?: ArgKind): GoFunc {
  return Object.assign(f, { goArgs, ...(variadic ? { variadic } : {}) });
}

type Kind = 'bool' | 'int' | 'float' | 'string' | 'nil' | 'other';
function basicKind(v: Value): Kind {
  if (v === undefined || v === null || v instanceof GoNil) return 'nil';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (v instanceof GoFloat) return 'float';
  if (typeof v === 'string') return 'string';
  return 'other';
}

function eq(types: GoTypes) {
  const comparable = (v: Value) => basicKind(v) !== 'other' || typeof v === 'function';
  return (a: Value, ...rest: Value[]): boolean => {
    if (rest.length === 0) throw new Error('missing argument for comparison');
    const ka = basicKind(a);
    for (const b of rest) {
      const kb = basicKind(b);
      if (ka === 'nil' || kb === 'nil') {
        // comparing with nil is allowed and true only for nil
        if (ka === kb) return true;
        continue;
      }
      if (ka !== kb) throw new Error('incompatible types for comparison');
      if (!comparable(b)) throw new Error(`non-comparable type ${formatV(b, types)}: ${typeName(b, types)}`);
      if (!comparable(a)) throw new Error(`non-comparable type ${formatV(a, types)}: ${typeName(a, types)}`);
      if ((numberOf(a) ?? a) === (numberOf(b) ?? b)) return true;
    }
    return false;
  };
}

function lt(a: Value, b: Value): boolean {
  const ka = basicKind(a);
  const kb = basicKind(b);
  if (ka === 'bool' || ka === 'nil' || ka === 'other' || kb === 'bool' || kb === 'nil' || kb === 'other') throw new Error('invalid type for comparison');
  if (ka !== kb) throw new Error('incompatible types for comparison');
  return ((numberOf(a) ?? a) as number | string) < ((numberOf(b) ?? b) as number | string);
}

function intIndex(x: Value, cap: number): number {
  if (typeof x !== 'number' || !Number.isInteger(x)) throw new Error(`cannot index slice/array with type ${typeName(x)}`);
  if (x < 0 || x > cap) throw new Error(`index out of range: ${x}`);
  return x;
}

function index(types: GoTypes) {
  return (item: Value, ...indexes: Value[]): Value => {
    if (item === undefined || item === null) throw new Error('index of untyped nil');
    for (const ix of indexes) {
      if (item === undefined || item === null || item instanceof GoNil) throw new Error('index of nil pointer');
      if (Array.isArray(item) || typeof item === 'string') {
        const len = typeof item === 'string' ? Buffer.byteLength(item) : item.length;
        const i = intIndex(ix, len);
        if (i >= len) throw new Error(`index out of range: ${i}`);
        item = typeof item === 'string' ? Buffer.from(item)[i]! : item[i];
      } else if (isObject(item) && types.structName(item) === undefined) {
        if (typeof ix !== 'string') throw new Error(`value has type ${typeName(ix, types)}; should be string`);
        item = Object.prototype.hasOwnProperty.call(item, ix) ? item[ix] : (types.mapZero?.(item) ?? null);
      } else {
        throw new Error(`can't index item of type ${typeName(item, types)}`);
      }
    }
    return item;
  };
}

function slice(item: Value, ...indexes: Value[]): Value {
  if (item === undefined || item === null) throw new Error('slice of untyped nil');
  if (indexes.length > 3) throw new Error(`too many slice indexes: ${indexes.length}`);
  if (typeof item !== 'string' && !Array.isArray(item)) throw new Error(`can't slice item of type ${typeName(item)}`);
  if (typeof item === 'string' && indexes.length === 3) throw new Error('cannot 3-index slice a string');
  const bytes = typeof item === 'string' ? Buffer.from(item) : undefined;
  const len = bytes ? bytes.length : (item as Value[]).length;
  const idx = [0, len];
  indexes.forEach((x, i) => (idx[i] = intIndex(x, len)));
  if (idx[0]! > idx[1]!) throw new Error(`invalid slice index: ${idx[0]} > ${idx[1]}`);
  return bytes ? bytes.subarray(idx[0], idx[1]).toString() : (item as Value[]).slice(idx[0], idx[1]);
}

export function htmlEscape(s: string): string {
  return s.replace(/[\0"'&<>]/g, (c) => ({ '\0': '\uFFFD', '"': '&#34;', "'": '&#39;', '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);
}

export function jsEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === "'") out += "\\'";
    else if (ch === '"') out += '\\"';
    else if (ch === '<') out += '\\u003C';
    else if (ch === '>') out += '\\u003E';
    else if (ch === '&') out += '\\u0026';
    else if (ch === '=') out += '\\u003D';
    else if (c < 0x20 || c === 0x7f || (c >= 0x80 && c < 0xa0) || c === 0x2028 || c === 0x2029) out += '\\u' + c.toString(16).toUpperCase().padStart(4, '0');
    else out += ch;
  }
  return out;
}

export function queryEscape(s: string): string {
  return [...Buffer.from(s)].map((b) => {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) return c;
    if (c === ' ') return '+';
    return '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }).join('');
}

/** A value that encodes itself for docker's `json` (as a Go type with MarshalJSON). */
export const GO_JSON = Symbol('goJSON');

/** encoding/json of a template value: maps by sorted key, structs in field order. */
export function goJSON(v: Value, types: GoTypes, escapeHTML: boolean): string {
  const enc = (x: Value): string => {
    if (x === undefined || x === null || ((typeof x === 'object') && isNil(x))) return 'null';
    if (isObject(x) && typeof (x as { [GO_JSON]?: unknown })[GO_JSON] === 'function') return ((x as unknown as Record<symbol, () => string>)[GO_JSON]!)();
    if (typeof x === 'string') {
      let s = JSON.stringify(x).replace(/[\u2028\u2029]/g, (c) => (c === '\u2028' ? '\\u2028' : '\\u2029'));
      if (escapeHTML) s = s.replace(/[<>&]/g, (c) => '\\u00' + c.charCodeAt(0).toString(16));
      return s;
    }
    if (typeof x === 'number' || x instanceof GoFloat) return Number.isFinite(numberOf(x)) ? JSON.stringify(numberOf(x)) : 'null';
    if (typeof x === 'boolean') return String(x);
    if (Array.isArray(x)) return `[${x.map(enc).join(',')}]`;
    if (isObject(x)) {
      const omit = omittedInJSON(x);
      const keys = types.structName(x) !== undefined ? structFields(x).filter((k) => !omit?.has(k)) : sortedKeys(x);
      return `{${keys.map((k) => `${enc(k)}:${enc(x[k])}`).join(',')}}`;
    }
    return 'null';
  };
  return enc(v);
}

function title(s: string): string {
  // strings.Title: the first letter of each word upper-cased, the rest untouched
  return s.replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, pre: string, l: string) => pre + l.toUpperCase());
}

/** Go's builtins plus the docker CLI's functions, for values described by `types`. */
export function dockerFuncs(types: GoTypes = MAPS_ONLY): Record<string, GoFunc> {
  return {
    and: fn((...a) => a[a.length - 1], ['value'], 'value'),
    or: fn((...a) => a[a.length - 1], ['value'], 'value'),
    not: fn((a) => !isTrue(a, types), ['value']),
    len: fn((a) => {
      if (a === undefined || a === null || a instanceof GoNil) throw new Error('len of nil pointer');
      if (typeof a === 'string') return Buffer.byteLength(a);
      if (Array.isArray(a)) return a.length;
      if (isObject(a) && types.structName(a) === undefined) return sortedKeys(a).length;
      throw new Error(`len of type ${typeName(a, types)}`);
    }, ['value']),
    index: fn(index(types), ['value'], 'value'),
    slice: fn(slice, ['value'], 'value'),
    print: fn((...a) => sprint(a, types), [], 'any'),
    printf: fn((f, ...a) => sprintf(f as string, a, types), ['string'], 'any'),
    println: fn((...a) => sprintln(a, types), [], 'any'),
    eq: fn(eq(types), ['value'], 'value'),
    ne: fn((a, b) => !eq(types)(a, b), ['value', 'value']),
    lt: fn((a, b) => lt(a, b), ['value', 'value']),
    le: fn((a, b) => lt(a, b) || eq(types)(a, b), ['value', 'value']),
    gt: fn((a, b) => !(lt(a, b) || eq(types)(a, b)), ['value', 'value']),
    ge: fn((a, b) => !lt(a, b), ['value', 'value']),
    html: fn((...a) => htmlEscape(sprint(a, types)), [], 'any'),
    js: fn((...a) => jsEscape(sprint(a, types)), [], 'any'),
    urlquery: fn((...a) => queryEscape(sprint(a, types)), [], 'any'),
    call: fn((f, ...a) => {
      if (f === undefined || f === null) throw new Error('call of nil');
      if (typeof f !== 'function') throw new Error(`non-function ${formatV(f, types)} of type ${typeName(f, types)}`);
      return (f as GoFunc)(...a);
    }, ['value'], 'value'),
    // docker/cli templates.basicFunctions
    json: fn((v) => goJSON(v, types, false), ['any']),
    split: fn((s, sep) => goSplit(s as string, sep as string), ['string', 'string']),
    join: fn((a, sep) => (a as string[]).join(sep as string), ['strings', 'string']),
    title: fn((s) => title(s as string), ['string']),
    lower: fn((s) => (s as string).toLowerCase(), ['string']),
    upper: fn((s) => (s as string).toUpperCase(), ['string']),
    pad: fn((s, pre, suf) => (s === '' ? s : ' '.repeat(Math.max(0, pre as number)) + (s as string) + ' '.repeat(Math.max(0, suf as number))), ['string', 'int', 'int']),
    truncate: fn((s, n) => {
      const b = Buffer.from(s as string);
      return b.length < (n as number) ? s : b.subarray(0, Math.max(0, n as number)).toString();
    }, ['string', 'int']),
  };
}

/** docker/cli templates.HeaderFunctions: in a table's header row the functions leave the titles be. */
export function headerFuncs(types: GoTypes = MAPS_ONLY): Record<string, GoFunc> {
  const same = (...kinds: ArgKind[]) => fn((v) => v, kinds);
  return {
    ...dockerFuncs(types),
    json: same('string'),
    split: same('string', 'string'),
    join: same('string', 'string'),
    title: same('string'),
    lower: same('string'),
    upper: same('string'),
    pad: same('string', 'int', 'int'),
    truncate: same('string', 'int'),
  };
}

/** strings.Split: an empty separator splits after each UTF-8 sequence. */
function goSplit(s: string, sep: string): string[] {
  if (sep === '') return [...s];
  return s.split(sep);
}
