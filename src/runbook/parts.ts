/**
 * Parts: `use: parts/verify-sa.yaml` with `with: {peer: '{{ peer }}'}` runs the steps of another
 * file, inlined at validate time as a group, so plans, dry-runs, approvals, journals and resume see
 * ordinary steps. The part's steps are named `<use id>/<part step id>`; its parameters (typed like
 * vars) are bound by a first `<use id>/with` set step and visible only inside the part at validate
 * time. Problems inside the part are reported at the part's file:line:col, saying which use site;
 * a missing parameter, a value of the wrong type, an unknown part file and a cycle of uses are
 * reported at the use site.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { RunbookError, ValidationError, formatPos, type Diagnostic, type SourcePos } from '../errors.js';
import type { NameDecl } from '../expr/decls.js';
import type { CompiledExpr, Scope, Value } from '../expr/types.js';
import { checkVarValue, varDeclType } from '../expr/values.js';
import { isRecord, type CompileCtx, type Common } from './ctx.js';
import type { ActionTable, GroupStep, SetStep, Step, VarDecl } from './model.js';
import { checkSchema } from './schema.js';
import { parseSource, type DocPath } from './source.js';

type Raw = Record<string, unknown>;
type CompileSteps = (ctx: CompileCtx, raw: unknown[], path: DocPath) => Step[];

const EXPRESSION = /^\{\{([\s\S]*)\}\}$/;

/** The CEL type a parameter's value must have. */
function celTypeOf(decl: VarDecl): string {
  if (decl.type === 'int') return 'int';
  if (decl.type === 'bool') return 'bool';
  if (decl.type === 'list') return decl.items?.type === 'int' ? 'list<int>' : 'list<string>';
  return 'string';
}

function constant(value: Value, pos: SourcePos): CompiledExpr {
  return {
    source: JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)),
    pos,
    refs: [],
    evaluate: () => value,
  };
}

/** Every step of `steps` (recovery steps too) with its id prefixed. */
function prefixed(steps: Step[], prefix: string): Step[] {
  return steps.map((s) => {
    const out = { ...s, id: `${prefix}${s.id}`, localId: s.localId ?? s.id } as Step;
    if (s.onFailure.kind === 'steps')
      out.onFailure = { kind: 'steps', steps: prefixed(s.onFailure.steps, prefix) };
    if (out.kind === 'group') out.steps = prefixed(out.steps, prefix);
    if (out.kind === 'group' && out.table) out.table = prefixedTable(out.table, out.steps, prefix);
    if (out.kind === 'choose')
      out.branches = out.branches.map((b) => ({ ...b, steps: prefixed(b.steps, prefix) }));
    return out;
  });
}

/** An action table's view, pointing at the prefixed copies of its steps (`steps`: the table's group steps). */
function prefixedTable(table: ActionTable, steps: Step[], prefix: string): ActionTable {
  const all = new Map<string, Step>();
  const visit = (s: Step): void => {
    all.set(s.id, s);
    if (s.kind === 'group') s.steps.forEach(visit);
    if (s.kind === 'choose') s.branches.forEach((b) => b.steps.forEach(visit));
  };
  steps.forEach(visit);
  const find = <T extends Step>(s: T): T => (all.get(`${prefix}${s.id}`) as T | undefined) ?? s;
  return {
    ...table,
    actions: table.actions.map((a) => ({ ...a, step: find(a.step) })),
    verify: table.verify.map(find),
  };
}

