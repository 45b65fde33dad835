// The registry's content model over one storage driver: blobs, uploads,
// manifests/tags/referrers and the repository catalog, sharing one GC fence.
import { isKind } from '../../common/errors.js';
import type { StorageDriver } from '../storage/driver.js';
import { REPOS_ROOT } from '../storage/paths.js';
import { BlobStore } from './blobs.js';
import { GcFence } from './fence.js';
import { ManifestStore } from './manifests.js';
import { UploadStore } from './uploads.js';

export class Registry {
  readonly fence = new GcFence();
  readonly blobs: BlobStore;
  readonly uploads: UploadStore;
  readonly manifests: ManifestStore;

  constructor(readonly driver: StorageDriver) {
    this.blobs = new BlobStore(driver, this.fence);
    this.uploads = new UploadStore(driver, this.blobs);
    this.manifests = new ManifestStore(driver, this.blobs);
  }

  /** Every repository name, sorted: a directory with a _manifests child is a repository. */
  async repositories(): Promise<string[]> {
    return this.walkRepositories((children) => children.includes('_manifests'));
  }

  /** Every directory that holds registry state (manifests, layer links or uploads). */
  async allRepositoryDirs(): Promise<string[]> {
    return this.walkRepositories((children) => children.some((c) => c.startsWith('_')));
  }

  private async walkRepositories(isRepo: (children: string[]) => boolean): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string, prefix: string): Promise<void> => {
      let children: string[];
      try {
        children = await this.driver.list(dir);
      } catch (err) {
        if (isKind(err, 'NotFound')) return;
        throw err;
      }
      const bases = children.map((c) => c.slice(c.lastIndexOf('/') + 1));
      if (prefix && isRepo(bases)) out.push(prefix);
      for (const [i, c] of children.entries()) {
        const b = bases[i]!;
        if (!b.startsWith('_')) await walk(c, prefix ? `${prefix}/${b}` : b);
      }
    };
    await walk(REPOS_ROOT, '');
    return out.sort();
  }
}
