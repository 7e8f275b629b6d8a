/**
 * Plan renderers for people: `text` for a terminal, `markdown` to paste into a change ticket.
 * The plan reads like a procedure: each step's name (and the author's description) first, then
 * what it runs; conditions in the author's words where given; CEL and `set` bindings folded away
 * (markdown `<details>`, text: shortened). Numbering a person can say aloud: `3`, `3.2`, `3.2.b`;
 * deeper steps are bullets under their numbered ancestor. Every disruptive command carries
 * `[DISRUPTIVE: approval required]` and its impact, and the plan ends with the list of them.
 * JSON is `JSON.stringify(plan)`.
 */
import type { Plan, PlanApproval, PlanCondition, PlanStep } from '../runbook/plan.js';
import { htmlEscape, mdCode, mdText } from './escape.js';

export type PlanFormat = 'text' | 'markdown' | 'json';
export const PLAN_FORMATS: readonly PlanFormat[] = ['text', 'markdown', 'json'];

export const DISRUPTIVE_MARK = '[DISRUPTIVE: approval required]';

/** Longest CEL shown inline in text (longer ones are shortened; markdown folds them). */
const INLINE_CEL = 60;

export function renderPlan(plan: Plan, format: PlanFormat): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(plan, null, 2)}\n`;
    case 'text':
      return renderText(plan);
    case 'markdown':
      return renderMarkdown(plan);
  }
}

/** `5s`, `1m30s`, `250ms`. */
function duration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 60_000) return `${Math.floor(ms / 60_000)}m${(ms % 60_000) / 1000}s`;
  return `${ms / 1000}s`;
}

/** Step numbers: `3`, `3.2`, `3.2.b`; deeper levels get none (undefined). */
function numberAt(prefix: string | undefined, depth: number, index: number): string | undefined {
  if (depth === 0) return String(index + 1);
  if (depth === 1) return `${prefix}.${index + 1}`;
  if (depth === 2) return `${prefix}.${letters(index)}`;
  return undefined;
}

function letters(i: number): string {
  let s = '';
  let n = i + 1;
  while (n > 0) {
    s = String.fromCharCode(97 + ((n - 1) % 26)) + s;
    n = Math.floor((n - 1) / 26);
  }
  return s;
}

/** How a renderer writes code, text and folded expressions. */
interface Style {
  code: (s: string) => string;
  text: (s: string) => string;
  /** A CEL expression inline: whole when short; else shortened (text) or a pointer to the fold (markdown). */
  cel: (s: string) => string;
}

function retryText(r: NonNullable<Extract<PlanStep, { kind: 'command' }>['retry']>, st: Style): string {
  const every = r.delayMs ? ` every ${duration(r.delayMs)}` : '';
  return r.until
    ? `poll up to ${r.times} times${every} until ${st.cel(r.until)}`
    : `retry up to ${r.times} times${every} while it fails`;
}

/** The step's title: its name, with the id beside it when they differ. */
function title(s: PlanStep, st: Style): string {
  return s.name !== s.id ? `${st.text(s.name)} (${st.code(s.id)})` : st.code(s.id);
}

/** What a step does, in one line. */
function action(s: PlanStep, st: Style): string {
  switch (s.kind) {
    case 'command':
      return `run ${st.code(s.command)}`;
    case 'group':
      if (s.actions)
        return `try ${s.actions.order ? `in the order of ${st.cel(s.actions.order)}` : 'in order'}, until one verifies: ${s.steps.map((a) => st.code(a.id)).join(', ')}`;
      return s.forEach ? `for each ${st.code(s.forEach.as)} in ${st.cel(s.forEach.items)}` : 'group';
    case 'choose':
      return 'choose the first branch that holds';
    case 'end':
      return `END ${s.status === 'ok' ? 'OK' : 'FAILED'}: ${st.text(s.message)}`;
    case 'assert':
      return `check ${st.cel(s.that)}`;
    case 'set':
      return s.values.length === 0 && s.result
        ? `record ${s.result.map((c) => st.code(c.name)).join(', ')}`
        : `set ${s.values.map((v) => st.code(v.name)).join(', ')}`;
  }
}

/** Detail lines of a step (without indentation). */
function details(s: PlanStep, st: Style): string[] {
  const out: string[] = [];
  if (s.description) out.push(st.text(s.description));
  if (s.when) out.push(`only when ${st.cel(s.when)}`);
  if (s.kind === 'command') {
    if (s.disruptive) out.push(`impact: ${st.text(s.impact ?? '')}`);
    for (const d of s.dialogs)
      out.push(`answers ${st.code(d.prompt)} with ${d.answer === '' ? '<Enter>' : st.code(d.answer)}`);
    if (s.expectDisconnect) out.push('may drop the session: reconnects and carries on');
    if (s.captures.length) out.push(`captures ${s.captures.join(', ')}`);
    if (s.expect) out.push(`expects ${st.cel(s.expect)}`);
    if (s.retry) out.push(retryText(s.retry, st));
    if (s.timeoutMs !== undefined) out.push(`timeout ${duration(s.timeoutMs)}`);
  }
  if (s.kind === 'assert' && s.message) out.push(`else fail: ${st.text(s.message)}`);
  if (s.result && !(s.kind === 'set' && s.values.length === 0))
    out.push(`records ${s.result.map((c) => st.code(c.name)).join(', ')}`);
  if (s.onFailure === 'continue') out.push('on failure: continue');
  return out;
}

/** The CEL of a step that the markdown folds (long conditions, set bindings). */
function folded(s: PlanStep): string[] {
  const out: string[] = [];
  if (s.when && s.when.length > INLINE_CEL) out.push(`when: ${s.when}`);
  if (s.kind === 'group' && s.actions?.order && s.actions.order.length > INLINE_CEL)
    out.push(`order: ${s.actions.order}`);
  if (s.kind === 'set') for (const v of s.values) out.push(`${v.name} = ${v.expr}`);
  for (const c of s.result ?? []) out.push(`result ${c.name} = ${c.expr}`);
  if (s.kind === 'assert' && s.that.length > INLINE_CEL) out.push(`check: ${s.that}`);
  if (s.kind === 'command' && s.retry?.until && s.retry.until.length > INLINE_CEL)
    out.push(`until: ${s.retry.until}`);
  if (s.kind === 'command' && s.expect && s.expect.length > INLINE_CEL) out.push(`expect: ${s.expect}`);
  return out;
}

function children(s: PlanStep): PlanStep[] {
  if (s.kind === 'group') return [...s.steps, ...(s.actions?.verify ?? [])];
  return s.kind === 'choose' ? s.branches.flatMap((b) => b.steps) : [];
}

function countSteps(steps: PlanStep[]): number {
  return steps.reduce(
    (n, s) =>
      n + 1 + countSteps(children(s)) + (typeof s.onFailure === 'object' ? countSteps(s.onFailure.steps) : 0),
    0,
  );
}

/**
 * Where a step sits, for the approval list: its number, or its nearest numbered ancestor and the
 * names below it (`3.5.c › attempt › act`).
 */
function locations(plan: Plan): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (steps: PlanStep[], depth: number, prefix: string | undefined, trail: string[], start = 0) =>
    steps.forEach((s, i) => {
      const num = numberAt(prefix, depth, start + i);
      const here = num ?? [...trail, s.id].join(' › ');
      out.set(s.key, here);
      const nextTrail = num ? [num] : [...trail, s.id];
      const nextPrefix = num ?? prefix;
      if (s.kind === 'group') walk(children(s), depth + 1, nextPrefix, nextTrail);
      if (s.kind === 'choose') {
        let m = 0;
        for (const b of s.branches) {
          walk(b.steps, depth + 1, nextPrefix, nextTrail, m);
          m += b.steps.length;
        }
      }
      if (typeof s.onFailure === 'object')
        walk(s.onFailure.steps, 3, nextPrefix, [...nextTrail, 'on failure']);
    });
  walk(plan.steps, 0, undefined, []);
  return out;
}

/** The conditions on the way to an approval, in words where the author gave them. */
function conditionWords(a: PlanApproval, st: Style): string[] {
  return a.when.map((c: PlanCondition) => (c.words ? st.text(c.words) : st.cel(c.source)));
}

function hostLine(h: NonNullable<Plan['hosts']>[number]): string {
  const user = h.user ? `${h.user}@` : '';
  return `${h.name}  ${user}${h.address}:${h.port}  ${h.platform}`;
}

function renderText(plan: Plan): string {
  const out: string[] = [];
  const st: Style = {
    code: (s) => s,
    text: (s) => s.replace(/\s*\n\s*/g, ' '),
    cel: (s) => (s.length > INLINE_CEL ? `${s.slice(0, INLINE_CEL - 1)}…` : s),
  };
  out.push(`Plan: ${plan.runbook}`);
  if (plan.description) out.push(`  ${plan.description}`);
  out.push(`  platform: ${plan.platform}`);
  out.push(`  file: ${plan.file} (sha256 ${plan.contentHash.slice(0, 12)})`);
  out.push('');
  if (plan.hosts) {
    out.push(`Hosts (${plan.hosts.length}):`);
    for (const h of plan.hosts) out.push(`  ${hostLine(h)}`);
    out.push('');
  }
  if (plan.vars.length) {
    out.push('Variables:');
    const w = Math.max(...plan.vars.map((v) => v.name.length));
    for (const v of plan.vars) {
      const value =
        v.value === undefined
          ? v.required
            ? '(required, not set)'
            : '(not set)'
          : `= ${showValue(v.value)}`;
      const desc = v.description ? `  ${v.description}` : '';
      out.push(`  ${v.name.padEnd(w)}  ${v.type}${v.secret ? ', secret' : ''}  ${value}${desc}`);
    }
    out.push('');
  }
  out.push(`Steps (${countSteps(plan.steps)}):`);
  const walk = (
    steps: PlanStep[],
    indent: string,
    depth: number,
    prefix: string | undefined,
    start = 0,
  ): void => {
    steps.forEach((s, i) => {
      const num = numberAt(prefix, depth, start + i);
      const bullet = num ? `${num}.` : '-';
      const mark = s.kind === 'command' && s.disruptive ? `  ${DISRUPTIVE_MARK}` : '';
      out.push(`${indent}${bullet} ${title(s, st)}: ${action(s, st)}${mark}`);
      const pad = `${indent}${' '.repeat(bullet.length + 1)}`;
      for (const d of details(s, st)) out.push(`${pad}${d}`);
      const nextPrefix = num ?? prefix;
      if (s.kind === 'group') walk(s.steps, pad, depth + 1, nextPrefix);
      if (s.kind === 'group' && s.actions) {
        out.push(`${pad}verify after each action (it verifies when these pass; record \`${s.actions.as}\`):`);
        walk(s.actions.verify, `${pad}  `, depth + 1, nextPrefix, s.steps.length);
      }
      if (s.kind === 'choose') {
        let m = 0;
        for (const b of s.branches) {
          out.push(`${pad}${b.when ? `when ${st.cel(b.when)}:` : 'otherwise:'}`);
          walk(b.steps, `${pad}  `, depth + 1, nextPrefix, m);
          m += b.steps.length;
        }
      }
      if (typeof s.onFailure === 'object') {
        out.push(`${pad}on failure, run:`);
        walk(s.onFailure.steps, `${pad}  `, 3, nextPrefix);
      }
    });
  };
  walk(plan.steps, '  ', 0, undefined);
  out.push('');
  const where = locations(plan);
  if (plan.approvals.length === 0) {
    out.push('Disruptive commands: none (every command is read-only; no approval needed)');
  } else {
    const n = plan.approvals.length;
    out.push(
      `Disruptive commands (${n}): each needs approval (--yes or an interactive answer); dry-run never sends them`,
    );
    for (const [i, a] of plan.approvals.entries()) {
      out.push(`  ${i + 1}. ${a.command}`);
      out.push(
        `     step: ${a.name !== a.stepId ? `${a.name} (${a.stepId})` : a.stepId}, at ${where.get(a.key)}`,
      );
      out.push(`     impact: ${a.impact || '(not stated)'}`);
      if (a.when.length) out.push(`     when: ${conditionWords(a, st).join('  AND  ')}`);
    }
  }
  return `${out.join('\n')}\n`;
}

