/**
 * Plan renderers for people: `text` for a terminal, `markdown` to paste into a change ticket.
 * Both show the tree with numbering (3.1, 3.2), conditions, rendered commands (placeholders `<expr>`
 * for values from the device), `[DISRUPTIVE: approval required]` marks with their impact, and end
 * with the list of every disruptive command the runbook may send. JSON is `JSON.stringify(plan)`.
 */
import type { Plan, PlanStep } from '../runbook/plan.js';

export type PlanFormat = 'text' | 'markdown' | 'json';
export const PLAN_FORMATS: readonly PlanFormat[] = ['text', 'markdown', 'json'];

export const DISRUPTIVE_MARK = '[DISRUPTIVE: approval required]';

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

function retryText(
  r: NonNullable<Extract<PlanStep, { kind: 'command' }>['retry']>,
  code: (s: string) => string,
): string {
  const every = r.delayMs ? ` every ${duration(r.delayMs)}` : '';
  return r.until
    ? `poll up to ${r.times} times${every} until ${code(r.until)}`
    : `retry up to ${r.times} times${every} while it fails`;
}

/** What a step does, in one line (without numbering). `code` formats commands and expressions. */
function headline(s: PlanStep, code: (s: string) => string, text: (s: string) => string): string {
  switch (s.kind) {
    case 'command':
      return `run ${code(s.command)}`;
    case 'group':
      return s.forEach ? `for each ${code(s.forEach.as)} in ${code(s.forEach.items)}` : 'group';
    case 'choose':
      return 'choose the first branch that holds';
    case 'end':
      return `END ${s.status === 'ok' ? 'OK' : 'FAILED'}: ${text(s.message)}`;
    case 'assert':
      return `assert ${code(s.that)}`;
    case 'set':
      return `set ${s.values.map((v) => `${v.name} = ${code(v.expr)}`).join(', ')}`;
  }
}

/** Detail lines of a step (without indentation). */
function details(s: PlanStep, code: (s: string) => string, text: (s: string) => string): string[] {
  const out: string[] = [];
  if (s.when) out.push(`only when ${code(s.when)}`);
  if (s.kind === 'command') {
    if (s.disruptive) out.push(`impact: ${text(s.impact ?? '')}`);
    for (const d of s.dialogs)
      out.push(`answers ${code(d.prompt)} with ${d.answer === '' ? '<Enter>' : code(d.answer)}`);
    if (s.expectDisconnect) out.push('may drop the session: reconnects and carries on');
    if (s.captures.length) out.push(`capture: ${s.captures.join(', ')}`);
    if (s.expect) out.push(`expect: ${code(s.expect)}`);
    if (s.retry) out.push(retryText(s.retry, code));
    if (s.timeoutMs !== undefined) out.push(`timeout ${duration(s.timeoutMs)}`);
  }
  if (s.kind === 'assert' && s.message) out.push(`else fail: ${text(s.message)}`);
  if (s.onFailure === 'continue') out.push('on failure: continue');
  return out;
}

function children(s: PlanStep): PlanStep[] {
  return s.kind === 'group' ? s.steps : s.kind === 'choose' ? s.branches.flatMap((b) => b.steps) : [];
}

function countSteps(steps: PlanStep[]): number {
  return steps.reduce(
    (n, s) =>
      n + 1 + countSteps(children(s)) + (typeof s.onFailure === 'object' ? countSteps(s.onFailure.steps) : 0),
    0,
  );
}

function renderText(plan: Plan): string {
  const out: string[] = [];
  const code = (s: string) => s;
  const text = (s: string) => s;
  out.push(`Plan: ${plan.runbook}`);
  if (plan.description) out.push(`  ${plan.description}`);
  out.push(`  platform: ${plan.platform}`);
  out.push(`  file: ${plan.file} (sha256 ${plan.contentHash.slice(0, 12)})`);
  out.push('');
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
  const walk = (steps: PlanStep[], indent: string, prefix: string, start = 0): void => {
    steps.forEach((s, i) => {
      const num = `${prefix}${start + i + 1}`;
      const mark = s.kind === 'command' && s.disruptive ? `  ${DISRUPTIVE_MARK}` : '';
      const name = s.name !== s.id ? ` (${s.name})` : '';
      out.push(`${indent}${num}. ${s.id}${name}: ${headline(s, code, text)}${mark}`);
      const pad = `${indent}${' '.repeat(num.length + 2)}`;
      for (const d of details(s, code, text)) out.push(`${pad}${d}`);
      if (s.kind === 'group') walk(s.steps, pad, `${num}.`);
      if (s.kind === 'choose') {
        let m = 0;
        for (const b of s.branches) {
          out.push(`${pad}${b.when ? `when ${b.when}:` : 'otherwise:'}`);
          walk(b.steps, `${pad}  `, `${num}.`, m);
          m += b.steps.length;
        }
      }
      if (typeof s.onFailure === 'object') {
        out.push(`${pad}on failure, run:`);
        walk(s.onFailure.steps, `${pad}  `, `${num}.f`);
      }
    });
  };
  walk(plan.steps, '  ', '');
  out.push('');
  if (plan.approvals.length === 0) {
    out.push('Disruptive commands: none (every command is read-only; no approval needed)');
  } else {
    const n = plan.approvals.length;
    out.push(
      `Disruptive commands (${n}): each needs approval (--yes or an interactive y/N); dry-run never sends them`,
    );
    for (const [i, a] of plan.approvals.entries()) {
      out.push(`  ${i + 1}. ${a.command}`);
      out.push(`     step: ${a.key}`);
      out.push(`     impact: ${a.impact || '(not stated)'}`);
      if (a.conditions.length) out.push(`     when: ${a.conditions.join('  AND  ')}`);
    }
  }
  return `${out.join('\n')}\n`;
}

