// Repository names and tags as the distribution spec defines them. Anything
// that fails here never reaches a storage path.
import { regErr } from '../errcode.js';

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const NAME_RE = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const TAG_RE = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const NAME_MAX = 255;

export function isRepoName(name: string): boolean {
  return name.length > 0 && name.length <= NAME_MAX && NAME_RE.test(name);
}

export function checkRepoName(name: string): string {
  if (!isRepoName(name)) throw regErr('NAME_INVALID', `invalid repository name "${name.slice(0, 300)}"`);
  return name;
}

export function isTag(tag: string): boolean {
  return TAG_RE.test(tag);
}
