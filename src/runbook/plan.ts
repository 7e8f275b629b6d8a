/**
 * The offline plan: the whole decision tree of a runbook as plain JSON-safe data, for `runbook plan`
 * and change tickets. Commands are rendered with the given vars; values that come from the device
 * (captures, loop variables, `set` results, the host) and secret vars stay `<expr>` placeholders.
 * No I/O.
 */
import { MASK } from '../redact.js';
import type { Value } from '../expr/types.js';
import { toJson, varsScope } from '../expr/values.js';
import type { EndStatus, Matcher, OnFailure, Runbook, Step, StepKind, VarType } from './model.js';

interface PlanBase {
  kind: StepKind;
  id: string;
  name: string;
  /** Plan key: like the executor's, with `[*]` for every for_each iteration. */
  key: string;
  /** The author's words for the step (its `description`). */
  description?: string;
  when?: string;
  /** `result:` columns: a row recorded when the step has run (a for_each group: per iteration). */
  result?: { name: string; expr: string }[];
  onFailure: 'abort' | 'continue' | { steps: PlanStep[] };
}

export interface PlanCommand extends PlanBase {
  kind: 'command';
  command: string;
  /** Needs approval in exec mode; reported as would-run by dry-run, never sent by it. */
  disruptive: boolean;
  impact?: string;
  expect?: string;
  captures: string[];
  retry?: { times: number; delayMs: number; until?: string };
  dialogs: { prompt: string; answer: string }[];
  expectDisconnect: boolean;
  timeoutMs?: number;
}

export interface PlanGroup extends PlanBase {
  kind: 'group';
  forEach?: { items: string; as: string };
  /**
   * An action table: `steps` are its actions as written (each with its `when`), tried in `order`
   * (CEL; absent: as written) until one verifies; `verify` runs after each; `as` names its record.
   */
  actions?: { as: string; order?: string; verify: PlanStep[] };
  steps: PlanStep[];
}

export interface PlanChoose extends PlanBase {
  kind: 'choose';
  /** In order; the first whose `when` holds runs; a branch without `when` is the otherwise branch. */
  branches: { when?: string; steps: PlanStep[] }[];
}

export interface PlanEnd extends PlanBase {
  kind: 'end';
  status: EndStatus;
  message: string;
}

export interface PlanAssert extends PlanBase {
  kind: 'assert';
  that: string;
  message?: string;
}

export interface PlanSet extends PlanBase {
  kind: 'set';
  values: { name: string; expr: string }[];
}

export type PlanStep = PlanCommand | PlanGroup | PlanChoose | PlanEnd | PlanAssert | PlanSet;

export interface PlanVar {
  name: string;
  type: VarType;
  required: boolean;
  secret: boolean;
  description?: string;
  /** JSON-safe value (secrets masked); absent when the var has no value. */
  value?: unknown;
}

/** A condition on the way to a step: its CEL (or loop) source and, where the author gave them, words. */
export interface PlanCondition {
  source: string;
  /** The `description` (else the `name`) of the step that carries the condition, when it has one. */
  words?: string;
}

/** A disruptive command the runbook may send, with the conditions on the way to it. */
export interface PlanApproval {
  key: string;
  stepId: string;
  /** The step's name (its id when it has none). */
  name: string;
  command: string;
  impact: string;
  /** CEL sources of the conditions on the way (for_each and otherwise branches in words). */
  conditions: string[];
  /** The same conditions with the author's words where given. */
  when: PlanCondition[];
}

/** A host the plan is for (from `--host` or an inventory with `--limit`); nothing is connected. */
export interface PlanHost {
  name: string;
  address: string;
  port: number;
  platform: string;
  user?: string;
  groups?: string[];
}

export interface Plan {
  runbook: string;
  description: string;
  platform: string;
  file: string;
  contentHash: string;
  vars: PlanVar[];
  steps: PlanStep[];
  /** Every disruptive command, in document order: the approval points. */
  approvals: PlanApproval[];
  /** The hosts of the change, when targets were given (`-i/--limit`, `--host`). */
  hosts?: PlanHost[];
}

export interface PlanOptions {
  /** The hosts the change is for; listed in the plan. */
  hosts?: PlanHost[];
}

