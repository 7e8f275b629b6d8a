/**
 * The run report as markdown for a change ticket: provenance, per-host counts, the dry run's
 * roll-up (each command with its hosts), per host its outcome, its results table (steps' `result:`
 * rows), the disruptive commands with their approvals, what would (or may) run, and each step with
 * its output folded in `<details>`.
 * Every recorded value is escaped (code spans and fences outgrow any backticks inside).
 */
import {
  approvalHow,
  approvalVerdict,
  endpointText,
  hostChanged,
  operatorText,
  outcomeOf,
  when,
  type ChangeHost,
  type ChangeRecord,
} from './change.js';
import { mdCode, mdFence, mdText } from './escape.js';
import { formatDuration } from './format.js';
import { stringifyJson } from './json.js';
import { buildRollup, formatRollup, wouldRunLabel } from './rollup.js';
import { resultsTable } from './results-table.js';

function hostPart(h: ChangeHost): string[] {
  const r = h.result;
  const out: string[] = [];
  out.push(`### ${mdText(h.target.name)}: ${outcomeOf(h)}${hostChanged(h) ? ' (changed)' : ''}`, '');
  const facts = [
    `endpoint ${mdCode(endpointText(h.target))}`,
    ...(r.durationMs !== undefined ? [`took ${formatDuration(r.durationMs)}`] : []),
    ...(h.batch ? [`batch ${h.batch}`] : []),
    ...(h.sessions > 1 ? [`${h.sessions} sessions (resumed)`] : []),
    ...(r.stoppedAt && r.outcome !== 'ok' ? [`stopped at ${mdCode(r.stoppedAt)}`] : []),
  ];
  out.push(facts.join(' · '), '');
  if (r.message) out.push(...mdFence(r.message), '');
  const results = resultsTable(r);
  if (results) {
    out.push(
      `| ${results.columns.map((c) => mdText(c, true)).join(' | ')} |`,
      `|${results.numeric.map((n) => (n ? '---:' : '---')).join('|')}|`,
      ...results.rows.map((row) => `| ${row.map((c) => mdText(c, true)).join(' | ')} |`),
      '',
    );
  }
  if (r.approvals.length) {
    out.push('| Step | Command | Decision | How | When |', '|---|---|---|---|---|');
    for (const a of r.approvals)
      out.push(
        `| ${mdCode(a.stepId, true)} | ${mdCode(a.command, true)} | ${approvalVerdict(a)}${a.inDoubt ? ' (in doubt)' : ''} | ${mdText(approvalHow(a), true)} | ${when(a.at)} |`,
      );
    out.push('');
  }
  if (r.disruptive.length) out.push(`Sent: ${r.disruptive.map((c) => mdCode(c)).join(', ')}`, '');
  for (const w of r.wouldRun) out.push(`- ${wouldRunLabel(w)}: ${mdCode(w.command)} — ${mdText(w.impact)}`);
  if (r.wouldRun.length) out.push('');
  if (r.steps.length) {
    out.push('<details><summary>Steps and output</summary>', '');
    r.steps.forEach((s, i) => {
      const dur = s.durationMs === undefined ? '' : ` (${formatDuration(s.durationMs)})`;
      out.push(`- ${mdText(s.title)} ${mdCode(s.key)}: **${s.outcome}**${dur}`);
      for (const c of [...new Set(s.commands)]) out.push(`  - ${mdCode(c)}`);
      if (Object.keys(s.captures).length) out.push(`  - captured ${mdCode(stringifyJson(s.captures, 0))}`);
      const text = (h.outputs[i] ?? []).map((o) => o.output.replace(/\n+$/, '')).join('\n');
      if (text.trim()) out.push('', ...mdFence(text, '  '), '');
    });
    out.push('', '</details>', '');
  }
  return out;
}

export function renderMarkdownReport(r: ChangeRecord): string {
  const m = r.meta;
  const out: string[] = [];
  out.push(
    `# ${m.change ? `${mdText(m.change)}: ` : ''}${mdText(m.runbookName)} ${m.mode === 'dry-run' ? 'dry run' : 'run'} ${m.id}`,
    '',
  );
  out.push('| | |', '|---|---|');
  out.push(`| Change | ${m.change ? mdCode(m.change, true) : '_no --change given_'} |`);
  out.push(
    `| Run | ${mdCode(m.id, true)} (${m.mode === 'dry-run' ? 'dry run: nothing was sent' : 'exec'}) |`,
  );
  out.push(`| Outcome | **${r.outcome}** |`);
  out.push(`| Run by | ${mdText(operatorText(m), true)} |`);
  out.push(`| Created | ${when(Date.parse(m.createdAt))} |`);
  out.push(`| Runbook | ${mdText(m.runbookName, true)} ${mdCode(m.runbookPath, true)} |`);
  out.push(`| SHA-256 | ${mdCode(m.contentHash, true)} |`);
  const vars = Object.entries(m.vars);
  if (vars.length)
    out.push(`| Vars | ${vars.map(([k, v]) => mdCode(`${k}=${stringifyJson(v, 0)}`, true)).join(' ')} |`);
  out.push('');
  const by = new Map<string, number>();
  for (const h of r.hosts) by.set(outcomeOf(h), (by.get(outcomeOf(h)) ?? 0) + 1);
  out.push(`## Hosts (${r.hosts.length}): ${[...by].map(([o, n]) => `${n} ${o}`).join(', ')}`, '');
  out.push('| Host | Outcome | Endpoint | Took | Disruptive |', '|---|---|---|---|---|');
  for (const h of r.hosts)
    out.push(
      `| ${mdText(h.target.name, true)} | ${outcomeOf(h)} | ${mdCode(endpointText(h.target), true)} | ${h.result.durationMs === undefined ? '' : formatDuration(h.result.durationMs)} | ${(m.mode === 'dry-run' ? h.result.wouldRun.map((w) => w.command) : h.result.disruptive).map((c) => mdCode(c, true)).join(', ')} |`,
    );
  out.push('');
  if (m.mode === 'dry-run') {
    const lines = formatRollup(buildRollup({ hosts: r.hosts.map((h) => h.result) }));
    if (lines.length) out.push('## Roll-up', '', ...mdFence(lines.join('\n')), '');
  }
  out.push('## Per host', '');
  for (const h of r.hosts) out.push(...hostPart(h));
  return `${out.join('\n')}\n`;
}
