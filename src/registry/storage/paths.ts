// Where the registry keeps things inside a storage driver. All content, blobs
// and manifests alike, lives once in blobs/; repositories hold only small link
// files (the digest as text), so a cross-repository mount is one link write and
// deleting a repository's manifest never touches bytes another one needs.
//
//   /blobs/sha256/<hex[0:2]>/<hex>/data                       immutable content
//   /repositories/<name>/                                     name = a/b/c (validated)
//     _layers/sha256/<hex>/link                               blob is pullable here
//     _layers/sha256/<hex>/pending                            a push linked it and no manifest here names it yet:
//                                                             GC keeps the blob until the upload TTL has passed
//     _manifests/revisions/sha256/<hex>/link                  manifest is in this repo
//     _manifests/tags/<tag>/current/link                      tag → manifest digest
//     _referrers/sha256/<subject-hex>/sha256/<hex>/link       manifest <hex> has subject <subject-hex>
//     _uploads/<uuid>/data                                    bytes of an upload in progress
//     _uploads/<uuid>/startedat                               ISO time; expired uploads are reclaimed by GC
//
// Path components under a repository that start with '_' cannot collide with a
// repository name: name components must start with [a-z0-9].
import type { Digest } from '../../common/digest.js';
import { algorithmOf, encodedOf } from '../../common/digest.js';

export const BLOBS_ROOT = '/blobs';
export const REPOS_ROOT = '/repositories';

export function blobDataPath(d: Digest): string {
  const hex = encodedOf(d);
  return `${BLOBS_ROOT}/${algorithmOf(d)}/${hex.slice(0, 2)}/${hex}/data`;
}

export function repoRoot(name: string): string {
  return `${REPOS_ROOT}/${name}`;
}

export function layerLinkPath(name: string, d: Digest): string {
  return `${repoRoot(name)}/_layers/${algorithmOf(d)}/${encodedOf(d)}/link`;
}

export function layerPendingPath(name: string, d: Digest): string {
  return `${repoRoot(name)}/_layers/${algorithmOf(d)}/${encodedOf(d)}/pending`;
}

export function layersDir(name: string, alg = 'sha256'): string {
  return `${repoRoot(name)}/_layers/${alg}`;
}

export function revisionLinkPath(name: string, d: Digest): string {
  return `${repoRoot(name)}/_manifests/revisions/${algorithmOf(d)}/${encodedOf(d)}/link`;
}

export function revisionsDir(name: string, alg = 'sha256'): string {
  return `${repoRoot(name)}/_manifests/revisions/${alg}`;
}

export function tagsDir(name: string): string {
  return `${repoRoot(name)}/_manifests/tags`;
}

export function tagLinkPath(name: string, tag: string): string {
  return `${tagsDir(name)}/${tag}/current/link`;
}

export function referrersDir(name: string, subject: Digest): string {
  return `${repoRoot(name)}/_referrers/${algorithmOf(subject)}/${encodedOf(subject)}`;
}

export function referrerLinkPath(name: string, subject: Digest, d: Digest): string {
  return `${referrersDir(name, subject)}/${algorithmOf(d)}/${encodedOf(d)}/link`;
}

export function uploadsDir(name: string): string {
  return `${repoRoot(name)}/_uploads`;
}

export function uploadDataPath(name: string, id: string): string {
  return `${uploadsDir(name)}/${id}/data`;
}

export function uploadStartedAtPath(name: string, id: string): string {
  return `${uploadsDir(name)}/${id}/startedat`;
}
