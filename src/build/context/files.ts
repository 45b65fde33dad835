// The two files the builder itself reads from a context: the Dockerfile and
// .dockerignore. The context is the client's (untrusted): both are resolved
// inside it, as dockerd's FollowSymlinkInScope does, so `Dockerfile ->
// /etc/shadow` or `-> ../../../etc/shadow` finds nothing rather than a host
// file, while a link to another file of the context still works. Only regular
// files of bounded size are read, off the event loop.
import { invalidArgument } from '../../common/errors.js';
import { InRootError, readTextInRoot } from '../../common/inroot.js';

/** The largest Dockerfile or .dockerignore read (10,000 instructions are ~300 KB). */
export const CONTEXT_FILE_MAX = 8 << 20;

async function readContextFile(ctxDir: string, name: string, what: string): Promise<string | undefined> {
  try {
    return await readTextInRoot(ctxDir, name, { maxBytes: CONTEXT_FILE_MAX });
  } catch (err) {
    // dockerd: "unexpected error reading Dockerfile: read .../Dockerfile: is a directory"
    if (err instanceof InRootError) throw invalidArgument(`unexpected error reading ${what}: ${err.message}`);
    throw err;
  }
}

/** The Dockerfile named by the request (a path inside the context). */
export async function readDockerfile(ctxDir: string, name: string): Promise<string> {
  const text = await readContextFile(ctxDir, name, 'Dockerfile');
  if (text === undefined) throw invalidArgument(`Cannot locate specified Dockerfile: ${name}`);
  return text;
}

/** The context's .dockerignore; undefined when it has none. */
export function readDockerignore(ctxDir: string): Promise<string | undefined> {
  return readContextFile(ctxDir, '.dockerignore', '.dockerignore');
}
