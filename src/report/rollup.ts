/**
 * The fleet roll-up of a dry run: each disruptive command with the hosts it would run on
 * (`request platform software sdwan security ipsec-rekey: edge1, edge2, edge4 (3)`), the commands
 * that only may run (when an earlier change does not verify), and the hosts where nothing would
 * change. Plain data from the result document; `formatRollup` writes it as text.
 */
import type { ResultDocument, ResultHost, ResultWouldRun } from './json.js';

export interface RollupItem {
  /** `would`: runs when the host is as the dry run saw it; `may`: only if `ifNot` does not verify. */
  certainty: 'would' | 'may';
  stepId: string;
  command: string;
  impact: string;
  /** The step whose change this one hinges on (`may` only). */
  ifNot?: string;
  hosts: string[];
}

export interface Rollup {
  items: RollupItem[];
  /** Hosts that finished ok with nothing that would change. */
  unchanged: string[];
  /** Hosts the dry run could not judge (failed, unreachable, interrupted...), with their outcome. */
  notJudged: { host: string; outcome: ResultHost['outcome'] }[];
}

/** "would run" or "may run (if step X does not recover)": the one wording every renderer uses. */
export function wouldRunLabel(w: Pick<ResultWouldRun, 'hingesOn'>): string {
  return w.hingesOn ? `may run (if step ${w.hingesOn.stepId} does not recover)` : 'would run';
}

export function buildRollup(doc: Pick<ResultDocument, 'hosts'>): Rollup {
  const items = new Map<string, RollupItem>();
  const unchanged: string[] = [];
  const notJudged: Rollup['notJudged'] = [];
  for (const h of doc.hosts) {
    if (h.outcome !== 'ok') notJudged.push({ host: h.host, outcome: h.outcome });
    else if (h.wouldRun.length === 0) unchanged.push(h.host);
    for (const w of h.wouldRun) {
      const certainty = w.hingesOn ? 'may' : 'would';
      const id = JSON.stringify([certainty, w.stepId, w.command, w.hingesOn?.stepId ?? '']);
      let item = items.get(id);
      if (!item) {
        item = {
          certainty,
          stepId: w.stepId,
          command: w.command,
          impact: w.impact,
          ...(w.hingesOn ? { ifNot: w.hingesOn.stepId } : {}),
          hosts: [],
        };
        items.set(id, item);
      }
      if (!item.hosts.includes(h.host)) item.hosts.push(h.host);
    }
  }
  const list = [...items.values()];
  // what would run first, then what may run; within each, document order of first appearance
  return {
    items: [...list.filter((i) => i.certainty === 'would'), ...list.filter((i) => i.certainty === 'may')],
    unchanged,
    notJudged,
  };
}

/** `a, b, c (3)` */
function hostList(hosts: readonly string[]): string {
  return `${hosts.join(', ')} (${hosts.length})`;
}

/** The roll-up as text lines (no trailing newline), for the dry-run summary. */
export function formatRollup(r: Rollup): string[] {
  const out: string[] = [];
  const would = r.items.filter((i) => i.certainty === 'would');
  const may = r.items.filter((i) => i.certainty === 'may');
  if (would.length) {
    out.push('Would run (nothing was sent):');
    for (const i of would) out.push(`  ${i.command}: ${hostList(i.hosts)}`);
  }
  if (may.length) {
    out.push('May run (only if the change before it does not recover):');
    for (const i of may)
      out.push(`  ${i.command} (if step ${i.ifNot} does not recover): ${hostList(i.hosts)}`);
  }
  if (r.unchanged.length) out.push(`Nothing would change: ${hostList(r.unchanged)}`);
  if (r.notJudged.length)
    out.push(`Not judged: ${r.notJudged.map((n) => `${n.host} (${n.outcome})`).join(', ')}`);
  return out;
}

/** True when a dry run found something that would change (for `--detailed-exitcode`). */
export function changesWouldRun(doc: ResultDocument): boolean {
  return doc.hosts.some((h) => h.wouldRun.length > 0);
}
