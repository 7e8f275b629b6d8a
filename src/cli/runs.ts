/**
 * `runbook runs [--state-dir DIR] [--json]`: the recorded runs, newest first (id, when, runbook,
 * hosts, outcome).
 * `runbook runs <run-id> [--state-dir DIR] [--json]`: one run's record: per host, per step, the
 * outcome, duration, commands sent and captured values (secrets stay redacted as stored), in-doubt
 * steps, and the command to resume it.
 */
import type { Command } from 'commander';
import type { StepOutcome } from '../engine/events.js';
import type { Value } from '../expr/types.js';
import { stringifyJson } from '../report/json.js';
import { formatDuration, withImpact } from '../report/format.js';
import { approvalHow, approvalVerdict, endpointText, operatorText } from '../report/change.js';
import { wouldRunLabel } from '../report/rollup.js';
import { formatResultsText, resultRows, resultsTable, type ResultRows } from '../report/results-table.js';
import { RunbookError } from '../errors.js';
import { journalTimeline } from '../store/resume.js';
import {
  stepsWithDoubt,
  type TimelineApproval,
  type TimelineStep,
  type TimelineWouldRun,
} from '../engine/timeline.js';
import { join } from 'node:path';
import type { StoreRun } from '../store/types.js';
import {
  DEFAULT_STATE_DIR,
  type HostState,
  type RunMeta,
  type RunOutcome,
  type RunSummary,
} from '../store/runs.js';
import { action } from './output.js';

/** Host states `runbook resume` continues (hosts that ended ok or failed are left alone). */
const RESUMABLE: ReadonlySet<HostState> = new Set<HostState>([
  'interrupted',
  'awaiting-approval',
  'unreachable',
  'pending',
]);

interface RunsFlags {
  stateDir: string;
  store?: string;
  json?: boolean;
  host?: string;
}

export function register(program: Command): void {
  program
    .command('runs')
    .description("list recorded runs, or show one run's record")
    .argument('[run-id]', 'the run to show')
    .option('--state-dir <dir>', 'where run records, journals and locks live', DEFAULT_STATE_DIR)
    .option(
      '--store <url>',
      'a shared PostgreSQL store (postgres://USER@HOST:PORT/DB; default $RUNBOOK_STORE)',
    )
    .option('--json', 'print JSON')
    .option('--host <name>', 'show only this host of the run')
    .action(
      action(async (id: string | undefined, flags: RunsFlags) => {
        process.stdout.write(
          await runsCommand({
            id,
            stateDir: flags.stateDir,
            ...(flags.store === undefined ? {} : { store: flags.store }),
            json: flags.json ?? false,
            ...(flags.host ? { host: flags.host } : {}),
          }),
        );
      }),
    );
}

/** The text `runbook runs` prints. Throws RunbookError E_RUN_NOT_FOUND for an unknown id. */
export async function runsCommand(opts: {
  id?: string;
  stateDir: string;
  /** A PostgreSQL URL (`--store`); absent: `$RUNBOOK_STORE`, then the state directory. */
  store?: string;
  json: boolean;
  /** Only this host of the run. */
  host?: string;
}): Promise<string> {
  if (opts.id === undefined && opts.host)
    throw new RunbookError('E_USAGE', '--host needs a run id', { hint: 'runbook runs <run-id> --host NAME' });
  // loaded here, not at start-up: PostgreSQL's client only when a store is opened
  const { openStore, storeFlag } = await import('../store/open.js');
  const store = await openStore(opts);
  try {
    if (opts.id === undefined) {
      const runs = await store.listRuns();
      const where = store.kind === 'directory' ? join(opts.stateDir, 'runs') : store.location;
      return opts.json ? `${stringifyJson(runs)}\n` : formatRunList(runs, where);
    }
    const handle = await store.openRun(opts.id);
    try {
      const all = await buildRunView(handle);
      const host = opts.host;
      if (host && !all.hosts.some((h) => h.host === host)) {
        throw new RunbookError('E_USAGE', `--host ${host}: run ${opts.id} has no such host`, {
          hint: `its hosts: ${all.hosts.map((h) => h.host).join(', ')}`,
        });
      }
      const view = host ? { ...all, hosts: all.hosts.filter((h) => h.host === host) } : all;
      return opts.json ? `${stringifyJson(view)}\n` : formatRunView(view, storeFlag(opts));
    } finally {
      await handle.close();
    }
  } finally {
    await store.close();
  }
}

