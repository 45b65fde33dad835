// --security-opt seccomp=...: which filter a container gets. Values as dockerd
// reads them from HostConfig.SecurityOpt: `unconfined` (no filter), empty or
// `builtin` (the default profile), otherwise the profile's JSON content (the
// docker CLI reads the file and sends what is in it). The last seccomp option
// wins; `key:value` is the old spelling of `key=value`.
import { invalidArgument } from '../../common/errors.js';
import { buildSeccomp, DEFAULT_PROFILE, hostPlatform, type OciSeccomp, type Platform, type SeccompProfile } from './build.js';
import { decodeDockerProfile } from './docker-profile.js';

export type SeccompOption = { mode: 'default' } | { mode: 'unconfined' } | { mode: 'custom'; profile: SeccompProfile };

const DEFAULT: SeccompOption = { mode: 'default' };
const UNCONFINED: SeccompOption = { mode: 'unconfined' };

/**
 * One SecurityOpt entry: undefined when it is not a seccomp option; throws an
 * invalid-argument error with dockerd's words when its profile is malformed.
 */
export function parseSeccompOpt(opt: string): SeccompOption | undefined {
  const sep = opt.includes('=') ? '=' : opt.includes(':') ? ':' : undefined;
  if (!sep) return undefined;
  const i = opt.indexOf(sep);
  if (opt.slice(0, i) !== 'seccomp') return undefined;
  const value = opt.slice(i + 1);
  if (value === 'unconfined') return UNCONFINED;
  if (value === '' || value === 'builtin') return DEFAULT;
  let profile: SeccompProfile | undefined;
  try {
    profile = decodeDockerProfile(value);
  } catch (e) {
    throw invalidArgument((e as Error).message);
  }
  // dockerd: a profile with neither a default action nor syscalls ("{}", "null") means no filter.
  return profile ? { mode: 'custom', profile } : UNCONFINED;
}

/** The container's choice from all its SecurityOpt entries; --privileged drops the filter unless a profile was given (moby 25+). */
export function seccompOption(securityOpt: readonly string[] | null | undefined, privileged = false): SeccompOption {
  let chosen: SeccompOption | undefined;
  for (const o of securityOpt ?? []) chosen = parseSeccompOpt(o) ?? chosen;
  if (privileged && chosen?.mode !== 'custom') return UNCONFINED;
  return chosen ?? DEFAULT;
}

/** The OCI linux.seccomp for a container with these bounding capabilities, or undefined for none. */
export function seccompFilter(choice: SeccompOption, caps: readonly string[], platform: Platform = hostPlatform()): OciSeccomp | undefined {
  if (choice.mode === 'unconfined') return undefined;
  // dockerd on a kernel without seccomp: the default profile is dropped (with a warning in its log), a given one refused.
  if (platform.seccomp === false) {
    if (choice.mode === 'custom') throw new Error('seccomp is not enabled in your kernel, cannot run a custom seccomp profile');
    return undefined;
  }
  return buildSeccomp(choice.mode === 'custom' ? choice.profile : DEFAULT_PROFILE, caps, platform);
}
