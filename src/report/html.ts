/**
 * The run report as ONE self-contained HTML page for the change record: provenance first (run,
 * ticket, who, from where, runbook and hash), per-host status counts with a filter (failed /
 * changed / unreachable / all), a timeline of the fleet (one bar per host, batches as bands), then
 * per host its results table (steps' `result:` rows), the disruptive commands with their approvals
 * and evidence, what a dry run would (or may) run, every step with its output folded in `<details>`.
 *
 * Contract: no network fetch of any kind (inline CSS and JS; a Content-Security-Policy that
 * forbids every other source), and every recorded value is escaped: device output is untrusted.
 */
import type { Evidence } from '../engine/events.js';
import type { Value } from '../expr/types.js';
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
import { htmlEscape as esc } from './escape.js';
import { formatDuration } from './format.js';
import { stringifyJson, type ResultHost, type ResultStep } from './json.js';
import { buildRollup, wouldRunLabel } from './rollup.js';
import { REPORT_CSS, REPORT_JS } from './html-assets.js';
import { resultsTable } from './results-table.js';

function value(v: unknown): string {
  return stringifyJson(v as Value, 0);
}

function badge(outcome: string): string {
  return `<span class="badge o-${esc(outcome)}">${esc(outcome)}</span>`;
}

function row(label: string, html: string): string {
  return `<tr><th scope="row">${esc(label)}</th><td>${html}</td></tr>`;
}

function provenance(r: ChangeRecord): string {
  const m = r.meta;
  const times = r.hosts.flatMap((h) => [h.startedAt, h.endedAt]).filter((t): t is number => t !== undefined);
  const vars = Object.entries(m.vars);
  return `<table class="prov">${[
    row('Change', m.change ? `<strong>${esc(m.change)}</strong>` : '<em>no --change given</em>'),
    row('Run', `<code>${esc(m.id)}</code> (${m.mode === 'dry-run' ? 'dry run: nothing was sent' : 'exec'})`),
    row('Outcome', badge(r.outcome)),
    row('Run by', esc(operatorText(m))),
    row('Created', esc(when(Date.parse(m.createdAt)))),
    ...(times.length
      ? [row('Ran', `${esc(when(Math.min(...times)))} – ${esc(when(Math.max(...times)))}`)]
      : []),
    row('Runbook', `${esc(m.runbookName)} <code>${esc(m.runbookPath)}</code>`),
    row('SHA-256', `<code>${esc(m.contentHash)}</code>`),
    ...(vars.length
      ? [row('Vars', vars.map(([k, v]) => `<code>${esc(k)}=${esc(value(v))}</code>`).join(' '))]
      : []),
  ].join('')}</table>`;
}

function counts(r: ChangeRecord): string {
  const by = new Map<string, number>();
  for (const h of r.hosts) by.set(outcomeOf(h), (by.get(outcomeOf(h)) ?? 0) + 1);
  const changed = r.hosts.filter(hostChanged).length;
  const chips = [...by].map(
    ([o, n]) => `<span class="chip o-${esc(o)}" data-count="${esc(o)}">${n} ${esc(o)}</span>`,
  );
  chips.push(
    `<span class="chip o-changed" data-count="changed">${changed} ${r.meta.mode === 'dry-run' ? 'would change' : 'changed'}</span>`,
  );
  const filters = (['all', 'failed', 'changed', 'unreachable'] as const)
    .map(
      (f) =>
        `<button type="button" data-filter="${f}"${f === 'all' ? ' aria-pressed="true"' : ' aria-pressed="false"'}>${f}</button>`,
    )
    .join('');
  return `<div class="counts"><span class="total">${r.hosts.length} host${r.hosts.length === 1 ? '' : 's'}</span>${chips.join('')}</div>
<div class="filter" role="group" aria-label="show hosts">Show: ${filters}</div>`;
}

/** Attributes the filter reads. */
function hostAttrs(h: ChangeHost): string {
  return `data-host="${esc(h.target.name)}" data-outcome="${esc(outcomeOf(h))}" data-changed="${hostChanged(h)}"`;
}

