/**
 * Compile steps: structure checks, expressions and templates against the names in scope (document
 * order), platform read-only checks, and defaults (name = id, on_failure abort, ...) filled once.
 */
import type { CompiledCel } from '../expr/decls.js';
import type { CompiledExpr } from '../expr/types.js';
import { compileCommand } from './command.js';
import {
  bindProblem,
  expr,
  isBroken,
  isRecord,
  template,
  toPointer,
  type CompileCtx,
  type Common,
} from './ctx.js';
import { durationMs } from './duration.js';
import { compileActions } from './actions.js';
import { compileUse } from './parts.js';
import type { ChooseStep, ResultColumn, Step } from './model.js';
import { compileResult } from './result.js';
import { declTypeOfCel, declTypeOfPath } from './scope.js';
import type { DocPath } from './source.js';

type Raw = Record<string, unknown>;

/** Compile a list of steps (the top level, a group, a branch or recovery steps). */
export function compileSteps(ctx: CompileCtx, raw: unknown[], path: DocPath): Step[] {
  const out: Step[] = [];
  let endedBy: string | undefined;
  raw.forEach((item, i) => {
    const stepPath = [...path, i];
    if (endedBy !== undefined && isRecord(item) && typeof item.id === 'string') {
      ctx.diagnostics.push({
        pos: ctx.doc.valuePos(stepPath),
        message: `step '${item.id}' can never run: step '${endedBy}' before it always ends the run`,
        hint: `give step '${endedBy}' a 'when', or remove the steps after it`,
      });
      endedBy = undefined;
    }
    const step = compileStep(ctx, item, stepPath);
    if (step) out.push(step);
    if (isRecord(item) && item.end !== undefined && item.when === undefined && typeof item.id === 'string')
      endedBy = item.id;
  });
  return out;
}

function compileStep(ctx: CompileCtx, raw: unknown, path: DocPath): Step | undefined {
  if (!isRecord(raw)) return undefined;
  const { doc } = ctx;
  const id = typeof raw.id === 'string' ? raw.id : undefined;
  if (id !== undefined && !isBroken(ctx.broken, [...path, 'id'])) {
    const first = ctx.ids.get(id);
    const pos = doc.valuePos([...path, 'id']);
    if (first) {
      ctx.diagnostics.push({
        pos,
        message: `duplicate step id '${id}' (first used at line ${first.line})`,
        hint: 'step ids must be unique in the whole runbook: checkpoints, --start-at and reports name steps by id',
      });
    } else {
      ctx.ids.set(id, pos);
    }
  }
  if (id === undefined || ownBroken(ctx.broken, path)) {
    salvage(ctx, raw, path);
    return undefined;
  }

  const common: Common = {
    id,
    name: typeof raw.name === 'string' ? raw.name : id,
    onFailure: { kind: 'abort' },
    pos: doc.valuePos(path),
  };
  if (typeof raw.description === 'string') common.description = raw.description;
  if (typeof raw.name === 'string' && raw.name.includes('{{')) {
    const title = template(ctx, raw.name, [...path, 'name']);
    if (title) common.title = title;
  }
  const when = raw.when === undefined ? undefined : expr(ctx, raw.when as string, [...path, 'when'], 'bool');
  if (when) common.when = when;
  if (raw.timeout !== undefined) {
    const ms = durationMs(raw.timeout);
    if (ms === 0) {
      ctx.diagnostics.push({
        pos: doc.valuePos([...path, 'timeout']),
        message: `timeout of step '${id}' must be greater than 0`,
        hint: 'write e.g. `timeout: 30s`, or remove it',
      });
    } else if (ms !== undefined) {
      common.timeoutMs = ms;
    }
  }

  // `result:` sees the names in scope after the step (a for_each group's: with its loop variable)
  let result: ResultColumn[] | undefined;
  let resultOk = true;
  const compileOwnResult = (): void => {
    if (!isRecord(raw.result) || isBroken(ctx.broken, [...path, 'result'])) return;
    result = compileResult(ctx, raw.result, path, id);
    resultOk = result !== undefined;
  };
  let step: Step | undefined;
  if (raw.run !== undefined) step = compileCommand(ctx, raw, path, common);
  else if (raw.steps !== undefined) step = compileGroup(ctx, raw, path, common, compileOwnResult);
  else if (raw.choose !== undefined) step = compileChoose(ctx, raw, path, common);
  else if (raw.end !== undefined) {
    const end = raw.end as { status: 'ok' | 'failed'; message: string };
    const message = template(ctx, end.message, [...path, 'end', 'message']);
    if (message) step = { ...common, kind: 'end', status: end.status, message };
  } else if (raw.assert !== undefined) {
    const that = expr(ctx, raw.assert as string, [...path, 'assert'], 'bool');
    const message =
      raw.message === undefined ? undefined : template(ctx, raw.message as string, [...path, 'message']);
    if (that && (raw.message === undefined || message))
      step = { ...common, kind: 'assert', that, ...(message ? { message } : {}) };
  } else if (raw.use !== undefined) {
    step = compileUse(ctx, raw, path, common, compileSteps);
  } else if (raw.actions !== undefined) {
    step = compileActions(ctx, raw, path, common, compileSteps);
  } else if (raw.set !== undefined) {
    step = compileSet(ctx, raw.set as Record<string, string | number | boolean>, path, common);
  } else if (isRecordStep(raw)) {
    // a record step: only `result:` (a set step that binds nothing)
    step = { ...common, kind: 'set', values: [] };
  }
  if (raw.steps === undefined || raw.for_each === undefined) compileOwnResult();
  if (step && result && result.length > 0) step.result = result;
  if (!resultOk) step = undefined;

  if (Array.isArray(raw.on_failure)) {
    const steps = compileSteps(ctx, raw.on_failure, [...path, 'on_failure']);
    common.onFailure = { kind: 'steps', steps };
    if (step) step.onFailure = common.onFailure;
  } else if (raw.on_failure === 'continue') {
    common.onFailure = { kind: 'continue' };
    if (step) step.onFailure = common.onFailure;
  }
  return step;
}

