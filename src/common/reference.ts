// Image references as docker parses them (distribution/reference grammar):
//   reference := name [ ":" tag ] [ "@" digest ]
//   name      := [domain "/"] path-component ["/" path-component]*
// with docker's normalisation: "busybox" → "docker.io/library/busybox:latest".
import { invalidArgument } from './errors.js';
import { parseDigest, type Digest } from './digest.js';

export const DEFAULT_DOMAIN = 'docker.io';
export const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
export const OFFICIAL_REPO_PREFIX = 'library/';
export const DEFAULT_TAG = 'latest';
const NAME_TOTAL_LENGTH_MAX = 255;

const alnum = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alnum}(?:${separator}${alnum})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const ipv6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const domainName = `${domainComponent}(?:\\.${domainComponent})*`;
const host = `(?:${domainName}|${ipv6})`;
const domainAndPort = `${host}(?::[0-9]+)?`;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const PATH_RE = new RegExp(`^${pathComponent}(?:/${pathComponent})*$`);
const DOMAIN_RE = new RegExp(`^${domainAndPort}$`);
const ANCHORED_ID = /^[a-f0-9]{64}$/;

/** A fully-qualified, normalised reference. */
export interface Reference {
  /** registry host[:port], e.g. "docker.io" or "127.0.0.1:5000" */
  readonly domain: string;
  /** repository path within the registry, e.g. "library/busybox" */
  readonly path: string;
  readonly tag?: string;
  readonly digest?: Digest;
}

function refError(s: string, why?: string): Error {
  return invalidArgument(why ? `invalid reference format: ${why}` : `invalid reference format: "${s}"`);
}

function splitDomain(name: string): { domain: string; path: string } {
  const i = name.indexOf('/');
  let domain: string;
  let path: string;
  if (
    i === -1 ||
    (!name.slice(0, i).includes('.') && !name.slice(0, i).includes(':') && name.slice(0, i) !== 'localhost' &&
      name.slice(0, i).toLowerCase() === name.slice(0, i))
  ) {
    domain = DEFAULT_DOMAIN;
    path = name;
  } else {
    domain = name.slice(0, i);
    path = name.slice(i + 1);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = OFFICIAL_REPO_PREFIX + path;
  return { domain, path };
}

/**
 * Parse a reference as the docker CLI does (ParseNormalizedNamed). A tag is
 * not added; use withDefaultTag for that.
 */
export function parseReference(s: string): Reference {
  if (s.length === 0) throw refError(s, 'repository name must have at least one component');
  if (ANCHORED_ID.test(s)) {
    throw refError(s, `cannot specify 64-byte hexadecimal strings`);
  }
  let rest = s;
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    try {
      digest = parseDigest(rest.slice(at + 1));
    } catch {
      throw refError(s);
    }
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > rest.lastIndexOf('/')) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!TAG_RE.test(tag)) throw refError(s);
  }
  const { domain, path } = splitDomain(rest);
  if (!DOMAIN_RE.test(domain)) throw refError(s);
  if (!PATH_RE.test(path)) {
    if (path.toLowerCase() !== path && PATH_RE.test(path.toLowerCase())) {
      throw refError(s, `repository name (${path}) must be lowercase`);
    }
    throw refError(s);
  }
  const full = `${domain}/${path}`;
  if (full.length > NAME_TOTAL_LENGTH_MAX) {
    throw refError(s, `repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`);
  }
  return { domain, path, ...(tag !== undefined ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** "docker.io/library/busybox" */
export function fullName(r: Reference): string {
  return `${r.domain}/${r.path}`;
}

/** The short name docker shows: "busybox", "alice/app", "127.0.0.1:5000/app". */
export function familiarName(r: Reference): string {
  if (r.domain === DEFAULT_DOMAIN) {
    return r.path.startsWith(OFFICIAL_REPO_PREFIX) && r.path.indexOf('/', OFFICIAL_REPO_PREFIX.length) === -1
      ? r.path.slice(OFFICIAL_REPO_PREFIX.length)
      : r.path;
  }
  return fullName(r);
}

/** Add ":latest" when the reference has neither tag nor digest (TagNameOnly). */
export function withDefaultTag(r: Reference): Reference {
  return r.tag === undefined && r.digest === undefined ? { ...r, tag: DEFAULT_TAG } : r;
}

export function formatReference(r: Reference, familiar = false): string {
  let s = familiar ? familiarName(r) : fullName(r);
  if (r.tag !== undefined) s += `:${r.tag}`;
  if (r.digest !== undefined) s += `@${r.digest}`;
  return s;
}

/** Tag validation alone, for `docker tag SRC REPO` with a separate tag value. */
export function validateTag(tag: string): string {
  if (!TAG_RE.test(tag)) throw invalidArgument(`invalid tag format: "${tag}"`);
  return tag;
}
