import { sha256, type Digest } from '../common/digest.js';

/** ChainID(L0) = DiffID(L0); ChainID(L0|...|Ln) = sha256(ChainID(L0|...|Ln-1) + " " + DiffID(Ln)) */
export function chainId(parent: Digest | null, diffId: Digest): Digest {
  return parent === null ? diffId : sha256(`${parent} ${diffId}`);
}

export function chainIds(diffIds: readonly Digest[]): Digest[] {
  const out: Digest[] = [];
  let parent: Digest | null = null;
  for (const d of diffIds) {
    parent = chainId(parent, d);
    out.push(parent);
  }
  return out;
}