function timeline(r: ChangeRecord): string {
  const times = r.hosts.flatMap((h) => [h.startedAt, h.endedAt]).filter((t): t is number => t !== undefined);
  if (times.length === 0) return '<p class="none">No host started.</p>';
  const t0 = Math.min(...times);
  const span = Math.max(1, Math.max(...times) - t0);
  const pct = (t: number) => ((t - t0) / span) * 100;
  const rows = [...r.hosts]
    .sort((a, b) => a.batch - b.batch || (a.startedAt ?? 0) - (b.startedAt ?? 0))
    .map((h) => {
      const start = h.startedAt ?? t0;
      const end = h.endedAt ?? start;
      const left = pct(start);
      const width = Math.max(0.6, pct(end) - left);
      const marks = h.sent
        .map(
          (s) =>
            `<span class="mark" style="left:${(((s.at - start) / Math.max(1, end - start)) * 100).toFixed(2)}%" title="${esc(`${when(s.at)} sent: ${s.command}`)}"></span>`,
        )
        .join('');
      const bar =
        h.startedAt === undefined
          ? '<span class="never">not started</span>'
          : `<span class="bar o-${esc(outcomeOf(h))}" style="left:${left.toFixed(2)}%;width:${width.toFixed(2)}%" title="${esc(`${h.target.name}: ${outcomeOf(h)}, ${formatDuration(end - start)}`)}">${marks}</span>`;
      return `<div class="tl-row b${h.batch % 2}" ${hostAttrs(h)}><a class="tl-name" href="#host-${esc(anchor(h.target.name))}">${esc(h.target.name)}</a><span class="tl-batch">${h.batch ? `batch ${h.batch}` : ''}</span><span class="tl-track">${bar}</span></div>`;
    });
  return `<div class="timeline"><div class="tl-axis"><span>${esc(when(t0))}</span><span>+${esc(formatDuration(span))}</span></div>${rows.join('')}<p class="legend">One bar per host; bands are batches; ticks mark disruptive commands sent.</p></div>`;
}

/** A dry run's roll-up: each command once, with the hosts it would (or may) run on. */
function rollup(r: ChangeRecord): string {
  if (r.meta.mode !== 'dry-run') return '';
  const roll = buildRollup({ hosts: r.hosts.map((h) => h.result) });
  if (roll.items.length === 0) return '<h3>Roll-up</h3><p>Nothing would change on any host.</p>';
  const rows = roll.items.map(
    (i) =>
      `<tr class="${i.certainty}"><td class="label">${i.certainty === 'would' ? 'would run' : `may run (if step ${esc(i.ifNot ?? '')} does not recover)`}</td><td><code>${esc(i.command)}</code></td><td>${i.hosts.map((h) => `<a href="#host-${esc(anchor(h))}">${esc(h)}</a>`).join(', ')} (${i.hosts.length})</td></tr>`,
  );
  return `<h3>Roll-up</h3><table class="rollup"><thead><tr><th></th><th>Command</th><th>Hosts</th></tr></thead><tbody>${rows.join('')}</tbody></table>${
    roll.unchanged.length ? `<p>Nothing would change: ${roll.unchanged.map(esc).join(', ')}</p>` : ''
  }`;
}

function anchor(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, (c) => `_${c.charCodeAt(0).toString(16)}`);
}

function evidence(list: readonly Evidence[] | undefined): string {
  if (!list || list.length === 0) return '';
  const items = list.map((e) => {
    const parts: string[] = [];
    for (const c of e.conditions ?? []) parts.push(`<li>held: <code>${esc(c)}</code></li>`);
    for (const l of e.lines ?? [])
      parts.push(`<li><code>${esc(e.stepId)}</code>: <samp>${esc(l.trim())}</samp></li>`);
    if (e.captures && Object.keys(e.captures).length)
      parts.push(`<li><code>${esc(e.stepId)}</code> captured <code>${esc(value(e.captures))}</code></li>`);
    return parts.join('');
  });
  return `<details class="evidence"><summary>evidence</summary><ul>${items.join('')}</ul></details>`;
}

/** The host's results table (steps' `result:` rows). */
function results(h: ResultHost): string {
  const t = resultsTable(h);
  if (!t) return '';
  const cls = (i: number): string => (t.numeric[i] ? ' class="num"' : '');
  const head = t.columns.map((c, i) => `<th scope="col"${cls(i)}>${esc(c)}</th>`).join('');
  const body = t.rows.map((r) => `<tr>${r.map((c, i) => `<td${cls(i)}>${esc(c)}</td>`).join('')}</tr>`);
  return `<h3>Results</h3><table class="results"><thead><tr>${head}</tr></thead><tbody>${body.join('')}</tbody></table>`;
}