function renderMarkdown(plan: Plan): string {
  const out: string[] = [];
  const code = (s: string) => mdCode(s);
  const text = (s: string) => mdText(s);
  out.push(`# Plan: ${mdText(plan.runbook)}`, '');
  if (plan.description) out.push(mdText(plan.description), '');
  out.push('| | |', '|---|---|');
  out.push(`| Platform | ${mdCode(plan.platform, true)} |`);
  out.push(`| Runbook file | ${mdCode(plan.file, true)} |`);
  out.push(`| SHA-256 | ${mdCode(plan.contentHash, true)} |`);
  out.push(`| Disruptive commands | ${plan.approvals.length} (each needs approval) |`, '');
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
  const walk = (steps: PlanStep[], indent: string, prefix: string, start = 0): void => {
    steps.forEach((s, i) => {
      const num = `${prefix}${start + i + 1}`;
      const mark = s.kind === 'command' && s.disruptive ? ` — **${DISRUPTIVE_MARK}**` : '';
      const name = s.name !== s.id ? ` (${mdText(s.name)})` : '';
      out.push(`${indent}- **${num}** ${mdCode(s.id)}${name}: ${headline(s, code, text)}${mark}`);
      const sub = `${indent}  `;
      for (const d of details(s, code, text)) out.push(`${sub}- ${d}`);
      if (s.kind === 'group') walk(s.steps, sub, `${num}.`);
      if (s.kind === 'choose') {
        let m = 0;
        for (const b of s.branches) {
          out.push(`${sub}- ${b.when ? `when ${mdCode(b.when)}:` : '_otherwise:_'}`);
          walk(b.steps, `${sub}  `, `${num}.`, m);
          m += b.steps.length;
        }
      }
      if (typeof s.onFailure === 'object') {
        out.push(`${sub}- on failure, run:`);
        walk(s.onFailure.steps, `${sub}  `, `${num}.f`);
      }
    });
  };
  walk(plan.steps, '', '');
  out.push('', '## Approval points', '');
  if (plan.approvals.length === 0) {
    out.push('None: every command is read-only.');
  } else {
    out.push(
      'Each command below needs approval before it is sent (`--yes` or an interactive y/N); `--dry-run` never sends them.',
      '',
    );
    out.push('| # | Step | Command | Impact | When |', '|---|---|---|---|---|');
    for (const [i, a] of plan.approvals.entries()) {
      const when = a.conditions.length ? a.conditions.map((c) => mdCode(c, true)).join(' and ') : 'always';
      out.push(
        `| ${i + 1} | ${mdCode(a.key, true)} | ${mdCode(a.command, true)} | ${mdText(a.impact || '(not stated)', true)} | ${when} |`,
      );
    }
  }
  return `${out.join('\n')}\n`;
}

function showValue(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(showValue).join(', ')}]`;
  if (v !== null && typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** Inline code that survives backticks, and `|` inside a table cell. */
function mdCode(s: string, inTable = false): string {
  const body = inTable ? s.replace(/\|/g, '\\|') : s;
  const longest = Math.max(0, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return longest ? `${fence} ${body} ${fence}` : `${fence}${body}${fence}`;
}

/** Plain text with markdown punctuation escaped (placeholders like `<peer>` stay visible). */
function mdText(s: string, inTable = false): string {
  const escaped = s.replace(/[\\`*_[\]<>#]/g, '\\$&');
  return inTable ? escaped.replace(/\|/g, '\\|') : escaped;
}
