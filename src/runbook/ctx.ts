/** The state of one compilation and the helpers every compile step uses. */
import { RunbookError, ValidationError, type Diagnostic, type SourcePos } from '../errors.js';
import { nameProblem } from '../expr/cel.js';
import type { NameDecl } from '../expr/decls.js';
import type { ExpectedType } from '../expr/env.js';
import type { CompiledExpr, Template, Value } from '../expr/types.js';
import type { PlatformProfile } from '../platforms/types.js';
import type { OnFailure, VarDecl } from './model.js';
import { RESERVED_NAMES, type NameScope } from './scope.js';
import type { DocPath, SourceDoc } from './source.js';
import { subject } from './where.js';

/** Where TextFSM captures find templates: the runbook's folder, then the template folders in order. */
export interface TemplateSearch {
  base: string;
  dirs: string[];
}

export interface CompileCtx {
  doc: SourceDoc;
  diagnostics: Diagnostic[];
  /** Undefined when `platform` is missing or invalid (platform checks are then skipped). */
  profile: PlatformProfile | undefined;
  /** JSON pointers of values that failed the schema. */
  broken: readonly string[];
  /** Step id -> where it was first defined. */
  ids: Map<string, SourcePos>;
  scope: NameScope;
  /** Where TextFSM captures find their templates. */
  templates: TemplateSearch;
  /** The runbook's var defaults by name (to judge expressions that read only vars at validate time). */
  defaults: Record<string, Value>;
  /** For `use:` (parts.ts): the part files being compiled, outermost first, and how to compile params. */
  parts: {
    stack: string[];
    params: (doc: SourceDoc, raw: unknown, broken: readonly string[], diagnostics: Diagnostic[]) => VarDecl[];
  };
}

/** The fields every step kind shares, filled with their defaults. */
export type Common = {
  id: string;
  name: string;
  title?: Template;
  description?: string;
  when?: CompiledExpr;
  timeoutMs?: number;
  onFailure: OnFailure;
  pos: SourcePos;
};

/** Run a compile step; ValidationErrors become diagnostics, other RunbookErrors a diagnostic at `pos`. */
export function attempt<T>(ctx: Pick<CompileCtx, 'diagnostics'>, pos: SourcePos, fn: () => T): T | undefined {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ValidationError) ctx.diagnostics.push(...err.diagnostics);
    else if (err instanceof RunbookError)
      ctx.diagnostics.push({ pos, message: err.message, ...(err.hint ? { hint: err.hint } : {}) });
    else throw err;
    return undefined;
  }
}

/** True when the value at `path` (or anything inside it, unless `shallow`) failed the schema. */
export function isBroken(broken: readonly string[], path: DocPath, shallow = false): boolean {
  const ptr = toPointer(path);
  return broken.some((p) => p === ptr || (!shallow && p.startsWith(`${ptr}/`)));
}

export function toPointer(path: DocPath): string {
  return path.map((s) => `/${String(s).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Why `name` cannot be bound by a capture, `set` or loop, or undefined when it can. */
export function bindProblem(name: string): string | undefined {
  if (RESERVED_NAMES.has(name))
    return `'${name}' is a reserved name (${[...RESERVED_NAMES].join(', ')} are provided by the engine)`;
  return nameProblem(name);
}

/** Compile an expression at `path`; diagnostics are collected, undefined on error. */
export function expr(
  ctx: CompileCtx,
  source: string,
  path: DocPath,
  type?: ExpectedType,
  extra: NameDecl[] = [],
): CompiledExpr | undefined {
  const pos = ctx.doc.textPos(path);
  return labelled(ctx, path, () =>
    attempt(ctx, pos, () => ctx.scope.env(extra).compile(source, pos, type ? { type } : {})),
  );
}

/** Compile a template at `path`; diagnostics are collected, undefined on error. */
export function template(
  ctx: CompileCtx,
  source: string,
  path: DocPath,
  extra: NameDecl[] = [],
): Template | undefined {
  const pos = ctx.doc.textPos(path);
  return labelled(ctx, path, () =>
    attempt(ctx, pos, () => ctx.scope.env(extra).compileTemplate(source, pos)),
  );
}

/** Prefix the diagnostics `fn` adds with the place they are about: `'when' in step 'x': ...`. */
function labelled<T>(ctx: CompileCtx, path: DocPath, fn: () => T): T {
  const before = ctx.diagnostics.length;
  const result = fn();
  const label = subject(path, ctx.doc.data);
  for (const d of ctx.diagnostics.slice(before)) d.message = `${label}: ${d.message}`;
  return result;
}
