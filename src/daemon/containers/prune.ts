// POST /containers/prune: every stopped container that the filters (until, label, label!)
// select is removed as a non-forced rm would, dockerd 20.10's checks and report.
import { internal, invalidArgument, messageOf } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import { parseTimestamp } from '../../common/timestamp.js';
import type { ContainerService } from './service.js';

export interface ContainersPruneReport {
  ContainersDeleted: string[] | null;
  SpaceReclaimed: number;
}

/** The prune filters' `until`: one at most, a timestamp or a duration before now. */
export function pruneUntil(filters: Map<string, string[]>): number | undefined {
  const v = filters.get('until') ?? [];
  if (v.length > 1) throw internal('more than one until filter specified');
  if (!v[0]) return undefined;
  const t = parseTimestamp(v[0]);
  if (t === undefined) throw internal(`failed to parse value as time or duration: "${v[0]}"`);
  return t;
}

/** filters.MatchKVList: every "key" present and every "key=value" equal. */
function matchKV(want: string[], labels: Record<string, string>): boolean {
  return want.every((w) => {
    const i = w.indexOf('=');
    return i < 0 ? w in labels : labels[w.slice(0, i)] === w.slice(i + 1);
  });
}

/** dockerd's matchLabels for prune: all of `label`, and not all of `label!`. */
export function pruneLabelsMatch(filters: Map<string, string[]>, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  const yes = filters.get('label') ?? [];
  const no = filters.get('label!') ?? [];
  if (yes.length && !matchKV(yes, l)) return false;
  if (no.length && matchKV(no, l)) return false;
  return true;
}

export function checkPruneFilters(filters: Map<string, string[]>, accepted: string[]): void {
  for (const k of filters.keys()) if (!accepted.includes(k)) throw invalidArgument(`Invalid filter '${k}'`);
}

export async function pruneContainers(svc: ContainerService, filters: Map<string, string[]>, log: Logger): Promise<ContainersPruneReport> {
  checkPruneFilters(filters, ['label', 'label!', 'until']);
  const until = pruneUntil(filters);
  const deleted: string[] = [];
  let space = 0;
  for (const c of svc.list()) {
    // a paused container is running; a restarting one cannot go without force
    if (c.State.Running || c.State.Restarting) continue;
    if (until !== undefined && Date.parse(c.Created) > until) continue;
    if (!pruneLabelsMatch(filters, c.Config.Labels)) continue;
    try {
      const size = (await svc.sizes(c.Id)).SizeRw;
      await svc.remove(c.Id);
      deleted.push(c.Id);
      space += size;
    } catch (err) {
      // as dockerd: one that cannot go (started meanwhile) is skipped, the rest go on
      log.warn('failed to prune container', { id: c.Id.slice(0, 12), err: messageOf(err) });
    }
  }
  return { ContainersDeleted: deleted.length ? deleted : null, SpaceReclaimed: space };
}
