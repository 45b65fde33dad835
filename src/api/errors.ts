// The single map from berth's error kinds to Engine API responses. Docker sends
// errors as {"message": "..."} with the status below.
import type { ServerResponse } from 'node:http';
import { kindOf, messageOf, type ErrorKind } from '../common/errors.js';

const STATUS: Record<ErrorKind, number> = {
  NotFound: 404,
  AlreadyExists: 409,
  InvalidArgument: 400,
  Conflict: 409,
  Unauthorized: 401,
  Forbidden: 403,
  Unavailable: 503,
  Internal: 500,
};

export function statusOf(err: unknown): number {
  return STATUS[kindOf(err)];
}

export function sendError(res: ServerResponse, err: unknown): void {
  const status = statusOf(err);
  const body = JSON.stringify({ message: messageOf(err) }) + '\n';
  if (res.headersSent) {
    // Mid-stream: docker's JSON-message error record.
    res.end(JSON.stringify({ errorDetail: { message: messageOf(err) }, error: messageOf(err) }) + '\r\n');
    return;
  }
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
