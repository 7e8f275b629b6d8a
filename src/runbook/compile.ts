/**
 * Compile a schema-checked document into the Runbook model: semantic checks (every problem at
 * once, each at file:line:col with a hint), defaults filled once, expressions and templates
 * compiled against the names in scope. Parts that already failed the schema are skipped (but the
 * names they bind stay declared, so one typo does not cascade into "unknown name" errors).
 */
import { RunbookError, ValidationError, type Diagnostic } from '../errors.js';
import type { NameDecl } from '../expr/decls.js';
import { checkVarValue, runbookVarDecls, wholePattern } from '../expr/values.js';
import { getProfile, isPlatformName, platformNames } from '../platforms/index.js';
import { valueGates, type ValueGates } from '../platforms/gates.js';
import { closest } from '../suggest.js';
import type { Runbook, ScalarSpec, VarDecl } from './model.js';
import { bindProblem, isBroken, isRecord, type CompileCtx, type TemplateSearch } from './ctx.js';
import { HOST_DECL, NameScope, RESULT_DECLS, RUN_DECL } from './scope.js';
import { subject } from './where.js';
import type { DocPath, SourceDoc } from './source.js';
import { compileSteps } from './steps.js';
import { templateDirs } from '../parse/lookup.js';
import { dirname, resolve } from 'node:path';

export type RunbookBody = Omit<Runbook, 'file' | 'contentHash'>;

/** Compile `doc` (schema errors already in `schemaDiagnostics`); throws ValidationError with all diagnostics. */
export function compileDocument(
  doc: SourceDoc,
  schemaDiagnostics: Diagnostic[],
  broken: readonly string[],
): RunbookBody {
  const data = (isRecord(doc.data) ? doc.data : {}) as Record<string, unknown>;
  const platform =
    typeof data.platform === 'string' && isPlatformName(data.platform) ? data.platform : undefined;
  const diagnostics: Diagnostic[] = [...schemaDiagnostics];
  if (typeof data.platform === 'string' && data.platform !== '' && !platform) {
    const guess = closest(data.platform, platformNames());
    diagnostics.push({
      pos: doc.valuePos(['platform']),
      message: `platform '${data.platform}' is not a known platform${guess ? ` (did you mean '${guess}'?)` : ''}`,
      hint: `use one of: ${platformNames().join(', ')}; or add a platform file with --platforms DIR (docs/platforms.md)`,
    });
  }
  const profile = platform ? getProfile(platform) : undefined;
  const vars = compileVars(doc, data.vars, broken, diagnostics, valueGates(profile ? [profile] : []));
  const ctx: CompileCtx = {
    doc,
    diagnostics,
    profile,
    broken,
    ids: new Map(),
    scope: new NameScope([...runbookVarDecls(vars.decls), ...vars.loose, HOST_DECL, RUN_DECL]),
    templates: templateSearch(doc.file, data.templates),
    defaults: Object.fromEntries(
      vars.decls.filter((d) => d.default !== undefined).map((d) => [d.name, d.default!]),
    ),
    parts: {
      stack: [resolve(doc.file)],
      params: (partDoc, raw, partBroken, partDiagnostics) =>
        compileVars(partDoc, raw, partBroken, partDiagnostics, valueGates(profile ? [profile] : []), 'params')
          .decls,
    },
  };
  const steps = Array.isArray(data.steps) ? compileSteps(ctx, data.steps, ['steps']) : [];
  explainUnknownNames(doc, data.steps, diagnostics);
  if (diagnostics.length > 0 || !platform) {
    diagnostics.sort((a, b) => a.pos.line - b.pos.line || a.pos.col - b.pos.col);
    throw new ValidationError(dedupe(diagnostics));
  }
  return {
    name: String(data.runbook),
    description: typeof data.description === 'string' ? data.description : '',
    platform,
    vars: vars.decls,
    steps,
  };
}

/** TextFSM template folders: the runbook's `templates:` (relative to its file), then the usual ones. */
function templateSearch(file: string, templates: unknown): TemplateSearch {
  const base = dirname(resolve(file));
  const runbook = typeof templates === 'string' ? resolve(base, templates) : undefined;
  return { base, dirs: templateDirs(runbook ? { runbook } : {}) };
}

