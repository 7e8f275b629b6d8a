/**
 * Action tables: `actions: {order, try: [...], verify: [...], as}` tries actions in order, each a
 * command with its blast radius, runs `verify` after each, and stops at the first that verifies.
 * Compiled at validate time into ordinary steps (a for_each over the actions to try), so plans,
 * approvals, dry-runs, journals, resume and the in-doubt rule see nothing new:
 *
 *   <table>                           the table (a group)
 *   <table>/try                       a for_each over the actions to try (the item: the action id)
 *   <table>/try[n]/attempt            the n-th action tried (its `when`: none before it verified)
 *   <table>/try[n]/attempt/act/<id>   the action's command
 *   <table>/try[n]/attempt/did        the record: the action and its rendered command appended
 *   <table>/try[n]/attempt/verify/..  the verify steps (a failure there tries the next action)
 *   <table>/try[n]/attempt/verify/verified   the record: fixed (never when a dry run withheld it)
 *
 * The actions to try are those of `order` (default: as written) whose `when` holds when the table
 * starts. The record `<as>` is {fixed, by, tried, did}.
 */
import { RunbookError } from '../errors.js';
import type { DeclType } from '../expr/decls.js';
import type { CompiledExpr, Scope, Value } from '../expr/types.js';
import { formatValue, varsScope } from '../expr/values.js';
import { compileDialogs } from './command.js';
import { bindProblem, expr, isRecord, type CompileCtx, type Common } from './ctx.js';
import type { ChooseStep, CommandStep, GroupStep, SetStep, Step } from './model.js';
import type { DocPath } from './source.js';

type Raw = Record<string, unknown>;
type CompileSteps = (ctx: CompileCtx, raw: unknown[], path: DocPath) => Step[];

const str: DeclType = { kind: 'scalar', spec: { type: 'string' } };
/** The declared type of a table's record. */
const RECORD_TYPE: DeclType = {
  kind: 'map',
  fields: {
    fixed: { kind: 'scalar', spec: { type: 'bool' } },
    by: str,
    tried: { kind: 'list', items: str },
    did: { kind: 'list', items: str },
  },
};

interface TableRecord {
  [key: string]: Value;
  fixed: boolean;
  by: string;
  tried: string[];
  did: string[];
}

/** Names a list of compiled steps binds (captures, `set`), inside groups and branches too. */
function boundNames(steps: readonly Step[]): string[] {
  const out: string[] = [];
  const visit = (s: Step): void => {
    if (s.kind === 'command') out.push(...s.captures.map((c) => c.name));
    if (s.kind === 'set') out.push(...s.values.map((v) => v.name));
    if (s.kind === 'group') s.steps.forEach(visit);
    if (s.kind === 'choose') s.branches.forEach((b) => b.steps.forEach(visit));
  };
  steps.forEach(visit);
  return [...new Set(out)];
}

