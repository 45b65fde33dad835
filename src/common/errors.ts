// The small fixed set of error kinds every subsystem uses (containerd's errdefs
// idea). Errors are created where they arise with a message that says what and
// where, wrapped with context on the way up, and mapped to a transport status in
// exactly one place per server (api/errors.ts, registry's error codes).

export type ErrorKind =
  | 'NotFound'
  | 'AlreadyExists'
  | 'InvalidArgument'
  | 'Conflict'
  | 'Unauthorized'
  | 'Forbidden'
  | 'Unavailable'
  | 'Internal';

export class BerthError extends Error {
  readonly kind: ErrorKind;
  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
    this.name = `BerthError(${kind})`;
  }
}

export const notFound = (msg: string, cause?: unknown) => new BerthError('NotFound', msg, { cause });
export const alreadyExists = (msg: string, cause?: unknown) => new BerthError('AlreadyExists', msg, { cause });
export const invalidArgument = (msg: string, cause?: unknown) => new BerthError('InvalidArgument', msg, { cause });
export const conflict = (msg: string, cause?: unknown) => new BerthError('Conflict', msg, { cause });
export const unauthorized = (msg: string, cause?: unknown) => new BerthError('Unauthorized', msg, { cause });
export const forbidden = (msg: string, cause?: unknown) => new BerthError('Forbidden', msg, { cause });
export const unavailable = (msg: string, cause?: unknown) => new BerthError('Unavailable', msg, { cause });
export const internal = (msg: string, cause?: unknown) => new BerthError('Internal', msg, { cause });

/** The kind of any thrown value; plain errors are Internal. */
export function kindOf(err: unknown): ErrorKind {
  return err instanceof BerthError ? err.kind : 'Internal';
}

export function isKind(err: unknown, kind: ErrorKind): boolean {
  return err instanceof BerthError && err.kind === kind;
}

/** Prefix context to an error's message, keeping its kind: "context: message". */
export function wrap(err: unknown, context: string): BerthError {
  const kind = kindOf(err);
  const msg = err instanceof Error ? err.message : String(err);
  return new BerthError(kind, `${context}: ${msg}`, { cause: err });
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Node's system errors carry a code such as ENOENT. */
export function errnoCode(err: unknown): string | undefined {
  if (err && typeof err === 'object' && 'code' in err) {
    const c = (err as { code: unknown }).code;
    return typeof c === 'string' ? c : undefined;
  }
  return undefined;
}
