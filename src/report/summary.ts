/**
 * The final human summary, rendered from the result document: per host the outcome, duration, the
 * disruptive actions taken (or, in a dry run, those that would be taken), its results table (steps'
 * `result:` rows, see results-table.ts), and for hosts that did not finish the exact command to go on:
 *   - interrupted, awaiting-approval, unreachable, pending: `resumeCommand` (resume continues them)
 *   - failed: `retryCommand` (resume leaves failed hosts alone; a new run retries them)
 * The commands are given by the caller, who knows the argv and the retry file. A dry run is never
 * resumed, so it shows only the retry command.
 */
import type { ResultDocument, ResultHost } from './json.js';
import { formatDuration, withImpact } from './format.js';
import { buildRollup, formatRollup, wouldRunLabel } from './rollup.js';
import { formatResultsText, resultsTable, TEXT_WIDTH } from './results-table.js';

export interface SummaryOptions {
  /** e.g. `runbook resume 20261127-164501-ab12`. */
  resumeCommand?: string;
  /** e.g. `runbook exec runbooks/x.yaml -i hosts.ini --limit @.runbook/runs/<id>/retry`. */
  retryCommand?: string;
  /** Dry run of several hosts: also list each host's would-run items (default: the roll-up only). */
  details?: boolean;
  /** e.g. `runbook runs <id> --host H`: where one host's details are (said under a roll-up). */
  hostDetailsCommand?: string;
}

/** Above this many hosts, messages are cut to their first line. */
const FLEET_HOSTS = 5;

const RESUMABLE: ReadonlySet<ResultHost['outcome']> = new Set([
  'interrupted',
  'awaiting-approval',
  'unreachable',
  'pending',
]);

export function formatSummary(doc: ResultDocument, opts: SummaryOptions = {}): string {
  const dry = doc.mode === 'dry-run';
  const counts = new Map<string, number>();
  for (const h of doc.hosts) counts.set(h.outcome, (counts.get(h.outcome) ?? 0) + 1);
  const tally = [...counts].map(([o, n]) => `${n} ${o}`).join(', ');
  const out: string[] = [];
  const n = doc.hosts.length;
  out.push(
    `Run ${doc.runId}: ${doc.runbook.name}${dry ? ' (dry run)' : ''}, ${n} host${n === 1 ? '' : 's'}: ${tally || 'none'}`,
  );
  const width = Math.max(0, ...doc.hosts.map((h) => h.host.length));
  const owidth = Math.max(0, ...doc.hosts.map((h) => h.outcome.length));
  const durs = doc.hosts.map((h) => (h.durationMs === undefined ? '' : formatDuration(h.durationMs)));
  const dwidth = Math.max(0, ...durs.map((d) => d.length));
  // a fleet gets a line per host (the first line of its message); `runbook runs <id>` has the rest
  // a dry run of several hosts rolls up: each command once with its hosts, details on demand
  const rollup = dry && n > 1;
  const fleet = n > FLEET_HOSTS || (rollup && !opts.details);
  doc.hosts.forEach((h, i) => {
    const where = h.stoppedAt && h.outcome !== 'ok' ? `at ${h.stoppedAt}` : '';
    // a one-line message stays on the host's row; a longer one goes below it, indented
    const all = h.message ? h.message.split('\n') : [];
    const lines = fleet && all.length > 1 ? [`${all[0]!} (+${all.length - 1} lines)`] : all;
    const [msg = '', ...more] = lines.length > 1 ? ['', ...lines] : lines;
    const detail = where && msg ? `${where}: ${msg}` : where || msg;
    out.push(
      `  ${h.host.padEnd(width)}  ${h.outcome.padEnd(owidth)}  ${durs[i]!.padEnd(dwidth)}  ${detail}`.trimEnd(),
    );
    for (const line of more) out.push(`      ${line}`.trimEnd());
    if (dry) {
      if (!rollup || opts.details)
        for (const w of h.wouldRun)
          out.push(`      ${wouldRunLabel(w)}: ${withImpact(w.command, w.impact)} (${w.key})`);
    } else {
      for (const c of h.disruptive) out.push(`      disruptive: ${c}`);
    }
    const table = resultsTable(h);
    if (table) out.push(...formatResultsText(table, '      ', undefined, TEXT_WIDTH));
  });
  if (rollup) {
    out.push(...formatRollup(buildRollup(doc)));
    if (!opts.details && opts.hostDetailsCommand)
      out.push(`Per-host details: --details, or ${opts.hostDetailsCommand}`);
  }
  const resumable = doc.hosts.filter((h) => RESUMABLE.has(h.outcome)).map((h) => h.host);
  const failed = doc.hosts.filter((h) => h.outcome === 'failed').map((h) => h.host);
  if (!dry && resumable.length > 0 && opts.resumeCommand)
    out.push(`To continue ${resumable.join(', ')}: ${opts.resumeCommand}`);
  if (failed.length > 0 && opts.retryCommand) out.push(`To retry ${failed.join(', ')}: ${opts.retryCommand}`);
  for (const m of doc.messages) out.push(`note: ${m}`);
  return `${out.join('\n')}\n`;
}