function renderMarkdown(plan: Plan): string {
  const out: string[] = [];
  const st: Style = {
    code: (s) => mdCode(s),
    text: (s) => mdText(s),
    cel: (s) => (s.length > INLINE_CEL ? '_a condition (expression below)_' : mdCode(s)),
  };
  out.push(`# Plan: ${mdText(plan.runbook)}`, '');
  if (plan.description) out.push(mdText(plan.description), '');
  out.push('| | |', '|---|---|');
  out.push(`| Platform | ${mdCode(plan.platform, true)} |`);
  out.push(`| Runbook file | ${mdCode(plan.file, true)} |`);
  out.push(`| SHA-256 | ${mdCode(plan.contentHash, true)} |`);
  if (plan.hosts) out.push(`| Hosts | ${plan.hosts.length} |`);
  out.push(`| Disruptive commands | ${plan.approvals.length} (each needs approval) |`, '');
  if (plan.hosts) {
    out.push(
      `## Hosts (${plan.hosts.length})`,
      '',
      '| Host | Address | Platform | User |',
      '|---|---|---|---|',
    );
    for (const h of plan.hosts)
      out.push(
        `| ${mdText(h.name, true)} | ${mdCode(`${h.address}:${h.port}`, true)} | ${h.platform} | ${mdText(h.user ?? '', true)} |`,
      );
    out.push('');
  }
  if (plan.vars.length) {
    out.push('## Variables', '', '| Name | Type | Value | Description |', '|---|---|---|---|');
    for (const v of plan.vars) {
      const value =
        v.value === undefined
          ? v.required
            ? '_required, not set_'
            : '_not set_'
          : mdCode(showValue(v.value), true);
      out.push(
        `| ${mdCode(v.name, true)} | ${v.type}${v.secret ? ' (secret)' : ''} | ${value} | ${mdText(v.description ?? '', true)} |`,
      );
    }
    out.push('');
  }
  out.push('## Steps', '');
  const walk = (
    steps: PlanStep[],
    indent: string,
    depth: number,
    prefix: string | undefined,
    start = 0,
  ): void => {
    steps.forEach((s, i) => {
      const num = numberAt(prefix, depth, start + i);
      const mark = s.kind === 'command' && s.disruptive ? ` — **${DISRUPTIVE_MARK}**` : '';
      out.push(`${indent}- ${num ? `**${num}** ` : ''}${title(s, st)}: ${action(s, st)}${mark}`);
      const sub = `${indent}  `;
      for (const d of details(s, st)) out.push(`${sub}- ${d}`);
      const cel = folded(s);
      if (cel.length) out.push(...fold(sub, s.kind === 'set' ? 'bindings' : 'expression', cel));
      const nextPrefix = num ?? prefix;
      if (s.kind === 'group') walk(s.steps, sub, depth + 1, nextPrefix);
      if (s.kind === 'group' && s.actions) {
        out.push(
          `${sub}- _verify after each action (it verifies when these pass; record ${mdCode(s.actions.as)}):_`,
        );
        walk(s.actions.verify, `${sub}  `, depth + 1, nextPrefix, s.steps.length);
      }
      if (s.kind === 'choose') {
        let m = 0;
        for (const b of s.branches) {
          out.push(`${sub}- ${b.when ? `when ${st.cel(b.when)}:` : '_otherwise:_'}`);
          if (b.when && b.when.length > INLINE_CEL) out.push(...fold(`${sub}  `, 'expression', [b.when]));
          walk(b.steps, `${sub}  `, depth + 1, nextPrefix, m);
          m += b.steps.length;
        }
      }
      if (typeof s.onFailure === 'object') {
        out.push(`${sub}- on failure, run:`);
        walk(s.onFailure.steps, `${sub}  `, 3, nextPrefix);
      }
    });
  };
  walk(plan.steps, '', 0, undefined);
  out.push('', '## Approval points', '');
  const where = locations(plan);
  if (plan.approvals.length === 0) {
    out.push('None: every command is read-only.');
  } else {
    out.push(
      'Each command below needs approval before it is sent (`--yes` or an interactive answer); `--dry-run` never sends them.',
      '',
    );
    out.push('| # | Step | Command | Impact | When |', '|---|---|---|---|---|');
    for (const [i, a] of plan.approvals.entries()) {
      const words = a.when.map((c) => (c.words ? mdText(c.words, true) : celCell(c.source)));
      const when = words.length ? words.join(' and ') : 'always';
      const step =
        a.name !== a.stepId ? `${mdText(a.name, true)} (${mdCode(a.stepId, true)})` : mdCode(a.stepId, true);
      out.push(
        `| ${i + 1} | ${step}, at ${mdText(where.get(a.key) ?? a.key, true)} | ${mdCode(a.command, true)} | ${mdText(a.impact || '(not stated)', true)} | ${when} |`,
      );
    }
  }
  return `${out.join('\n')}\n`;
}

/** A `<details>` block at list-item depth `indent` (blank lines keep markdown inside it working). */
function fold(indent: string, label: string, lines: string[]): string[] {
  const fence = '`'.repeat(Math.max(3, ...lines.map((l) => longestRun(l) + 1)));
  return [
    '',
    `${indent}<details><summary>${label}</summary>`,
    '',
    `${indent}${fence}`,
    ...lines.map((l) => `${indent}${l.replace(/\s*\n\s*/g, ' ')}`),
    `${indent}${fence}`,
    '',
    `${indent}</details>`,
    '',
  ];
}

/** A CEL condition in a table cell: inline when short, else folded in HTML (escaped). */
function celCell(source: string): string {
  if (source.length <= INLINE_CEL) return mdCode(source, true);
  return `<details><summary>condition</summary><code>${htmlEscape(source).replace(/\|/g, '&#124;')}</code></details>`;
}

function longestRun(s: string): number {
  return Math.max(0, ...[...s.matchAll(/`+/g)].map((m) => m[0].length));
}

function showValue(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(showValue).join(', ')}]`;
  if (v !== null && typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
