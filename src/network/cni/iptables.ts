// Reading `iptables-save` output to find what the plugins left behind for a
// container (crash recovery's last resort): rules whose comment names the
// network and the container id, and the chains they jump to. Pure parsing plus
// one function that deletes what was found.
import { run } from '../../common/exec.js';

/** Split an iptables-save rule line into arguments (double quotes with \" escapes). */
export function tokenizeRule(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inToken = false;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) cur += line[++i];
      else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') {
      quoted = true;
      inToken = true;
    } else if (ch === ' ' || ch === '\t') {
      if (inToken) out.push(cur);
      cur = '';
      inToken = false;
    } else {
      cur += ch;
      inToken = true;
    }
  }
  if (inToken) out.push(cur);
  return out;
}

export interface SavedRule {
  table: string;
  chain: string;
  /** the rule's arguments after `-A <chain>` */
  spec: string[];
  comment?: string;
  /** `-j` target */
  target?: string;
}

export function parseIptablesSave(text: string): SavedRule[] {
  const rules: SavedRule[] = [];
  let table = '';
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1).trim();
    if (!line.startsWith('-A ')) continue;
    const args = tokenizeRule(line);
    const chain = args[1] ?? '';
    const spec = args.slice(2);
    const ci = spec.indexOf('--comment');
    const ji = spec.indexOf('-j');
    rules.push({ table, chain, spec, comment: ci >= 0 ? spec[ci + 1] : undefined, target: ji >= 0 ? spec[ji + 1] : undefined });
  }
  return rules;
}

/** Container ids named in rule comments of `network` (bridge: `name: "n" id: "x"`, portmap: `dnat name: ...`). */
export function containerIdsInRules(rules: readonly SavedRule[], network: string): Set<string> {
  const ids = new Set<string>();
  const re = /name: "([^"]*)" id: "([^"]*)"/;
  for (const r of rules) {
    const m = r.comment ? re.exec(r.comment) : null;
    if (m && m[1] === network) ids.add(m[2]!);
  }
  return ids;
}

export function rulesForContainer(rules: readonly SavedRule[], network: string, containerId: string): SavedRule[] {
  const needle = `name: "${network}" id: "${containerId}"`;
  return rules.filter((r) => r.comment?.includes(needle));
}

/** The source address of the bridge plugin's `POSTROUTING -s <ip>/32 ... -j CNI-<hash>` rule, if found. */
export function masqueradedAddress(rules: readonly SavedRule[]): string | undefined {
  for (const r of rules) {
    const si = r.spec.indexOf('-s');
    if (r.chain === 'POSTROUTING' && si >= 0) return r.spec[si + 1]?.replace(/\/32$/, '');
  }
  return undefined;
}

export async function iptablesSave(table: string): Promise<SavedRule[]> {
  const res = await run('iptables-save', ['-t', table], { allowFailure: true });
  return res.code === 0 ? parseIptablesSave(res.stdout) : [];
}

export async function iptables(args: readonly string[], allowFailure = false): Promise<number> {
  const res = await run('iptables', ['-w', ...args], { allowFailure });
  return res.code;
}

/** Delete the given rules, then flush and delete the per-container chains if they exist. */
export async function deleteRulesAndChains(rules: readonly SavedRule[], chains: readonly { table: string; chain: string }[]): Promise<void> {
  for (const r of rules) await iptables(['-t', r.table, '-D', r.chain, ...r.spec], true);
  for (const c of chains) {
    if ((await iptables(['-t', c.table, '-n', '-L', c.chain], true)) !== 0) continue;
    await iptables(['-t', c.table, '-F', c.chain], true);
    await iptables(['-t', c.table, '-X', c.chain], true);
  }
}
