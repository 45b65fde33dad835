// The registry's error codes, registered once: wire code, message, HTTP status
// (distribution's errcode/register.go). Everything below the HTTP layer throws
// RegistryError with one of these codes; the server turns it into the spec's
// body {"errors":[{code,message,detail}]} in one place.
import { BerthError, type ErrorKind } from '../common/errors.js';

interface Descriptor {
  readonly message: string;
  readonly status: number;
  readonly kind: ErrorKind;
}

export const ERROR_CODES = {
  BLOB_UNKNOWN: { message: 'blob unknown to registry', status: 404, kind: 'NotFound' },
  BLOB_UPLOAD_INVALID: { message: 'blob upload invalid', status: 400, kind: 'InvalidArgument' },
  BLOB_UPLOAD_UNKNOWN: { message: 'blob upload unknown to registry', status: 404, kind: 'NotFound' },
  DIGEST_INVALID: { message: 'provided digest did not match uploaded content', status: 400, kind: 'InvalidArgument' },
  MANIFEST_BLOB_UNKNOWN: { message: 'manifest references a manifest or blob unknown to registry', status: 400, kind: 'InvalidArgument' },
  MANIFEST_INVALID: { message: 'manifest invalid', status: 400, kind: 'InvalidArgument' },
  MANIFEST_UNKNOWN: { message: 'manifest unknown to registry', status: 404, kind: 'NotFound' },
  NAME_INVALID: { message: 'invalid repository name', status: 400, kind: 'InvalidArgument' },
  NAME_UNKNOWN: { message: 'repository name not known to registry', status: 404, kind: 'NotFound' },
  SIZE_INVALID: { message: 'provided length did not match content length', status: 400, kind: 'InvalidArgument' },
  UNAUTHORIZED: { message: 'authentication required', status: 401, kind: 'Unauthorized' },
  DENIED: { message: 'requested access to the resource is denied', status: 403, kind: 'Forbidden' },
  UNSUPPORTED: { message: 'the operation is unsupported', status: 405, kind: 'InvalidArgument' },
  TOOMANYREQUESTS: { message: 'too many requests', status: 429, kind: 'Unavailable' },
  // Not in the spec's table but used by distribution with these statuses.
  RANGE_INVALID: { message: 'invalid content range', status: 416, kind: 'InvalidArgument' },
  PAGINATION_NUMBER_INVALID: { message: 'invalid number of results requested', status: 400, kind: 'InvalidArgument' },
  UNKNOWN: { message: 'unknown error', status: 500, kind: 'Internal' },
} as const satisfies Record<string, Descriptor>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class RegistryError extends BerthError {
  readonly code: ErrorCode;
  readonly detail: unknown;
  readonly status: number;
  /** status overrides the code's registered one where the spec asks for another (413 for a too-large manifest). */
  constructor(code: ErrorCode, message?: string, detail?: unknown, status?: number) {
    const d = ERROR_CODES[code];
    super(d.kind, message ?? d.message);
    this.code = code;
    this.detail = detail;
    this.status = status ?? d.status;
  }
}

export const regErr = (code: ErrorCode, message?: string, detail?: unknown, status?: number) =>
  new RegistryError(code, message, detail, status);

/** The wire body for an error: the code's registered message unless a better one was given. */
export function errorBody(err: RegistryError): string {
  const e: { code: string; message: string; detail?: unknown } = { code: err.code, message: err.message };
  if (err.detail !== undefined) e.detail = err.detail;
  return JSON.stringify({ errors: [e] });
}
