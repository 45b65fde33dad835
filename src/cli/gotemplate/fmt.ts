// Go's fmt for the values a template sees: Sprint, Sprintln and Sprintf with the verbs, flags,
// widths and precisions people use in --format, and Go's "%!d(string=x)" forms for mismatches.
import { goQuote } from './lex.js';
import { GoFloat, GoNil, isObject, MAPS_ONLY, sortedKeys, structFields, typeName, type GoTypes, type Value } from './values.js';

interface Spec { minus: boolean; plus: boolean; sharp: boolean; space: boolean; zero: boolean; width?: number; prec?: number }
const NO_SPEC: Spec = { minus: false, plus: false, sharp: false, space: false, zero: false };

/** strconv.FormatFloat(f, 'e'|'g', prec) exponent form: at least two exponent digits. */
function expForm(mant: string, exp: number, e: string): string {
  return `${mant}${e}${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

function fmtE(f: number, prec: number, e = 'e'): string {
  const [m, x] = f.toExponential(prec).split('e') as [string, string];
  return expForm(m, Number(x), e);
}

/** %g: shortest representation when prec is undefined (Go's %v for floats). */
function fmtG(f: number, prec: number | undefined, sharp = false, e = 'e'): string {
  if (!Number.isFinite(f)) return Number.isNaN(f) ? 'NaN' : f > 0 ? '+Inf' : '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  let digits: string;
  let exp: number;
  if (prec === undefined) {
    const [m, x] = f.toExponential().split('e') as [string, string];
    digits = m.replace('-', '').replace('.', '');
    exp = Number(x);
  } else {
    const p = prec === 0 ? 1 : prec;
    const [m, x] = f.toExponential(p - 1).split('e') as [string, string];
    digits = m.replace('-', '').replace('.', '');
    exp = Number(x);
  }
  const eprec = prec === undefined ? 6 : prec === 0 ? 1 : prec;
  const sign = f < 0 ? '-' : '';
  if (!sharp) digits = digits.replace(/0+$/, '') || '0';
  if (exp < -4 || exp >= eprec) {
    const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return sign + expForm(mant, exp, e);
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return sign + digits + '0'.repeat(exp + 1 - digits.length);
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

export function formatFloat(f: number): string {
  return fmtG(f, undefined);
}

function pad(s: string, spec: Spec, numeric = false): string {
  const w = spec.width ?? 0;
  const len = [...s].length;
  if (len >= w) return s;
  if (spec.minus) return s + ' '.repeat(w - len);
  if (spec.zero && numeric) {
    const sign = /^[+\- ]/.test(s) ? s[0]! : '';
    return sign + '0'.repeat(w - len) + s.slice(sign.length);
  }
  if (spec.zero && !numeric) return '0'.repeat(w - len) + s;
  return ' '.repeat(w - len) + s;
}

function signed(n: string, neg: boolean, spec: Spec): string {
  return (neg ? '-' : spec.plus ? '+' : spec.space ? ' ' : '') + n;
}

function fmtInt(v: number, verb: string, spec: Spec): string | undefined {
  const neg = v < 0;
  const a = Math.abs(v);
  let s: string;
  switch (verb) {
    case 'd': case 'v': s = String(a); break;
    case 'x': s = a.toString(16); if (spec.sharp) s = '0x' + s; break;
    case 'X': s = a.toString(16).toUpperCase(); if (spec.sharp) s = '0X' + s; break;
    case 'o': s = a.toString(8); if (spec.sharp) s = '0' + s; break;
    case 'O': s = '0o' + a.toString(8); break;
    case 'b': s = a.toString(2); break;
    case 'c': return pad(String.fromCodePoint(v), spec);
    case 'q': return pad(`'${String.fromCodePoint(v)}'`, spec);
    case 'U': {
      const u = 'U+' + a.toString(16).toUpperCase().padStart(4, '0');
      return pad(spec.sharp ? `${u} '${String.fromCodePoint(v)}'` : u, spec);
    }
    case 'e': case 'E': case 'f': case 'F': case 'g': case 'G':
      return fmtFloatVerb(v, verb, spec);
    default: return undefined;
  }
  if (spec.prec !== undefined) s = s.padStart(spec.prec, '0');
  return pad(signed(s, neg, spec), spec.prec === undefined ? spec : { ...spec, zero: false }, true);
}

function fmtFloatVerb(f: number, verb: string, spec: Spec): string | undefined {
  let s: string;
  const neg = f < 0 || Object.is(f, -0);
  const a = Math.abs(f);
  switch (verb) {
    case 'v': case 'g': s = fmtG(a, spec.prec, spec.sharp); break;
    case 'G': s = fmtG(a, spec.prec, spec.sharp, 'E'); break;
    case 'e': s = fmtE(a, spec.prec ?? 6); break;
    case 'E': s = fmtE(a, spec.prec ?? 6, 'E'); break;
    case 'f': case 'F': s = a.toFixed(spec.prec ?? 6); break;
    default: return undefined;
  }
  if (!Number.isFinite(f)) return pad(Number.isNaN(f) ? 'NaN' : neg ? '-Inf' : spec.plus ? '+Inf' : '+Inf', spec);
  return pad(signed(s, neg, spec), spec, true);
}

function fmtString(s: string, verb: string, spec: Spec): string | undefined {
  if (spec.prec !== undefined && (verb === 's' || verb === 'v' || verb === 'q')) s = [...s].slice(0, spec.prec).join('');
  switch (verb) {
    case 's': case 'v': return pad(s, spec);
    case 'q': return pad(spec.sharp && !/[`\x00-\x08\x0a-\x1f\x7f]/.test(s) ? '`' + s + '`' : goQuote(s), spec);
    case 'x': case 'X': {
      const bytes = [...Buffer.from(s, 'utf8')].map((b) => b.toString(16).padStart(2, '0'));
      let out = spec.space ? bytes.map((b) => (spec.sharp ? '0x' + b : b)).join(' ') : (spec.sharp ? '0x' : '') + bytes.join('');
      if (verb === 'X') out = out.toUpperCase();
      return pad(out, spec);
    }
    default: return undefined;
  }
}

