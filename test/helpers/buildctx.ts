// A build context on disk for `berth build` tests: files by relative path.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

export function writeContext(dir: string, files: Record<string, string | Buffer>): string {
  for (const [name, data] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), data);
  }
  return dir;
}