export interface StepView {
  key: string;
  stepId: string;
  title: string;
  /** `in-doubt`: a disruptive step that started and never ended; `running`: started, not ended. */
  outcome: StepOutcome | 'running' | 'in-doubt';
  disruptive: boolean;
  startedAt: string;
  durationMs?: number;
  commands: string[];
  captures: Record<string, Value>;
  approvals: boolean[];
  item?: Value;
  message?: string;
  /** Number of the session (1 = first run, 2 = first resume...) that recorded the step. */
  session: number;
}

export interface HostView {
  host: string;
  state: HostState;
  message?: string;
  durationMs?: number;
  stoppedAt?: string;
  sessions: number;
  /** Where the host really went (after ssh config), as recorded. */
  endpoint: string;
  steps: StepView[];
  /** Every approval decision: step, command, how (interactive, --yes, resume --yes), in-doubt. */
  approvals: TimelineApproval[];
  /** Dry run: what would run (or may run, `hingesOn`), with the evidence. */
  wouldRun: TimelineWouldRun[];
  /** The host's results table (steps' `result:` rows, as `--json` of exec gives them). */
  results: ResultRows['results'];
  resultColumns: string[];
}

export interface RunView {
  meta: RunMeta;
  outcome: RunOutcome;
  hosts: HostView[];
}

export async function buildRunView(handle: StoreRun): Promise<RunView> {
  const { outcome, hostStates } = await handle.status();
  const journals = new Map<string, Awaited<ReturnType<StoreRun['readJournal']>>>();
  for (const t of handle.meta.targets) journals.set(t.name, await handle.readJournal(t.name));
  const hosts = handle.meta.targets.map((t): HostView => {
    const tl = journalTimeline(t.name, journals.get(t.name) ?? []);
    const view: HostView = {
      host: t.name,
      state: hostStates[t.name] ?? 'pending',
      sessions: tl.sessions,
      endpoint: endpointText(t),
      steps: stepsWithDoubt(tl).map(stepView),
      approvals: tl.approvals.map((a) => ({ ...a })),
      wouldRun: tl.wouldRun.map((w) => ({ ...w })),
      ...resultRows([...tl.results.values()]),
    };
    if (tl.durationMs !== undefined) view.durationMs = tl.durationMs;
    if (tl.phase === 'ended' || tl.message) view.message = tl.message;
    if (tl.stoppedAt !== undefined) view.stoppedAt = tl.stoppedAt;
    return view;
  });
  return { meta: handle.meta, outcome, hosts };
}

function stepView(s: TimelineStep): StepView {
  const v: StepView = {
    key: s.key,
    stepId: s.stepId,
    title: s.title,
    outcome: s.outcome,
    disruptive: s.disruptive,
    startedAt: new Date(s.startedAt).toISOString(),
    commands: [...s.commands],
    captures: s.captures,
    approvals: [...s.approvals],
    session: s.session,
  };
  if (s.durationMs !== undefined) v.durationMs = s.durationMs;
  if (s.item !== undefined) v.item = s.item;
  const msg = s.error?.message ?? s.message;
  if (msg) v.message = msg;
  return v;
}

export function formatRunList(runs: readonly RunSummary[], runsDir: string): string {
  if (runs.length === 0) return `no runs recorded in ${runsDir}\n`;
  // runs started by `runbook watch` add a TRIGGER column (rule and sender)
  const triggered = runs.some((r) => r.trigger);
  const rows = runs.map((r) => [
    r.id,
    formatWhen(r.createdAt),
    r.runbookName,
    r.hosts.length <= 3 ? r.hosts.join(', ') : `${r.hosts.slice(0, 3).join(', ')} +${r.hosts.length - 3}`,
    `${r.outcome}${r.mode === 'dry-run' ? ' (dry run)' : ''}`,
    ...(triggered ? [r.trigger ? `watch: ${r.trigger.rule} from ${r.trigger.sender}` : ''] : []),
  ]);
  return table([['ID', 'WHEN', 'RUNBOOK', 'HOSTS', 'OUTCOME', ...(triggered ? ['TRIGGER'] : [])], ...rows]);
}