export function compileUse(
  ctx: CompileCtx,
  raw: Raw,
  path: DocPath,
  common: Common,
  compileSteps: CompileSteps,
): GroupStep | undefined {
  const { doc } = ctx;
  const given = raw.use as string;
  const usePos = doc.valuePos([...path, 'use']);
  const absolute = resolve(dirname(resolve(doc.file)), given);
  const file = join(dirname(doc.file), given);
  const site = `used by step '${common.id}' at ${formatPos(doc.valuePos(path))}`;
  const fail = (pos: SourcePos, message: string, hint: string): undefined => {
    ctx.diagnostics.push({ pos, message, hint });
    return undefined;
  };
  const stack = ctx.parts.stack;
  if (stack.includes(absolute)) {
    const chain = [...stack.slice(stack.indexOf(absolute)), absolute].map(
      (f) => relative(process.cwd(), f) || f,
    );
    return fail(
      usePos,
      `part ${given} uses itself: ${chain.join(' -> ')}`,
      'a part cannot use a part that uses it; move the shared steps into a third part',
    );
  }
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return fail(
      usePos,
      `part file '${given}' ${code === 'ENOENT' ? 'not found' : `cannot be read (${code ?? (err as Error).message})`} (looked at ${file})`,
      'give the path of a part file relative to this file, e.g. parts/verify-sa.yaml',
    );
  }
  const inside: Diagnostic[] = [];
  const report = (): void => {
    for (const d of inside)
      ctx.diagnostics.push({ ...d, message: `${d.message} (in part ${given}, ${site})` });
  };
  const parsed = parseSource(text.replace(/^\uFEFF/, ''), file);
  if (!parsed.ok) {
    inside.push(...parsed.diagnostics);
    report();
    return undefined;
  }
  const partDoc = parsed.doc;
  const schema = checkSchema(partDoc, 'part');
  inside.push(...schema.diagnostics);
  const data = (isRecord(partDoc.data) ? partDoc.data : {}) as Raw;
  const params = ctx.parts.params(partDoc, data.params, schema.brokenPaths, inside);

  const values = withValues(ctx, raw, path, given, params);
  const locals: NameDecl[] = params.map((p) => ({
    name: p.name,
    type: varDeclType(p),
    ...(p.secret ? { secret: true } : {}),
  }));
  const sub: CompileCtx = {
    ...ctx,
    doc: partDoc,
    diagnostics: inside,
    broken: schema.brokenPaths,
    ids: new Map(),
    templates: { ...ctx.templates, base: dirname(absolute) },
    parts: { ...ctx.parts, stack: [...stack, absolute] },
  };
  const steps = ctx.scope.withLocals(locals, () =>
    Array.isArray(data.steps) ? compileSteps(sub, data.steps, ['steps']) : [],
  );
  report();
  if (!values || inside.length > 0) return undefined;
  // A parameter named like a name of the runbook hides it inside the part only: its value is kept
  // under a private name by the `with` step and put back by a closing `restore` step.
  const env = ctx.scope.env();
  const hidden = values.filter((v) => env.has(v.name) && v.expr.source !== v.name);
  // `peer: '{{ peer }}'` passes the runbook's own value: nothing to bind.
  const bound = values.filter((v) => !(env.has(v.name) && v.expr.source === v.name));
  const keep = (name: string): string => `_${common.id.replace(/[^A-Za-z0-9_]/g, '_')}_${name}`;
  const copy = (from: string, to: string) => ({
    name: to,
    expr: { source: from, pos: usePos, refs: [from], evaluate: (scope: Scope) => scope[from] ?? null },
  });
  const set = (id: string, name: string, vals: SetStep['values']): SetStep => ({
    id: `${common.id}/${id}`,
    localId: id,
    name,
    kind: 'set',
    values: vals,
    onFailure: { kind: 'abort' },
    pos: usePos,
  });
  const saves = hidden.map((v) => copy(v.name, keep(v.name)));
  const restores = hidden.map((v) => copy(keep(v.name), v.name));
  return {
    ...common,
    kind: 'group',
    steps: [
      ...(bound.length > 0 ? [set('with', `parameters of ${given}`, [...saves, ...bound])] : []),
      ...prefixed(steps, `${common.id}/`),
      ...(restores.length > 0 ? [set('restore', `names the parameters of ${given} hid`, restores)] : []),
    ],
  };
}

/** The `with:` values as expressions in parameter order, or undefined after diagnostics at the use site. */
function withValues(
  ctx: CompileCtx,
  raw: Raw,
  path: DocPath,
  given: string,
  params: VarDecl[],
): { name: string; expr: CompiledExpr }[] | undefined {
  const { doc } = ctx;
  const supplied = isRecord(raw.with) ? raw.with : {};
  const names = params.map((p) => p.name);
  let ok = true;
  const problem = (pos: SourcePos, message: string, hint: string): void => {
    ok = false;
    ctx.diagnostics.push({ pos, message, hint });
  };
  for (const name of Object.keys(supplied)) {
    if (!names.includes(name))
      problem(
        doc.keyPos([...path, 'with', name]),
        `part ${given} has no parameter '${name}' (parameters: ${names.join(', ') || 'none'})`,
        "give only the part's parameters",
      );
  }
  const out: { name: string; expr: CompiledExpr }[] = [];
  for (const decl of params) {
    const at = [...path, 'with', decl.name];
    const value = supplied[decl.name];
    const env = ctx.scope.env();
    if (value === undefined) {
      if (decl.default === undefined) {
        problem(
          doc.keyPos([...path, 'use']),
          `part ${given} needs parameter '${decl.name}' (${decl.type}), which 'with' does not give`,
          `add it: with: {${decl.name}: ...}`,
        );
        continue;
      }
      out.push({ name: decl.name, expr: constant(decl.default, doc.valuePos([...path, 'use'])) });
      continue;
    }
    const source = typeof value === 'string' ? EXPRESSION.exec(value.trim())?.[1]?.trim() : undefined;
    if (source !== undefined) {
      try {
        const compiled = env.compile(source, doc.valuePos(at));
        const want = celTypeOf(decl);
        if (
          compiled.type !== 'dyn' &&
          compiled.type !== want &&
          !(want.startsWith('list') && compiled.type.startsWith('list<dyn'))
        )
          problem(
            doc.valuePos(at),
            `parameter '${decl.name}' of part ${given} is ${decl.type}, but \`${source}\` is ${compiled.type}`,
            `give a ${decl.type} value`,
          );
        else out.push({ name: decl.name, expr: compiled });
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        ok = false;
        ctx.diagnostics.push(...err.diagnostics);
      }
      continue;
    }
    try {
      out.push({ name: decl.name, expr: constant(checkVarValue(decl, value), doc.valuePos(at)) });
    } catch (err) {
      if (!(err instanceof RunbookError)) throw err;
      problem(
        doc.valuePos(at),
        `parameter '${decl.name}' of part ${given}: ${err.message.replace(/^variable '[^']*': /, '')}`,
        err.hint ?? `give a ${decl.type} value`,
      );
    }
  }
  return ok ? out : undefined;
}
