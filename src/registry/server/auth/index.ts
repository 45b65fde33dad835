export type { Access, Action, AuthResult, Authorizer } from './authorizer.js';
export { allowAll, scopeString } from './authorizer.js';
export { AccessControl, parseRules, type AccessRule } from './acl.js';
export { BasicAuthorizer } from './basic.js';
export { Htpasswd, basicCredentials } from './htpasswd.js';
export { TokenAuthorizer, parseScope, type TokenConfig } from './token.js';