export function buildPlan(runbook: Runbook, vars: Record<string, Value>, opts: PlanOptions = {}): Plan {
  const secret = new Set(runbook.vars.filter((v) => v.secret).map((v) => v.name));
  const known = varsScope(Object.fromEntries(Object.entries(vars).filter(([k]) => !secret.has(k))));
  const approvals: PlanApproval[] = [];

  const list = (steps: readonly Step[], prefix: string, conditions: PlanCondition[]): PlanStep[] =>
    steps.map((s) => one(s, prefix + s.id, conditions));

  const one = (s: Step, key: string, conditions: PlanCondition[]): PlanStep => {
    const words = s.description ?? (s.name !== s.id ? s.name : undefined);
    const inner = s.when
      ? [...conditions, { source: s.when.source, ...(words ? { words } : {}) }]
      : conditions;
    const base = {
      id: s.id,
      name: s.name,
      key,
      ...(s.description ? { description: s.description } : {}),
      ...(s.when ? { when: s.when.source } : {}),
      ...(s.result ? { result: s.result.map((c) => ({ name: c.name, expr: c.expr.source })) } : {}),
      onFailure: onFailure(s.onFailure, key, inner),
    };
    switch (s.kind) {
      case 'command': {
        const command = s.run.renderPlaceholders(known);
        const impact = s.impact?.renderPlaceholders(known) ?? '';
        if (s.disruptive)
          approvals.push({
            key,
            stepId: s.id,
            name: s.name,
            command,
            impact,
            conditions: inner.map((c) => c.source),
            when: inner,
          });
        const step: PlanCommand = {
          kind: 'command',
          ...base,
          command,
          disruptive: s.disruptive,
          captures: s.captures.map((c) => c.name),
          dialogs: s.dialogs.map((d) => ({ prompt: d.prompt, answer: d.answer })),
          expectDisconnect: s.expectDisconnect,
        };
        if (s.disruptive) step.impact = impact;
        if (s.expect) step.expect = describeMatcher(s.expect);
        if (s.retry)
          step.retry = {
            times: s.retry.times,
            delayMs: s.retry.delayMs,
            ...(s.retry.until ? { until: s.retry.until.source } : {}),
          };
        if (s.timeoutMs !== undefined) step.timeoutMs = s.timeoutMs;
        return step;
      }
      case 'group': {
        if (s.table) {
          const t = s.table;
          const tried = `${key}/try[*]/attempt`;
          const each = [
            ...inner,
            { source: `!${t.as}.fixed`, words: 'only if no action before it verified' },
          ];
          // an action's `when` is judged when the table starts: shown as the action's own
          const actions = t.actions.map((a) =>
            one({ ...a.step, ...(a.when ? { when: a.when } : {}) }, `${tried}/act/${a.step.id}`, each),
          );
          return {
            kind: 'group',
            ...base,
            actions: {
              as: t.as,
              ...(t.order ? { order: t.order } : {}),
              verify: list(t.verify, `${tried}/verify/`, each),
            },
            steps: actions,
          };
        }
        if (!s.forEach) return { kind: 'group', ...base, steps: list(s.steps, `${key}/`, inner) };
        const each = `for each ${s.forEach.as} in ${s.forEach.items.source}`;
        return {
          kind: 'group',
          ...base,
          forEach: { items: s.forEach.items.source, as: s.forEach.as },
          steps: list(s.steps, `${key}[*]/`, [...inner, { source: each, words: each }]),
        };
      }
      case 'choose': {
        const passed: string[] = [];
        return {
          kind: 'choose',
          ...base,
          branches: s.branches.map((b) => {
            const cond = b.when
              ? b.when.source
              : `otherwise${passed.length ? ` (none of: ${passed.join('; ')})` : ''}`;
            if (b.when) passed.push(b.when.source);
            return {
              ...(b.when ? { when: b.when.source } : {}),
              steps: list(b.steps, `${key}/`, [...inner, { source: cond }]),
            };
          }),
        };
      }
      case 'end':
        return { kind: 'end', ...base, status: s.status, message: s.message.renderPlaceholders(known) };
      case 'assert':
        return {
          kind: 'assert',
          ...base,
          that: s.that.source,
          ...(s.message ? { message: s.message.renderPlaceholders(known) } : {}),
        };
      case 'set':
        return { kind: 'set', ...base, values: s.values.map((v) => ({ name: v.name, expr: v.expr.source })) };
    }
  };

  const onFailure = (f: OnFailure, key: string, conditions: PlanCondition[]): PlanBase['onFailure'] =>
    f.kind === 'steps'
      ? {
          steps: list(f.steps, `${key}/`, [
            ...conditions,
            { source: `${key} failed`, words: `${key} failed` },
          ]),
        }
      : f.kind;

  const steps = list(runbook.steps, '', []);
  return {
    runbook: runbook.name,
    description: runbook.description,
    platform: runbook.platform,
    file: runbook.file,
    contentHash: runbook.contentHash,
    vars: runbook.vars.map((d) => {
      const v: PlanVar = { name: d.name, type: d.type, required: d.required, secret: d.secret };
      if (d.description !== undefined) v.description = d.description;
      const value = vars[d.name];
      if (value !== undefined && value !== null) v.value = d.secret ? MASK : toJson(value);
      return v;
    }),
    steps,
    approvals,
    ...(opts.hosts ? { hosts: opts.hosts } : {}),
  };
}

/** A matcher in one line: `contains "x"`, `regex /y/i`, `all of (...)`. */
export function describeMatcher(m: Matcher): string {
  switch (m.kind) {
    case 'contains':
      return `contains ${JSON.stringify(m.text)}`;
    case 'not_contains':
      return `does not contain ${JSON.stringify(m.text)}`;
    case 'regex':
      return `matches /${m.regex}/${m.flags}`;
    case 'expression':
      return m.expr.source;
    case 'all':
      return m.of.length === 1
        ? describeMatcher(m.of[0]!)
        : `all of (${m.of.map(describeMatcher).join('; ')})`;
    case 'any':
      return m.of.length === 1
        ? describeMatcher(m.of[0]!)
        : `any of (${m.of.map(describeMatcher).join('; ')})`;
  }
}
