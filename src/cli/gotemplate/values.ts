// How JavaScript values stand for Go values in a template: undefined is Go's invalid value
// ("<no value>"), null a nil interface, an integral number an int and any other number a
// float64, an array a slice, a plain object a map (or a struct when the caller says so, so
// that missing fields are errors as they are for Go structs), a function a method or func.

export type Value = unknown;

/** A float64 whose value is integral (a constant like 1e6 or 2.0): prints and compares as Go's float64, not int. */
export class GoFloat {
  constructor(readonly value: number) {}
  toJSON(): number {
    return this.value;
  }
}

/** A typed Go nil (a nil pointer field): prints "<nil>", is false, encodes as null; unlike a nil interface it is a value. */
export class GoNil {
  toJSON(): null {
    return null;
  }
}
export const NIL_PTR = new GoNil();

const NIL_MARK = Symbol('goNilCollection');
const OMIT = Symbol('goOmitEmpty');

/** Names fields of a struct that `json` leaves out (omitempty fields the JSON it came from did not have). */
export function omitInJSON<T extends object>(o: T, fields: string[]): T {
  Object.defineProperty(o, OMIT, { value: new Set(fields), enumerable: false });
  return o;
}

export function omittedInJSON(o: object): ReadonlySet<string> | undefined {
  return (o as { [OMIT]?: Set<string> })[OMIT];
}

/** Marks an empty array or object as Go's nil slice or map: prints [] or map[], encodes as null. */
export function nilCollection<T extends object>(o: T): T {
  Object.defineProperty(o, NIL_MARK, { value: true, enumerable: false });
  return o;
}

export function isNil(v: Value): boolean {
  return v === null || v === undefined || v instanceof GoNil || (typeof v === 'object' && (v as { [NIL_MARK]?: boolean })[NIL_MARK] === true);
}

/** The number in a Go int or float64, or undefined. */
export function numberOf(v: Value): number | undefined {
  return typeof v === 'number' ? v : v instanceof GoFloat ? v.value : undefined;
}

/** Tells the executor which objects are Go structs (by their type name) rather than maps. */
export interface GoTypes {
  /** The struct's type name as Go prints it ("*formatter.ContainerContext"), or undefined for a map. */
  structName(o: object): string | undefined;
  /** The value a typed map gives for a missing key with index (Go's zero value of its element type). */
  mapZero?(o: object): Value;
}

export const MAPS_ONLY: GoTypes = { structName: () => undefined };

/** A Go function or method: called with already-evaluated arguments; a thrown Error is its error result. */
export type GoFunc = ((...args: Value[]) => Value) & { goArgs?: ArgKind[]; variadic?: ArgKind };
/** A parameter's Go type: 'value' is reflect.Value (takes "no value" as is), 'any' is interface{} (gets nil). */
export type ArgKind = 'string' | 'strings' | 'int' | 'bool' | 'float' | 'any' | 'value';

export function isObject(v: Value): v is Record<string, Value> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof GoFloat) && !(v instanceof GoNil);
}

export function isInt(v: Value): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

export function typeName(v: Value, types: GoTypes = MAPS_ONLY): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (v instanceof GoFloat) return 'float64';
  if (v instanceof GoNil) return '<nil>';
  if (typeof v === 'bigint') return 'int64';
  if (Array.isArray(v)) return '[]interface {}';
  if (typeof v === 'function') return 'func(...interface {}) interface {}';
  return types.structName(v as object) ?? 'map[string]interface {}';
}

/** Go's truth: false, 0, "", nil and empty slices and maps are false; structs are true. */
export function isTrue(v: Value, types: GoTypes = MAPS_ONLY): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'function') return true;
  if (v instanceof GoFloat) return v.value !== 0;
  if (v instanceof GoNil) return false;
  if (types.structName(v as object) !== undefined) return true;
  return Object.keys(v as object).length > 0;
}

/** A map's keys in the order Go's range and fmt visit them (sorted). */
export function sortedKeys(o: Record<string, Value>): string[] {
  return Object.keys(o)
    .filter((k) => typeof o[k] !== 'function')
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** A struct's fields, in declaration (here: insertion) order. */
export function structFields(o: Record<string, Value>): string[] {
  return Object.keys(o).filter((k) => typeof o[k] !== 'function');
}