/** `inLoop`: compiles what must see the loop variable after the children (the group's `result:`). */
function compileGroup(
  ctx: CompileCtx,
  raw: Raw,
  path: DocPath,
  common: Common,
  inLoop: () => void,
): Step | undefined {
  const children = raw.steps as unknown[];
  if (raw.for_each === undefined) {
    const steps = compileSteps(ctx, children, [...path, 'steps']);
    return { ...common, kind: 'group', steps };
  }
  const as = typeof raw.as === 'string' ? raw.as : 'item';
  const asPath = raw.as === undefined ? [...path, 'for_each'] : [...path, 'as'];
  const before = ctx.diagnostics.length;
  const items = expr(ctx, raw.for_each as string, [...path, 'for_each'], 'list') as CompiledCel | undefined;
  for (const d of ctx.diagnostics.slice(before)) {
    if (/must be a list/.test(d.message))
      d.hint =
        'for_each iterates over a list: a list var, a capture with `match: all`, or a list expression such as [a, b]';
  }
  const problem = bindProblem(as);
  if (problem) {
    ctx.diagnostics.push({
      pos: ctx.doc.valuePos(asPath),
      message: `loop variable of step '${common.id}': ${problem}`,
      hint: 'name it differently with `as: <name>`',
    });
  } else if (ctx.scope.isVar(as)) {
    ctx.diagnostics.push({
      pos: ctx.doc.valuePos(asPath),
      message: `loop variable '${as}' of step '${common.id}' shadows var '${as}'`,
      hint: `name the loop variable differently, e.g. \`as: each_${as}\``,
    });
  }
  const listType = items
    ? (declTypeOfPath(ctx.scope.env(), items.source) ?? declTypeOfCel(items.type))
    : undefined;
  const itemType = listType?.kind === 'list' ? listType.items : { kind: 'dyn' as const };
  const steps = ctx.scope.withLocal({ name: problem ? '_' : as, type: itemType }, () => {
    const compiled = compileSteps(ctx, children, [...path, 'steps']);
    inLoop();
    return compiled;
  });
  return items ? { ...common, kind: 'group', steps, forEach: { items, as } } : undefined;
}