export function compileActions(
  ctx: CompileCtx,
  raw: Raw,
  path: DocPath,
  common: Common,
  compileSteps: CompileSteps,
): GroupStep | undefined {
  const { doc } = ctx;
  const table = raw.actions as Raw;
  const at = [...path, 'actions'];
  const as = typeof table.as === 'string' ? table.as : 'actions';
  let ok = true;
  const problem = bindProblem(as);
  if (problem || ctx.scope.isVar(as)) {
    ok = false;
    ctx.diagnostics.push({
      pos: doc.valuePos(table.as === undefined ? at : [...at, 'as']),
      message: `record of action table '${common.id}': ${problem ?? `'${as}' shadows var '${as}'`}`,
      hint: 'name it differently with `as: <name>`',
    });
  }
  const rawActions = Array.isArray(table.try) ? table.try.filter(isRecord) : [];
  // the table's `dialog` answers for every action without its own
  const dialogs = compileDialogs(ctx, table.dialog, [...at, 'dialog'], common.id);
  if (!dialogs) ok = false;
  const answered = new Set(rawActions.filter((a) => a.dialog !== undefined).map((a) => a.id));
  const ids = rawActions.map((a) => a.id).filter((id): id is string => typeof id === 'string');

  // the record is visible to the actions (as it is when the table starts) and to everything after
  ctx.scope.bind({ name: as, type: RECORD_TYPE });
  const order =
    table.order === undefined ? undefined : expr(ctx, table.order as string, [...at, 'order'], 'list');
  if (order) ok = checkOrder(ctx, order, [...at, 'order'], common.id, ids) && ok;
  else if (table.order !== undefined) ok = false;

  const compiled = compileSteps(ctx, rawActions, [...at, 'try']);
  const actions: { step: CommandStep; when?: CompiledExpr }[] = [];
  for (const s of compiled) {
    if (s.kind !== 'command') continue;
    const { when, ...step } = s;
    if (dialogs && !answered.has(step.id)) step.dialogs = dialogs;
    actions.push({ step, ...(when ? { when } : {}) });
  }
  if (actions.length !== rawActions.length) ok = false;
  const verify = Array.isArray(table.verify) ? compileSteps(ctx, table.verify, [...at, 'verify']) : [];
  if (!ok) return undefined;

  const pos = doc.valuePos(at);
  const loop = `_${as}_action`;
  const own = (scope: Scope): TableRecord => scope[as] as TableRecord;
  const made = (source: string, refs: string[], evaluate: (scope: Scope) => Value): CompiledExpr => ({
    source,
    pos,
    refs,
    evaluate,
  });
  const sub = (local: string, name: string, extra: { description?: string; when?: CompiledExpr } = {}) => ({
    id: `${common.id}/${local}`,
    localId: local,
    name,
    onFailure: { kind: 'abort' as const },
    pos,
    ...extra,
  });
  const written = actions.map((a) => a.step.id);
  const orderSource = order?.source ?? `[${written.map((id) => `'${id}'`).join(', ')}]`;

  // an action's `when` is judged here, but read as a condition of that action only (the `act` branch)
  const items = made(orderSource, [...(order?.refs ?? [])], (scope) => {
    const wanted = order ? order.evaluate(scope) : written;
    const list = Array.isArray(wanted) ? wanted : [];
    for (const id of list) {
      if (typeof id !== 'string' || !written.includes(id))
        throw new RunbookError(
          'E_STEP_FAILED',
          `order \`${orderSource}\` of action table ${common.id} gives ${typeof id === 'string' ? `'${id}'` : formatValue(id)}, which is not one of its actions (${written.join(', ')})`,
          { hint: 'give the ids of the actions under `try:`' },
        );
    }
    return [...new Set(list as string[])].filter((id) => {
      const when = actions.find((a) => a.step.id === id)!.when;
      return when === undefined || when.evaluate(scope) === true;
    });
  });
  const fresh = made('{fixed: false, by: "", tried: [], did: []}', [], () => ({
    fixed: false,
    by: '',
    tried: [],
    did: [],
  }));
  const disruptive = new Set(actions.filter((a) => a.step.disruptive).map((a) => a.step.id));

  const act: ChooseStep = {
    ...sub('act', `the action (${written.join(', ')})`),
    kind: 'choose',
    branches: actions.map((a) => ({
      when: made(
        `${loop} == '${a.step.id}'${a.when ? ` (its when \`${a.when.source}\` held)` : ''}`,
        [loop, ...(a.when?.refs ?? [])],
        (scope) => scope[loop] === a.step.id,
      ),
      steps: [a.step],
      pos: a.step.pos,
    })),
  };
  const did: SetStep = {
    ...sub('did', `${as}: the action tried`),
    kind: 'set',
    values: [
      {
        name: as,
        expr: made(
          `${as} with the action and its command appended`,
          [as, loop, ...actions.flatMap((a) => a.step.run.refs)],
          (scope) => {
            const rec = own(scope);
            const id = scope[loop] as string;
            const step = actions.find((a) => a.step.id === id)!.step;
            let command: string;
            try {
              command = step.run.renderMasked(scope);
            } catch (err) {
              if (!(err instanceof RunbookError)) throw err;
              command = step.run.renderPlaceholders(scope);
            }
            return { ...rec, tried: [...rec.tried, id], did: [...rec.did, command] };
          },
        ),
      },
    ],
  };
  const verified: SetStep = {
    ...sub('verified', `${as}: the action verified`),
    kind: 'set',
    values: [
      {
        name: as,
        expr: made(
          `${as} with fixed: true (not in a dry run that withheld the action)`,
          [as, loop, 'run', ...boundNames(verify)],
          (scope) => {
            const id = scope[loop] as string;
            const dry = (scope.run as { dry_run?: boolean } | undefined)?.dry_run === true;
            const fixed = !(dry && disruptive.has(id));
            return { ...own(scope), fixed, by: fixed ? id : '' };
          },
        ),
      },
    ],
  };
  const verifyGroup: GroupStep = {
    ...sub('verify', 'verify the action'),
    kind: 'group',
    onFailure: { kind: 'continue' },
    steps: [...verify, verified],
  };
  const attempt: GroupStep = {
    ...sub('attempt', 'try the action', {
      description: 'only if no action before it verified',
      when: made(`!${as}.fixed`, [as], (scope) => own(scope)?.fixed !== true),
    }),
    kind: 'group',
    steps: [act, did, verifyGroup],
  };
  const tries: GroupStep = {
    ...sub('try', `try the actions in order until one verifies`),
    kind: 'group',
    steps: [attempt],
    forEach: {
      items,
      as: loop,
      init: [{ name: as, expr: fresh }],
      until: made(`${as}.fixed`, [as], (scope) => own(scope)?.fixed === true),
    },
  };
  return {
    ...common,
    kind: 'group',
    steps: [tries],
    table: {
      as,
      ...(order ? { order: order.source } : {}),
      actions,
      verify,
    },
  };
}

/**
 * An `order` that depends only on vars is evaluated with their defaults: an id that is not an
 * action of the table is a validation error at the id's expression.
 */
function checkOrder(
  ctx: CompileCtx,
  order: CompiledExpr,
  path: DocPath,
  table: string,
  ids: string[],
): boolean {
  const type = (order as { type?: string }).type;
  if (type !== undefined && type !== 'list<string>' && !type.startsWith('list<dyn')) {
    ctx.diagnostics.push({
      pos: ctx.doc.textPos(path),
      message: `order of action table '${table}' is ${type}; it must be a list of action ids (list<string>)`,
      hint: `e.g. order: "['${ids[0] ?? 'first'}']"`,
    });
    return false;
  }
  const statik = order.refs.every((r) => r === 'vars' || ctx.defaults[r] !== undefined);
  if (!statik) return true;
  let value: Value;
  try {
    value = order.evaluate(varsScope(ctx.defaults));
  } catch {
    return true; // judged at run time, with the vars given
  }
  const unknown = (Array.isArray(value) ? value : []).filter(
    (v) => typeof v !== 'string' || !ids.includes(v),
  );
  if (unknown.length === 0) return true;
  ctx.diagnostics.push({
    pos: ctx.doc.textPos(path),
    message: `order of action table '${table}' gives ${unknown.map((u) => (typeof u === 'string' ? `'${u}'` : formatValue(u))).join(', ')}, which ${unknown.length === 1 ? 'is not an action' : 'are not actions'} of the table (actions: ${ids.join(', ')})`,
    hint: 'name actions by the `id` they have under `try:`',
  });
  return false;
}