/** One operand under one verb; undefined when Go would call it a bad verb. */
function fmtValue(v: Value, verb: string, spec: Spec, types: GoTypes, depth: number): string | undefined {
  if (verb === 'T') return pad(typeName(v, types), spec);
  if (v === null || v === undefined || v instanceof GoNil) return verb === 'v' ? pad('<nil>', spec) : undefined;
  if (typeof v === 'string') return fmtString(v, verb, spec);
  if (typeof v === 'boolean') return verb === 'v' || verb === 't' ? pad(String(v), spec) : undefined;
  if (typeof v === 'number') return Number.isInteger(v) && verb !== 'v' ? fmtInt(v, verb, spec) : Number.isInteger(v) ? fmtInt(v, 'd', spec) : fmtFloatVerb(v, verb, spec);
  if (v instanceof GoFloat) return fmtFloatVerb(v.value, verb, spec);
  if (typeof v === 'bigint') return pad(String(v), spec);
  if (typeof v === 'function') return verb === 'v' || verb === 'p' ? pad('0x0', spec) : undefined;
  const inner = (x: Value) => fmtValue(x, verb, NO_SPEC, types, depth + 1) ?? badVerb(verb, x, types);
  if (Array.isArray(v)) return pad(`[${v.map(inner).join(' ')}]`, spec);
  if (isObject(v)) {
    if (types.structName(v) !== undefined) {
      const fields = structFields(v);
      return pad(`{${fields.map((k) => (spec.plus ? `${k}:` : '') + inner(v[k])).join(' ')}}`, spec);
    }
    return pad(`map[${sortedKeys(v).map((k) => `${inner(k)}:${inner(v[k])}`).join(' ')}]`, spec);
  }
  return pad(String(v), spec);
}

function badVerb(verb: string, v: Value, types: GoTypes): string {
  if (v === null || v === undefined || v instanceof GoNil) return `%!${verb}(<nil>)`;
  return `%!${verb}(${typeName(v, types)}=${fmtValue(v, 'v', NO_SPEC, types, 0)})`;
}

/** fmt.Sprint: spaces between operands when neither side is a string. */
export function sprint(args: Value[], types: GoTypes = MAPS_ONLY): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += fmtValue(a, 'v', NO_SPEC, types, 0);
  });
  return out;
}

export function sprintln(args: Value[], types: GoTypes = MAPS_ONLY): string {
  return args.map((a) => fmtValue(a, 'v', NO_SPEC, types, 0)).join(' ') + '\n';
}

/** The %v form of one value (fmt.Fprint of it). */
export function formatV(v: Value, types: GoTypes = MAPS_ONLY): string {
  return fmtValue(v, 'v', NO_SPEC, types, 0)!;
}

export function sprintf(format: string, args: Value[], types: GoTypes = MAPS_ONLY): string {
  let out = '';
  let argi = 0;
  let reordered = false;
  let i = 0;
  const n = format.length;
  while (i < n) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const spec: Spec = { ...NO_SPEC };
    for (; i < n; i++) {
      const c = format[i];
      if (c === '-') (spec.minus = true), (spec.zero = false);
      else if (c === '+') spec.plus = true;
      else if (c === '#') spec.sharp = true;
      else if (c === ' ') spec.space = true;
      else if (c === '0') spec.zero = !spec.minus;
      else break;
    }
    const argIndex = () => {
      const m = /^\[(\d+)\]/.exec(format.slice(i));
      if (m) {
        argi = Number(m[1]) - 1;
        i += m[0].length;
        reordered = true;
      }
    };
    const num = (): number | undefined => {
      argIndex();
      if (format[i] === '*') {
        i++;
        const a = args[argi++];
        return typeof a === 'number' && Number.isInteger(a) ? a : undefined;
      }
      const m = /^\d+/.exec(format.slice(i));
      if (!m) return undefined;
      i += m[0].length;
      return Number(m[0]);
    };
    spec.width = num();
    if (spec.width !== undefined && spec.width < 0) (spec.minus = true), (spec.width = -spec.width);
    if (format[i] === '.') {
      i++;
      spec.prec = num() ?? 0;
    }
    argIndex();
    if (i >= n) {
      out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const a = args[argi++];
    out += fmtValue(a, verb, spec, types, 0) ?? badVerb(verb, a, types);
  }
  if (!reordered && argi < args.length) {
    out += `%!(EXTRA ${args.slice(argi).map((a) => (a === null || a === undefined ? '<nil>' : `${typeName(a, types)}=${formatV(a, types)}`)).join(', ')})`;
  }
  return out;
}