interface CompiledVars {
  decls: VarDecl[];
  /** Vars that failed the schema: declared `dyn` so expressions using them are not reported again. */
  loose: NameDecl[];
}

/** Compile `vars:` (or a part's `params:`, under `key`) into VarDecls, with diagnostics. */
function compileVars(
  doc: SourceDoc,
  raw: unknown,
  broken: readonly string[],
  diagnostics: Diagnostic[],
  gates: ValueGates,
  key: 'vars' | 'params' = 'vars',
): CompiledVars {
  const out: CompiledVars = { decls: [], loose: [] };
  if (!isRecord(raw)) return out;
  for (const [name, v] of Object.entries(raw)) {
    const path = [key, name];
    const problem = bindProblem(name);
    if (problem) {
      if (!isBroken(broken, path, true))
        diagnostics.push({ pos: doc.keyPos(path), message: `var name ${problem}`, hint: 'rename the var' });
      continue;
    }
    if (isBroken(broken, path) || !isRecord(v)) {
      out.loose.push({ name, type: { kind: 'dyn' } });
      continue;
    }
    const decl: VarDecl = {
      name,
      type: v.type as VarDecl['type'],
      required: v.required === true,
      secret: v.secret === true,
      pos: doc.keyPos(path),
    };
    if (typeof v.description === 'string') decl.description = v.description;
    if (typeof v.pattern === 'string') decl.pattern = v.pattern;
    if (Array.isArray(v.values)) decl.values = v.values as string[];
    if (typeof v.max_length === 'number') decl.maxLength = v.max_length;
    if (v.allow_leading_dash === true) decl.allowLeadingDash = true;
    if (isRecord(v.items)) decl.items = itemSpec(v.items);

    const misplaced = (field: string, owner: string): void => {
      diagnostics.push({
        pos: doc.keyPos([...path, field]),
        message: `'${field}' of var '${name}' only applies to type ${owner}, not ${decl.type}`,
        hint: `remove '${field}'`,
      });
    };
    if (decl.pattern !== undefined && decl.type !== 'string') misplaced('pattern', 'string');
    if (decl.values !== undefined && decl.type !== 'enum') misplaced('values', 'enum');
    if (decl.items !== undefined && decl.type !== 'list') misplaced('items', 'list');
    if (decl.maxLength !== undefined && decl.type !== 'string') misplaced('max_length', 'string');
    const patternOk = checkPattern(doc, diagnostics, [...path, 'pattern'], decl.pattern);
    const items = decl.items;
    const itemsOk =
      items === undefined ||
      (checkPattern(doc, diagnostics, [...path, 'items', 'pattern'], items.pattern) &&
        checkItemSpec(doc, diagnostics, [...path, 'items'], items));
    if (decl.required && v.default !== undefined) {
      diagnostics.push({
        pos: doc.keyPos([...path, 'required']),
        message: `var '${name}' is required and has a default`,
        hint: 'a default makes the var optional: remove `required: true` or the default',
      });
    }
    if (v.default !== undefined && patternOk && itemsOk) {
      try {
        decl.default = checkVarValue(decl, v.default, gates);
      } catch (err) {
        if (!(err instanceof RunbookError)) throw err;
        diagnostics.push({
          pos: doc.valuePos([...path, 'default']),
          message: `default of var '${name}' is invalid: ${err.message.replace(/^variable '[^']*'(?: (item \d+))?: /, (_m, item?: string) => (item ? `${item}: ` : ''))}`,
          ...(err.hint ? { hint: err.hint } : {}),
        });
      }
    }
    out.decls.push(decl);
  }
  return out;
}

/** A list's `items` (schema-checked) as a ScalarSpec. */
function itemSpec(raw: Record<string, unknown>): ScalarSpec {
  const spec: ScalarSpec = { type: raw.type as ScalarSpec['type'] };
  if (typeof raw.pattern === 'string') spec.pattern = raw.pattern;
  if (Array.isArray(raw.values)) spec.values = raw.values as string[];
  if (typeof raw.max_length === 'number') spec.maxLength = raw.max_length;
  if (raw.allow_leading_dash === true) spec.allowLeadingDash = true;
  return spec;
}