function compileChoose(ctx: CompileCtx, raw: Raw, path: DocPath, common: Common): Step | undefined {
  const branches = raw.choose as { when?: string; steps: unknown[] }[];
  const out: ChooseStep['branches'] = [];
  let ok = true;
  branches.forEach((b, i) => {
    const bPath = [...path, 'choose', i];
    if (b.when === undefined && i < branches.length - 1) {
      ok = false;
      ctx.diagnostics.push({
        pos: ctx.doc.valuePos(bPath),
        message: `choose branch #${i + 1} of step '${common.id}' has no 'when'; only the last branch may omit it (the otherwise branch)`,
        hint: 'add a `when:` to this branch, or move it to the end of the list',
      });
    }
    const when = b.when === undefined ? undefined : expr(ctx, b.when, [...bPath, 'when'], 'bool');
    if (b.when !== undefined && !when) ok = false;
    const steps = compileSteps(ctx, b.steps, [...bPath, 'steps']);
    out.push({ ...(when ? { when } : {}), steps, pos: ctx.doc.valuePos(bPath) });
  });
  return ok ? { ...common, kind: 'choose', branches: out } : undefined;
}

function compileSet(
  ctx: CompileCtx,
  raw: Record<string, string | number | boolean>,
  path: DocPath,
  common: Common,
): Step | undefined {
  const values: { name: string; expr: CompiledExpr }[] = [];
  let ok = true;
  for (const [name, source] of Object.entries(raw)) {
    const problem = bindProblem(name);
    if (problem) {
      ok = false;
      ctx.diagnostics.push({
        pos: ctx.doc.keyPos([...path, 'set', name]),
        message: `set of step '${common.id}': ${problem}`,
        hint: 'choose another name',
      });
      continue;
    }
    const compiled = expr(ctx, String(source), [...path, 'set', name]) as CompiledCel | undefined;
    if (!compiled) ok = false;
    else values.push({ name, expr: compiled });
    // each name is visible to the next ones and to later steps
    ctx.scope.bind({
      name,
      type: compiled
        ? compiled.scalar
          ? { kind: 'scalar', spec: compiled.scalar }
          : declTypeOfCel(compiled.type)
        : { kind: 'dyn' },
    });
  }
  return ok ? { ...common, kind: 'set', values } : undefined;
}

/** The fields a record step may have (the schema's record branch says the same). */
const RECORD_FIELDS = new Set(['id', 'name', 'description', 'when', 'timeout', 'on_failure', 'result']);

/** A step with `result:` and nothing else but the common fields: it only records a row. */
function isRecordStep(raw: Raw): boolean {
  return raw.result !== undefined && Object.keys(raw).every((k) => RECORD_FIELDS.has(k));
}

/** A step that failed the schema: declare what it binds (as dyn) and still check its children. */
function salvage(ctx: CompileCtx, raw: Raw, path: DocPath): void {
  for (const key of ['capture', 'set'] as const) {
    const names = raw[key];
    if (!isRecord(names)) continue;
    for (const name of Object.keys(names))
      if (!bindProblem(name)) ctx.scope.bind({ name, type: { kind: 'dyn' } });
  }
  const nested = (list: unknown, p: DocPath): void => {
    if (Array.isArray(list)) compileSteps(ctx, list, p);
  };
  const as = typeof raw.as === 'string' && !bindProblem(raw.as) ? raw.as : 'item';
  if (raw.for_each !== undefined)
    ctx.scope.withLocal({ name: as, type: { kind: 'dyn' } }, () => nested(raw.steps, [...path, 'steps']));
  else nested(raw.steps, [...path, 'steps']);
  if (Array.isArray(raw.choose))
    raw.choose.forEach((b, i) => isRecord(b) && nested(b.steps, [...path, 'choose', i, 'steps']));
  nested(raw.on_failure, [...path, 'on_failure']);
  if (isRecord(raw.actions)) {
    nested(raw.actions.try, [...path, 'actions', 'try']);
    nested(raw.actions.verify, [...path, 'actions', 'verify']);
  }
}

/** True when a field of this step itself (not of a nested step) failed the schema. */
function ownBroken(broken: readonly string[], path: DocPath): boolean {
  const ptr = toPointer(path);
  const nested = /^\/(?:steps|on_failure|choose\/\d+\/steps|actions\/(?:try|verify))\/\d+(?:\/|$)/;
  return broken.some((p) => p === ptr || (p.startsWith(`${ptr}/`) && !nested.test(p.slice(ptr.length))));
}
