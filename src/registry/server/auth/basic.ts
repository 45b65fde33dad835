// HTTP Basic authentication against an htpasswd file, with access rules.
import type { IncomingMessage } from 'node:http';
import type { AccessControl } from './acl.js';
import type { Access, AuthResult, Authorizer } from './authorizer.js';
import { basicCredentials, type Htpasswd } from './htpasswd.js';

export class BasicAuthorizer implements Authorizer {
  constructor(
    private readonly htpasswd: Htpasswd,
    private readonly acl: AccessControl,
    private readonly realm: string,
  ) {}

  async authorize(req: IncomingMessage, access: Access[]): Promise<AuthResult> {
    const challenge = `Basic realm="${this.realm}"`;
    const creds = basicCredentials(req.headers.authorization);
    let account: string | undefined;
    if (creds) {
      if (!(await this.htpasswd.verify(creds.user, creds.password))) {
        return { ok: false, status: 401, challenge, message: 'invalid username or password', access };
      }
      account = creds.user;
    }
    // /v2/ (no access) needs a signed-in account: that is how clients test credentials.
    if (account === undefined && (access.length === 0 || !this.acl.allows(undefined, access))) {
      return { ok: false, status: 401, challenge, message: 'authentication required', access };
    }
    if (!this.acl.allows(account, access)) return { ok: false, status: 403, message: 'requested access to the resource is denied', access };
    return account === undefined ? { ok: true } : { ok: true, account };
  }
}