function checkItemSpec(doc: SourceDoc, diagnostics: Diagnostic[], path: DocPath, items: ScalarSpec): boolean {
  if (items.pattern !== undefined && items.type !== 'string') {
    diagnostics.push({
      pos: doc.keyPos([...path, 'pattern']),
      message: `'pattern' of list items only applies to type string, not ${items.type}`,
      hint: "remove 'pattern'",
    });
    return false;
  }
  if (items.maxLength !== undefined && items.type !== 'string') {
    diagnostics.push({
      pos: doc.keyPos([...path, 'max_length']),
      message: `'max_length' of list items only applies to type string, not ${items.type}`,
      hint: "remove 'max_length'",
    });
    return false;
  }
  if (items.values !== undefined && items.type !== 'enum') {
    diagnostics.push({
      pos: doc.keyPos([...path, 'values']),
      message: `'values' of list items only applies to type enum, not ${items.type}`,
      hint: "remove 'values'",
    });
    return false;
  }
  return true;
}

function checkPattern(
  doc: SourceDoc,
  diagnostics: Diagnostic[],
  path: DocPath,
  pattern: string | undefined,
): boolean {
  if (pattern === undefined) return true;
  try {
    new RegExp(pattern);
    wholePattern(pattern);
    return true;
  } catch (err) {
    const reason = (err as Error).message.replace(/^.*Invalid regular expression: \/.*\/[a-z]*: /, '');
    diagnostics.push({
      pos: doc.valuePos(path),
      message: `${subject(path, doc.data)} is not a valid regular expression: ${reason}`,
      hint: 'write a JavaScript regular expression; it must match the whole value (it is anchored for you)',
    });
    return false;
  }
}

/**
 * An unknown name that some step does bind is almost always used in the wrong place: say where it
 * is bound and where it is visible instead of "declare it".
 */
function explainUnknownNames(doc: SourceDoc, steps: unknown, diagnostics: Diagnostic[]): void {
  const binders = new Map<string, string>();
  const walk = (list: unknown, path: DocPath): void => {
    if (!Array.isArray(list)) return;
    list.forEach((s, i) => {
      if (!isRecord(s)) return;
      const p = [...path, i];
      const id = typeof s.id === 'string' ? `step '${s.id}'` : 'a step';
      const line = doc.valuePos(p).line;
      for (const key of ['capture', 'set'] as const) {
        if (!isRecord(s[key])) continue;
        for (const name of Object.keys(s[key])) {
          if (!binders.has(name)) {
            binders.set(
              name,
              `'${name}' is ${key === 'set' ? 'set' : 'captured'} by ${id} (line ${line}); a name is visible only to the steps after the one that binds it`,
            );
          }
        }
      }
      if (s.for_each !== undefined) {
        const as = typeof s.as === 'string' ? s.as : 'item';
        if (!binders.has(as))
          binders.set(
            as,
            `'${as}' is the loop variable of ${id} (line ${line}): it is visible only inside that group's steps`,
          );
      }
      walk(s.steps, [...p, 'steps']);
      walk(s.on_failure, [...p, 'on_failure']);
      if (isRecord(s.actions)) {
        walk(s.actions.try, [...p, 'actions', 'try']);
        walk(s.actions.verify, [...p, 'actions', 'verify']);
      }
      if (Array.isArray(s.choose))
        s.choose.forEach((b, j) => isRecord(b) && walk(b.steps, [...p, 'choose', j, 'steps']));
    });
  };
  walk(steps, ['steps']);
  for (const d of diagnostics) {
    const name = /unknown name '([^']+)'/.exec(d.message)?.[1];
    if (name === undefined) continue;
    if (RESULT_DECLS.some((r) => r.name === name)) {
      d.hint = `'${name}' is visible only in 'expect' expressions and 'retry.until' of a run step; capture what you need from the output to use it later`;
    } else if (binders.has(name)) {
      d.hint = binders.get(name)!;
    }
  }
}

function dedupe(diagnostics: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = `${d.pos.line}:${d.pos.col}:${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