/** `storeFlag`: how a printed command names the store (` --state-dir DIR`, ` --store URL`, or ''). */
export function formatRunView(view: RunView, storeFlag: string): string {
  const { meta } = view;
  const out: string[] = [];
  out.push(`Run ${meta.id}${meta.mode === 'dry-run' ? ' (dry run)' : ''}: ${view.outcome}`);
  out.push(`  created  ${formatWhen(meta.createdAt)}`);
  out.push(`  runbook  ${meta.runbookName} (${meta.runbookPath}, sha256 ${meta.contentHash.slice(0, 12)})`);
  if (meta.change) out.push(`  change   ${meta.change}`);
  out.push(`  by       ${operatorText(meta)}`);
  if (meta.trigger) {
    const t = meta.trigger;
    out.push(
      `  trigger  runbook watch: rule ${t.rule}, syslog from ${t.sender} at ${formatWhen(t.receivedAt)} (event ${t.eventId})`,
    );
    out.push(`  message  ${t.message}`);
  }
  const vars = Object.entries(meta.vars);
  if (vars.length > 0)
    out.push(`  vars     ${vars.map(([k, v]) => `${k}=${formatValue(v as Value)}`).join(' ')}`);
  for (const h of view.hosts) {
    out.push('');
    const where = h.stoppedAt && h.state !== 'ok' ? ` at ${h.stoppedAt}` : '';
    const dur = h.durationMs === undefined ? '' : ` (${formatDuration(h.durationMs)})`;
    const resumed = h.sessions > 1 ? `, ${h.sessions} sessions` : '';
    out.push(
      `${h.host}: ${h.state}${where}${dur}${resumed}${h.message ? `: ${h.message.split('\n')[0]}` : ''}`,
    );
    const results = resultsTable(h);
    if (results) out.push('  results:', ...formatResultsText(results, '    ', Infinity));
    if (h.steps.length === 0) out.push('  (no steps recorded)');
    let session = 1;
    const keyWidth = Math.max(...h.steps.map((s) => s.key.length), 0);
    for (const s of h.steps) {
      if (s.session !== session) {
        session = s.session;
        out.push(`  -- resumed (session ${session}) --`);
      }
      const outcome = s.outcome === 'in-doubt' ? 'IN DOUBT (started, never finished)' : s.outcome;
      const dur = s.durationMs === undefined ? '' : `  ${formatDuration(s.durationMs)}`;
      const flags = [
        s.disruptive ? 'disruptive' : '',
        ...s.approvals.map((a) => (a ? 'approved' : 'declined')),
      ].filter(Boolean);
      out.push(
        `  ${s.key.padEnd(keyWidth)}  ${outcome}${dur}${flags.length ? `  [${flags.join(', ')}]` : ''}`.trimEnd(),
      );
      if (s.item !== undefined) out.push(`      item: ${formatValue(s.item)}`);
      for (const c of s.commands) out.push(`      > ${c}`);
      for (const [k, v] of Object.entries(s.captures)) out.push(`      ${k} = ${formatValue(v)}`);
      if (s.message) out.push(`      ${s.message.split('\n').join('\n      ')}`);
    }
    out.push(`  endpoint ${h.endpoint}`);
    for (const a of h.approvals)
      out.push(
        `  approval ${a.key}: ${approvalVerdict(a)} (${approvalHow(a)})${a.inDoubt ? ' [in doubt]' : ''}${a.at ? ` at ${formatWhen(new Date(a.at).toISOString())}` : ''}${a.command ? `: ${a.command}` : ''}`,
      );
    for (const w of h.wouldRun)
      out.push(`  ${wouldRunLabel(w)}: ${withImpact(w.command, w.impact)} (${w.key})`);
  }
  const resumable = view.hosts.some((h) => RESUMABLE.has(h.state));
  if (resumable && view.outcome !== 'running' && meta.mode === 'exec') {
    out.push('');
    out.push(`To continue this run: runbook resume ${meta.id}${storeFlag}`);
  }
  return `${out.join('\n')}\n`;
}

/** A value as compact JSON (ints exact). */
function formatValue(v: Value): string {
  return stringifyJson(v, 0);
}

function formatWhen(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return (
    rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') +
    '\n'
  );
}
