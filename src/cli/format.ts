// Output formatting exactly as the docker CLI does it: go-units sizes and
// durations, tabwriter tables (minwidth 10, padding 3), and docker's --format
// handling (formatter.Context: "table ...", "json", Go templates) on top of the
// Go text/template engine in ./gotemplate.
import { humanDuration } from '../common/units.js';
import { GO_JSON, GoTemplate, goJSON, tabwrite, TemplateExecError, TemplateParseError, type GoTypes, type RunOptions } from './gotemplate/index.js';

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

/** text/tabwriter with docker's settings: each column max(width + 3, 10), the last unpadded (`top` uses minwidth 20). */
export function table(rows: string[][], minWidth = 10): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, [...c].length)));
  return rows
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(Math.max(widths[i]! + 3, minWidth)))).join(''))
    .map((l) => l + '\n')
    .join('');
}

const STRUCT = Symbol('goStruct');
const MAP_ZERO = Symbol('goMapZero');

/** The Go types of the values the CLI hands to templates: marked structs, typed maps, the rest maps of interface{}. */
export const goTypes: GoTypes = {
  structName: (o) => (o as { [STRUCT]?: string })[STRUCT],
  mapZero: (o) => (o as { [MAP_ZERO]?: unknown })[MAP_ZERO] ?? null,
};

/** Marks `o` as a Go struct of type `name`: a missing field is an error, not "<no value>". */
export function goStruct<T extends object>(name: string, o: T): T {
  Object.defineProperty(o, STRUCT, { value: name, enumerable: false });
  return o;
}

/** Marks `o` as a typed Go map whose missing keys read as `zero` through index (map[string]string: ""). */
export function typedMap<T extends object>(o: T, zero: unknown): T {
  Object.defineProperty(o, MAP_ZERO, { value: zero, enumerable: false });
  return o;
}

/**
 * A docker formatter context (ps, images, history rows): a struct whose `json` is a map of
 * every field by sorted key with HTML escaping, as the docker CLI's marshalMap gives.
 */
export function formatterRow<T extends object>(name: string, o: T): T {
  goStruct(name, o);
  Object.defineProperty(o, GO_JSON, { value: () => goJSON({ ...o }, { structName: () => undefined }, true), enumerable: false });
  return o;
}

/**
 * A Go struct whose field names differ from its JSON names (APIVersion vs "ApiVersion"): the
 * template sees the Go names, `json` writes the JSON ones. `renames` maps JSON name to Go name.
 */
export function goView<T extends Record<string, unknown>>(name: string, o: T, renames: Record<string, string>): Record<string, unknown> {
  const view: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) view[renames[k] ?? k] = v;
  goStruct(name, view);
  Object.defineProperty(view, GO_JSON, { value: () => goJSON(goStruct(name, { ...o }), goTypes, false), enumerable: false });
  return view;
}

/** A template error to print as is (no "Error: " prefix) with docker's exit code, and what the template wrote before it. */
export class FormatError extends Error {
  constructor(message: string, readonly exitCode: number, readonly partial = '') {
    super(message);
  }
}

/** Parses a --format template; a syntax error becomes `${prefix}: ${go error}` with `exitCode`. */
export function parseFormat(text: string, prefix: string, exitCode: number, name = ''): GoTemplate {
  try {
    return GoTemplate.parse(text, name);
  } catch (e) {
    if (e instanceof TemplateParseError) throw new FormatError(`${prefix}: ${e.message}`, exitCode);
    throw e;
  }
}

/** Executes a template with the CLI's Go types; an execution error becomes a FormatError (exit 1). */
export function runFormat(t: GoTemplate, data: unknown, prefix = '', opts: RunOptions = {}): string {
  try {
    return t.execute(data, { types: goTypes, ...opts });
  } catch (e) {
    if (e instanceof TemplateExecError) throw new FormatError(prefix ? `${prefix}: ${e.message}` : e.message, 1, e.partial);
    throw e;
  }
}

export function isTableFormat(format: string): boolean {
  return format.startsWith('table');
}

/** formatter.Context.preFormat: strip "table", trim spaces, turn \t and \n into tabs and newlines; "json" is {{json .}}. */
export function preFormat(format: string): string {
  if (format.trim() === 'json') return '{{json .}}';
  let f = isTableFormat(format) ? format.slice('table'.length) : format;
  f = f.replace(/^ +| +$/g, '');
  return f.replace(/\\[tn]/g, (m) => (m === '\\t' ? '\t' : '\n'));
}

/**
 * formatter.Context.Write: each row through the template, one line each; for "table ..." a
 * header row made by the same template over `header` (docker's titles, functions that leave
 * them be) and the whole through tabwriter. Errors are docker's "template parsing error: ...".
 */
export function formatRows(format: string, rows: object[], header: Record<string, unknown>): string {
  const t = parseFormat(preFormat(format), 'template parsing error', 1);
  let body = '';
  for (const r of rows) body += runFormat(t, r, 'template parsing error') + '\n';
  if (!isTableFormat(format)) return body;
  const head = t.executePartial(header, { types: goTypes, header: true });
  return tabwrite(head + '\n' + body);
}

/** Which fields of a formatter context a template reads (docker runs it once on an empty context to decide e.g. ps --size). */
export function fieldsUsed(format: string, typeName: string, fields: string[], methods: Record<string, unknown> = {}): Set<string> {
  const used = new Set<string>();
  const probe = { ...methods } as Record<string, unknown>;
  for (const f of fields) Object.defineProperty(probe, f, { enumerable: true, get: () => (used.add(f), '') });
  formatterRow(typeName, probe);
  runFormat(parseFormat(format, 'failed to parse template', 1), probe, 'failed to execute template');
  return used;
}

/** Prints a FormatError as the docker CLI does and sets its exit code; rethrows anything else. */
export function reportFormatError(err: unknown, stderr: NodeJS.WritableStream): void {
  if (!(err instanceof FormatError)) throw err;
  stderr.write(err.message + '\n');
  process.exitCode = err.exitCode;
}