function approvals(h: ResultHost): string {
  if (h.approvals.length === 0 && h.disruptive.length === 0) return '';
  const rows = h.approvals.map(
    (a) =>
      `<tr class="approval v-${approvalVerdict(a)}"><td><code>${esc(a.stepId)}</code><div class="key">${esc(a.key)}</div></td><td><code>${esc(a.command)}</code>${a.impact ? `<div class="impact">${esc(a.impact)}</div>` : ''}${evidence(a.evidence)}</td><td class="verdict">${esc(approvalVerdict(a))}${a.inDoubt ? ' <span class="doubt">in doubt</span>' : ''}</td><td class="how">${esc(approvalHow(a))}</td><td>${esc(when(a.at))}</td></tr>`,
  );
  const sent = h.disruptive.length
    ? `<p>Sent: ${h.disruptive.map((c) => `<code>${esc(c)}</code>`).join(', ')}</p>`
    : '<p>No disruptive command was sent.</p>';
  return `<h3>Disruptive commands and approvals</h3>${
    rows.length
      ? `<table class="approvals"><thead><tr><th>Step</th><th>Command, impact, evidence</th><th>Decision</th><th>How</th><th>When</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
      : ''
  }${sent}`;
}

function wouldRun(h: ResultHost): string {
  if (h.wouldRun.length === 0) return '';
  const items = h.wouldRun.map(
    (w) =>
      `<li class="${w.hingesOn ? 'may' : 'would'}"><span class="label">${esc(wouldRunLabel(w))}</span>: <code>${esc(w.command)}</code> <span class="key">${esc(w.key)}</span>${w.impact ? `<div class="impact">${esc(w.impact)}</div>` : ''}${evidence(w.evidence)}</li>`,
  );
  return `<h3>Would run (dry run: nothing was sent)</h3><ul class="wouldrun">${items.join('')}</ul>`;
}

function outputs(list: { output: string; exitCode?: number }[] | undefined): string {
  if (!list || list.length === 0 || list.every((o) => o.output.trim() === '')) return '';
  const text = list
    .map(
      (o) =>
        `${o.output.replace(/\r\n?/g, '\n').replace(/\n+$/, '')}${o.exitCode ? `\n(exit ${o.exitCode})` : ''}`,
    )
    .join('\n');
  const lines = text.split('\n').length;
  return `<details class="output"><summary>output (${lines} line${lines === 1 ? '' : 's'})</summary><pre>${esc(text)}</pre></details>`;
}

function steps(h: ChangeHost): string {
  if (h.result.steps.length === 0) return '<p class="none">No steps recorded.</p>';
  const rows = h.result.steps.map((s: ResultStep, i) => {
    const caps = Object.keys(s.captures).length
      ? `<div class="caps"><code>${esc(value(s.captures))}</code></div>`
      : '';
    const cmds = s.commands.length
      ? `<div class="cmds">${[...new Set(s.commands)].map((c) => `<code>${esc(c)}</code>`).join(' ')}${s.commands.length > 1 ? ` <span class="n">×${s.commands.length}</span>` : ''}</div>`
      : '';
    const msg = s.message ?? s.error?.message;
    return `<tr class="step s-${esc(s.outcome)}${s.disruptive ? ' disruptive' : ''}"><td class="title">${esc(s.title)}<div class="key">${esc(s.key)}</div></td><td>${badge(s.outcome)}</td><td class="dur">${s.durationMs === undefined ? '' : esc(formatDuration(s.durationMs))}</td><td>${cmds}${caps}${msg ? `<div class="msg">${esc(msg)}</div>` : ''}${outputs(h.outputs[i])}</td></tr>`;
  });
  return `<details class="steps"><summary>Steps (${h.result.steps.length})</summary><table><thead><tr><th>Step</th><th>Outcome</th><th>Time</th><th>Commands, captures, output</th></tr></thead><tbody>${rows.join('')}</tbody></table></details>`;
}

function hostSection(h: ChangeHost, dry: boolean): string {
  const r = h.result;
  const facts = [
    `endpoint <code>${esc(endpointText(h.target))}</code>`,
    `platform ${esc(h.target.platform)}`,
    ...(r.durationMs !== undefined ? [`took ${esc(formatDuration(r.durationMs))}`] : []),
    ...(h.batch ? [`batch ${h.batch}`] : []),
    ...(h.sessions > 1 ? [`${h.sessions} sessions (resumed)`] : []),
    ...(r.stoppedAt && r.outcome !== 'ok' ? [`stopped at <code>${esc(r.stoppedAt)}</code>`] : []),
  ];
  return `<section class="host" id="host-${esc(anchor(h.target.name))}" ${hostAttrs(h)}>
<h2><span class="name">${esc(h.target.name)}</span> ${badge(outcomeOf(h))}${hostChanged(h) ? ` <span class="badge changed">${dry ? 'would change' : 'changed'}</span>` : ''}</h2>
<p class="facts">${facts.join(' · ')}</p>
${r.message ? `<pre class="message">${esc(r.message)}</pre>` : ''}
${results(r)}${approvals(r)}${wouldRun(r)}
${steps(h)}
</section>`;
}

export interface HtmlReportOptions {
  /** Generation time shown in the footer; default now. */
  now?: number;
}

/** The page. */
export function renderHtmlReport(r: ChangeRecord, opts: HtmlReportOptions = {}): string {
  const title = `${r.meta.change ? `${r.meta.change}: ` : ''}${r.meta.runbookName} ${r.meta.mode === 'dry-run' ? 'dry run' : 'run'} ${r.meta.id}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${esc(title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<header><h1>${esc(title)}</h1>${provenance(r)}</header>
<main>
<section class="overview" aria-label="hosts">${counts(r)}${timeline(r)}${rollup(r)}</section>
${r.hosts.map((h) => hostSection(h, r.meta.mode === 'dry-run')).join('\n')}
<p class="empty" hidden>No host matches this filter.</p>
</main>
<footer>runbook report · generated ${esc(when(opts.now ?? Date.now()))} · self-contained: this file fetches nothing</footer>
<script>${REPORT_JS}</script>
</body>
</html>
`;
}
