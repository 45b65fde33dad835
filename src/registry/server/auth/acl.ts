// Per-repository access rules from the config:
//   access:
//     - { account: alice, name: "team/*", actions: [pull, push] }
//     - { account: "*", name: "*", actions: [pull] }          # any signed-in user
//     - { account: anonymous, name: "public/*", actions: [pull] }
// Rules add up. Without rules, every signed-in account may do everything and
// anonymous requests nothing.
import { invalidArgument } from '../../../common/errors.js';
import type { Access, Action } from './authorizer.js';

export interface AccessRule {
  account: string;
  name: string;
  actions: Action[];
}

const ACTIONS: readonly string[] = ['pull', 'push', 'delete', '*'];

export function parseRules(v: unknown): AccessRule[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw invalidArgument('auth.access must be a list');
  return v.map((r: unknown, i) => {
    if (typeof r !== 'object' || r === null) throw invalidArgument(`auth.access[${i}] must be a mapping`);
    const { account, name, actions } = r as Record<string, unknown>;
    if (typeof account !== 'string' || typeof name !== 'string') throw invalidArgument(`auth.access[${i}] needs account and name strings`);
    if (!Array.isArray(actions) || !actions.every((a) => typeof a === 'string' && ACTIONS.includes(a))) {
      throw invalidArgument(`auth.access[${i}].actions must be a list of pull, push, delete, *`);
    }
    return { account, name, actions: actions as Action[] };
  });
}

function globMatch(pattern: string, s: string): boolean {
  const re = new RegExp('^' + pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
  return re.test(s);
}

export class AccessControl {
  constructor(private readonly rules: AccessRule[]) {}

  /** The actions an account (undefined: anonymous) has on a resource. */
  granted(account: string | undefined, a: Pick<Access, 'type' | 'name'>): Set<Action> {
    const out = new Set<Action>();
    if (this.rules.length === 0) {
      if (account !== undefined) for (const x of ['pull', 'push', 'delete', '*'] as Action[]) out.add(x);
      return out;
    }
    const target = a.type === 'registry' ? `registry:${a.name}` : a.name;
    for (const r of this.rules) {
      const who = r.account === 'anonymous' ? account === undefined : r.account === '*' ? account !== undefined : r.account === account;
      if (!who || !globMatch(r.name, target)) continue;
      if (a.type === 'registry' && r.name === '*' && !r.actions.includes('*')) continue;
      for (const x of r.actions) out.add(x);
    }
    if (out.has('*')) for (const x of ['pull', 'push', 'delete'] as Action[]) out.add(x);
    return out;
  }

  allows(account: string | undefined, needs: Access[]): boolean {
    return needs.every((a) => {
      const g = this.granted(account, a);
      return a.actions.every((x) => g.has(x));
    });
  }
}
