// Who may do what. The router computes the access a request needs (scopes in
// docker's token grammar, "repository:<name>:<actions>") and asks the
// configured Authorizer; a refusal carries the challenge to send back.
import type { IncomingMessage, ServerResponse } from 'node:http';

export type Action = 'pull' | 'push' | 'delete' | '*';

export interface Access {
  type: 'repository' | 'registry';
  /** repository name, or "catalog" for type registry */
  name: string;
  actions: Action[];
}

export type AuthResult =
  | { ok: true; account?: string }
  /** 401 with a challenge (no or bad credentials), or 403 (authenticated but not allowed) */
  | { ok: false; status: 401 | 403; challenge?: string; message: string; access: Access[] };

export interface Authorizer {
  authorize(req: IncomingMessage, access: Access[]): Promise<AuthResult>;
  /** an endpoint the authorizer serves itself (the built-in token service) */
  tokenEndpoint?: { path: string; handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> };
}

export const allowAll: Authorizer = {
  async authorize() {
    return { ok: true };
  },
};

export function scopeString(a: Access): string {
  return `${a.type}:${a.name}:${a.actions.join(',')}`;
}
