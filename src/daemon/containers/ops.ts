// The small container operations: pause/unpause (runc's cgroup freezer),
// rename, and top (the host's `ps` filtered to the container's cgroup), with
// dockerd 20.10's checks, messages and order of checks.
import { conflict, internal, invalidArgument } from '../../common/errors.js';
import { run } from '../../common/exec.js';
import type { Monitor } from '../../runtime/index.js';
import type { ContainerStore } from './store.js';
import { validateName } from './names.js';
import type { ContainerRecord } from './types.js';

export interface OpsDeps {
  store: ContainerStore;
  monitor: Monitor;
  /** the record as stored now (records are copies: each change re-reads before it saves) */
  get: (ref: string) => ContainerRecord;
}

/** Apply a change to the stored record, re-read after an await so that nothing newer is overwritten. */
function update(d: OpsDeps, id: string, fn: (c: ContainerRecord) => void): void {
  const cur = d.get(id);
  fn(cur);
  d.store.save(cur);
}

export interface TopResult {
  Titles: string[];
  Processes: string[][];
}

function mustRun(c: ContainerRecord): void {
  if (c.State.Restarting) throw conflict(`Container ${c.Id} is restarting, wait until the container is running`);
  if (!c.State.Running) throw conflict(`Container ${c.Id} is not running`);
}

export async function pause(d: OpsDeps, c: ContainerRecord): Promise<void> {
  mustRun(c);
  if (c.State.Paused) throw conflict(`Container ${c.Id} is already paused`);
  await d.monitor.pause(c.Id).catch((err: unknown) => {
    throw internal(`Cannot pause container ${c.Id}: ${(err as Error).message}`, err);
  });
  update(d, c.Id, (cur) => {
    if (cur.State.Running) cur.State = { ...cur.State, Status: 'paused', Paused: true };
  });
}

export async function unpause(d: OpsDeps, c: ContainerRecord): Promise<void> {
  // dockerd answers this one with a 500 (a plain error), not a 409
  if (!c.State.Paused) throw internal(`Container ${c.Id} is not paused`);
  await d.monitor.resume(c.Id).catch((err: unknown) => {
    throw internal(`Cannot unpause container ${c.Id}: ${(err as Error).message}`, err);
  });
  update(d, c.Id, (cur) => {
    cur.State = { ...cur.State, Status: cur.State.Running ? 'running' : cur.State.Status, Paused: false };
  });
}

/**
 * After a signal to a paused container: thaw it so that the signal is acted on (a frozen task on
 * cgroup v1 does not even die of SIGKILL until thawed), as dockerd's kill does. A failure is only
 * logged by the caller: the signal was sent.
 */
export async function thawAfterSignal(d: OpsDeps, c: ContainerRecord): Promise<void> {
  if (!c.State.Paused) return;
  await d.monitor.resume(c.Id);
  update(d, c.Id, (cur) => {
    cur.State = { ...cur.State, Status: cur.State.Running ? 'running' : cur.State.Status, Paused: false };
  });
}

/** Docker's rename: checks in dockerd's order, the new name reserved in the store's unique index. */
export function rename(d: OpsDeps, ref: string, newName: string): void {
  if (!ref || !newName) throw invalidArgument('Neither old nor new names may be empty');
  const c = d.get(ref);
  const slashed = newName.startsWith('/') ? newName : `/${newName}`;
  if (`/${c.Name}` === slashed) throw invalidArgument('Renaming a container with the same name as its current name');
  let name: string;
  try {
    name = validateName(slashed);
  } catch (err) {
    throw invalidArgument(`Error when allocating new name: ${(err as Error).message}`, err);
  }
  const taken = (other: string | undefined) =>
    conflict(`Error when allocating new name: Conflict. The container name "/${name}" is already in use${other ? ` by container "${other}"` : ''}. You have to remove (or rename) that container to be able to reuse that name.`);
  const other = d.store.idByName(name);
  if (other) throw taken(other);
  const old = c.Name;
  c.Name = name;
  try {
    d.store.save(c);
  } catch (err) {
    c.Name = old;
    if (/UNIQUE/.test((err as Error).message)) throw taken(d.store.idByName(name));
    throw err;
  }
}

/** dockerd refuses `ps` arguments that would rename the PID column (its filter needs it). */
function validatePsArgs(psArgs: string): void {
  for (const m of psArgs.matchAll(/\s+(\S*)=\s*(PID\S*)/g)) {
    if (m[1] !== 'pid') throw internal(`specifying "${m[1]}=${m[2]}" is not allowed`);
  }
}

const fieldsASCII = (s: string) => s.split(/[ \t\n\v\f\r]+/).filter((x) => x !== '');

/** `ps` output → docker's {Titles, Processes}: only the container's pids, the last column keeps its spaces. */
export function parsePsOutput(out: string, pids: Set<number>): TopResult {
  const lines = out.split('\n');
  const titles = fieldsASCII(lines[0] ?? '');
  const pidIndex = titles.indexOf('PID');
  if (pidIndex < 0) throw internal("Couldn't find PID field in ps output");
  const processes: string[][] = [];
  for (const line of lines.slice(1)) {
    if (!line) continue;
    const f = fieldsASCII(line);
    const raw = f[pidIndex] ?? '';
    const p = raw === '-' ? 0 : Number(raw);
    if (!Number.isInteger(p)) throw internal(`Unexpected pid '${raw}': strconv.Atoi: parsing "${raw}": invalid syntax`);
    if (!pids.has(p)) continue;
    processes.push([...f.slice(0, titles.length - 1), f.slice(titles.length - 1).join(' ')]);
  }
  return { Titles: titles, Processes: processes };
}

export async function top(d: OpsDeps, c: ContainerRecord, psArgs: string): Promise<TopResult> {
  const args = psArgs || '-ef';
  validatePsArgs(args);
  if (!c.State.Running) throw conflict(`Container ${c.Id} is not running`);
  if (c.State.Restarting) throw conflict(`Container ${c.Id} is restarting, wait until the container is running`);
  const pids = await d.monitor.pids(c.Id);
  const fields = fieldsASCII(args);
  // as dockerd: ask ps for the pids, and again without when the options refuse -q (e.g. f)
  let r = await run('ps', [...fields, `-q${pids.join(',')}`], { allowFailure: true });
  if (r.code !== 0) r = await run('ps', fields, { allowFailure: true });
  if (r.code !== 0) throw internal(`ps: ${r.stderr.split('\n')[0] || `exit status ${r.code}`}`);
  return parsePsOutput(r.stdout, new Set(pids));
}
