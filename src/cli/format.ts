// Output formatting exactly as the docker CLI does it: go-units sizes and
// durations, tabwriter tables (minwidth 10, padding 3), and the part of Go's
// text/template that --format is used with in practice.
import { humanDuration } from '../common/units.js';

/** Go's %.<prec>g formatting. */
function goG(v: number, prec: number): string {
  if (v === 0) return '0';
  let s = v.toPrecision(prec);
  const exp = Math.floor(Math.log10(Math.abs(Number(s))));
  if (exp < -4 || exp >= prec) {
    let [mant, e] = Number(s).toExponential(prec - 1).split('e') as [string, string];
    if (mant.includes('.')) mant = mant.replace(/0+$/, '').replace(/\.$/, '');
    const n = Number(e);
    return `${mant}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  if (s.includes('e')) s = Number(s).toString();
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  return s;
}

const DECIMAL = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

/** units.HumanSizeWithPrecision */
export function humanSize(size: number, precision = 3): string {
  let i = 0;
  while (size >= 1000 && i < DECIMAL.length - 1) {
    size /= 1000;
    i++;
  }
  return `${goG(size, precision)}${DECIMAL[i]}`;
}

/** units.HumanDuration */
export { humanDuration };

export function ago(unixSeconds: number): string {
  if (!unixSeconds) return 'N/A';
  return `${humanDuration(Date.now() - unixSeconds * 1000)} ago`;
}

/** text/tabwriter with docker's settings: each column max(width + 3, 10), the last unpadded. */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, [...c].length)));
  return rows
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(Math.max(widths[i]! + 3, 10)))).join(''))
    .map((l) => l + '\n')
    .join('');
}

function lookup(data: unknown, path: string): unknown {
  if (path === '.') return data;
  let cur: unknown = data;
  for (const k of path.split('.').slice(1)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

function goString(v: unknown): string {
  if (v === undefined || v === null) return '<no value>';
  if (Array.isArray(v)) return `[${v.map(goString).join(' ')}]`;
  if (typeof v === 'object') return `map[${Object.entries(v).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => `${k}:${goString(x)}`).join(' ')}]`;
  return String(v);
}

/**
 * The common subset of Go templates: {{.A.B}}, {{json .A}}, {{upper .A}},
 * {{lower .A}}, {{join .A ","}} and {{index .A "key"}}; anything else is an error.
 */
export function renderTemplate(tpl: string, data: unknown): string {
  tpl = tpl.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  return tpl.replace(/\{\{-?\s*(.*?)\s*-?\}\}/g, (_m, expr: string) => {
    let m: RegExpExecArray | null;
    if ((m = /^(\.[\w.]*)$/.exec(expr))) return goString(lookup(data, m[1]!));
    if ((m = /^json\s+(\.[\w.]*)$/.exec(expr))) return JSON.stringify(lookup(data, m[1]!) ?? null);
    if ((m = /^(upper|lower)\s+(\.[\w.]*)$/.exec(expr))) {
      const s = goString(lookup(data, m[2]!));
      return m[1] === 'upper' ? s.toUpperCase() : s.toLowerCase();
    }
    if ((m = /^join\s+(\.[\w.]*)\s+"([^"]*)"$/.exec(expr))) {
      const v = lookup(data, m[1]!);
      return Array.isArray(v) ? v.map(goString).join(m[2]) : goString(v);
    }
    if ((m = /^index\s+(\.[\w.]*)\s+(?:"([^"]*)"|(\d+))$/.exec(expr))) {
      const v = lookup(data, m[1]!);
      if (m[3] !== undefined) {
        // Go's index of a slice: out of range is an error, not "<no value>"
        const i = Number(m[3]);
        if (!Array.isArray(v) || i >= v.length) throw new Error(`template: error calling index: index out of range: ${i}`);
        return goString(v[i]);
      }
      return goString(v && typeof v === 'object' ? (v as Record<string, unknown>)[m[2]!] : undefined);
    }
    throw new Error(`template: unsupported expression "{{${expr}}}"`);
  });
}
