// htpasswd files with bcrypt hashes (what `htpasswd -B` and distribution use).
// bcrypt costs ~50–100 ms per check in JS and clients send credentials on
// every request, so a verified (user, password) pair is remembered by a keyed
// hash of the password, never the password itself.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import bcrypt from 'bcryptjs';
import { invalidArgument } from '../../../common/errors.js';

export class Htpasswd {
  private readonly users = new Map<string, string>();
  private readonly verified = new Map<string, Buffer>();
  private readonly key = randomBytes(32);

  constructor(text: string, source = 'htpasswd') {
    text.split(/\r?\n/).forEach((line, i) => {
      const l = line.trim();
      if (l === '' || l.startsWith('#')) return;
      const c = l.indexOf(':');
      const hash = l.slice(c + 1);
      if (c <= 0 || !/^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/.test(hash)) {
        throw invalidArgument(`${source}:${i + 1}: expected "user:<bcrypt hash>"`);
      }
      // $2y$ (Apache's name) is the same algorithm as $2b$.
      this.users.set(l.slice(0, c), hash.replace(/^\$2y\$/, '$2b$'));
    });
  }

  static load(path: string): Htpasswd {
    return new Htpasswd(readFileSync(path, 'utf8'), path);
  }

  async verify(user: string, password: string): Promise<boolean> {
    const hash = this.users.get(user);
    if (hash === undefined) return false;
    const mac = createHmac('sha256', this.key).update(`${user}\0${password}`).digest();
    const seen = this.verified.get(user);
    if (seen && timingSafeEqual(seen, mac)) return true;
    if (!(await bcrypt.compare(password, hash))) return false;
    this.verified.set(user, mac);
    return true;
  }
}

/** Parse "Authorization: Basic ..."; undefined when absent or malformed. */
export function basicCredentials(header: string | undefined): { user: string; password: string } | undefined {
  if (!header) return undefined;
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header.trim());
  if (!m) return undefined;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const c = text.indexOf(':');
  if (c <= 0) return undefined;
  return { user: text.slice(0, c), password: text.slice(c + 1) };
}
