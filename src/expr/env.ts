/**
 * ExprEnv: the names visible at one place of a runbook, and the compiler of expressions and
 * templates against them. Compilation (parse + type-check) happens at validate time; errors are
 * ValidationErrors pointing at file:line:col. Evaluation errors are RunbookError E_EXPR.
 */
import type { ASTNode, ParseResult } from '@marcbachmann/cel-js';
import { serialize } from '@marcbachmann/cel-js';
import { RunbookError, ValidationError, formatPos } from '../errors.js';
import type { Diagnostic, SourcePos } from '../errors.js';
import {
  CelBinding,
  declTypeOf,
  declaredRefs,
  nameProblem,
  invalidMatchesPatterns,
  undeclaredHasFields,
  walk,
} from './cel.js';
import { COST_LIMIT_CODE, celText, renameMatches, withBudget } from './cost.js';
import { describeDeclType } from './decls.js';
import type { CompiledCel, NameDecl } from './decls.js';
import { didYouMean, listNames } from '../suggest.js';
import { MASK } from '../redact.js';
import { buildTemplate } from './template.js';
import { formatValue } from './values.js';
import type { Scope, Template, Value } from './types.js';

/** What the result of an expression must be, checked at compile time (a `dyn` result passes). */
export type ExpectedType = 'bool' | 'list' | 'int' | 'string';

export interface CompileOptions {
  /** e.g. 'bool' for `when`, `until`, `assert`; 'list' for `for_each`. */
  type?: ExpectedType;
}

/** The position of `offset` characters into `source` that starts at `pos` (exact only for one-line text). */
export function offsetPos(pos: SourcePos, source: string, offset: number): SourcePos {
  return source.includes('\n') ? pos : { ...pos, col: pos.col + offset };
}

/** A compiled expression with what templates need besides the public contract. */
export class ExprEnv {
  private readonly decls: ReadonlyMap<string, NameDecl>;
  private cel?: CelBinding;

  constructor(decls: NameDecl[]) {
    const map = new Map<string, NameDecl>();
    for (const d of decls) {
      const problem = nameProblem(d.name);
      if (problem) {
        throw new RunbookError('E_RUNBOOK_INVALID', `cannot use ${problem}`, {
          hint: 'rename it: letters, digits and _, not a CEL keyword',
        });
      }
      map.delete(d.name);
      map.set(d.name, d);
    }
    this.decls = map;
  }

  /** A child env with extra names (loop variables, step-local `output`/`exit_code`); shadowing is allowed. */
  with(extra: NameDecl[]): ExprEnv {
    return new ExprEnv([...this.decls.values(), ...extra]);
  }

  has(name: string): boolean {
    return this.decls.has(name);
  }

  /** The declaration of a visible name. */
  decl(name: string): NameDecl | undefined {
    return this.decls.get(name);
  }

  /** All visible names, in declaration order. */
  names(): string[] {
    return [...this.decls.keys()];
  }

  private binding(): CelBinding {
    return (this.cel ??= new CelBinding(this.decls));
  }

  /**
   * Parse + type-check. Throws ValidationError with diagnostics at file:line:col (pos is where the
   * expression text starts; the CEL error offset is added to the column when the text is on one line).
   */
  compile(source: string, pos: SourcePos, opts: CompileOptions = {}): CompiledCel {
    const cel = this.binding();
    const fail = (offset: number, message: string, hint?: string): never => {
      const d: Diagnostic = { pos: offsetPos(pos, source, offset), message };
      if (hint !== undefined) d.hint = hint;
      throw new ValidationError([d]);
    };
    if (source.trim() === '') fail(0, 'empty expression', 'write a CEL expression, e.g. size(events) > 0');

    let parsed: ParseResult;
    try {
      parsed = cel.env.parse(source);
    } catch (err) {
      const e = err as { summary?: string; message: string; range?: { start: number } };
      return fail(
        e.range?.start ?? 0,
        `syntax error: ${e.summary ?? e.message} in \`${source}\``,
        'expressions are CEL, e.g. size(events) > 0 && peer != "10.0.0.1"',
      );
    }
    // matches() is RE2 (linear time), evaluated by our function: renamed before checking
    const matchesCalls = renameMatches(parsed.ast, walk);
    const checked = parsed.check();
    if (!checked.valid && checked.error) this.failCheck(checked.error, parsed.ast, source, fail);
    for (const bad of undeclaredHasFields(parsed.ast, cel)) {
      this.failCheck({ code: 'no_such_key', summary: bad.message, node: bad.node }, parsed.ast, source, fail);
    }
    for (const bad of invalidMatchesPatterns(matchesCalls))
      fail(
        bad.start,
        bad.message,
        'matches() patterns are RE2: no lookarounds or backreferences; (?i) makes a pattern case-insensitive',
      );
    const type = checked.type ?? 'dyn';
    if (opts.type && !resultMatches(type, opts.type)) {
      fail(
        0,
        `expression must be ${opts.type === 'list' ? 'a list' : `${opts.type === 'int' ? 'an' : 'a'} ${opts.type}`}, but \`${source}\` is ${type}`,
        opts.type === 'bool' ? 'compare it, e.g. size(x) > 0 or x == "up"' : undefined,
      );
    }

    const refs = declaredRefs(parsed.ast, (n) => this.decls.has(n));
    const pathType = declTypeOf(parsed.ast, this.decls);
    const declType = pathType ?? cel.declTypeOfCel(type);
    const scalar = pathType?.kind === 'scalar' ? pathType.spec : undefined;
    const secretRefs = refs.filter((r) => this.decls.get(r)?.secret);
    const evaluate = (scope: Scope): Value => {
      let raw: unknown;
      try {
        const ctx = cel.context(scope, refs);
        raw = withBudget(() => parsed(ctx));
      } catch (err) {
        throw evalError(err, source, pos, valuesShown(refs, secretRefs, scope));
      }
      return cel.fromCel(raw);
    };
    return Object.freeze({
      source,
      pos,
      refs,
      type,
      declType,
      secretRefs,
      evaluate,
      ...(scalar ? { scalar } : {}),
    });
  }

  /** Compile a `{{ expr }}` template (several parts allowed; `{{` without `}}` is an error). Throws ValidationError. */
  compileTemplate(source: string, pos: SourcePos): Template {
    return buildTemplate(source, pos, (expr, exprPos) => this.compile(expr, exprPos));
  }

  private failCheck(
    error: { code?: string; summary?: string; message?: string; node?: unknown; range?: { start: number } },
    ast: ASTNode,
    source: string,
    fail: (offset: number, message: string, hint?: string) => never,
  ): never {
    const node = error.node as ASTNode | undefined;
    const offset = node?.start ?? error.range?.start ?? 0;
    const summary = celText(error.summary ?? error.message ?? 'type error');
    if (error.code === 'unknown_variable') {
      const name = node?.op === 'id' ? node.args : (/Unknown variable: (\S+)/.exec(summary)?.[1] ?? '?');
      return fail(
        offset,
        `unknown name '${name}' (known: ${listNames(this.decls.keys()) || 'none'})`,
        didYouMean(name, this.decls.keys()) ??
          'declare it under vars:, capture it in an earlier step, or set it with a set step',
      );
    }
    if (error.code === 'no_such_key' && node?.op === '.') {
      const [left, field] = node.args;
      const leftText = celText(serialize(left));
      const fields = this.fieldsOf(leftText);
      const fieldPos = node.pos ?? offset;
      return fail(
        fieldPos,
        `unknown field '${field}' of \`${leftText}\`${fields ? ` (fields: ${listNames(fields) || 'none'})` : ''}`,
        (fields && didYouMean(field, fields)) ?? (fields ? `use one of: ${fields.join(', ')}` : undefined),
      );
    }
    const types = declaredRefs(ast, (n) => this.decls.has(n))
      .map((n) => `${n}: ${describeDeclType(this.decls.get(n)!.type)}`)
      .join(', ');
    return fail(
      offset,
      `type error: ${summary} in \`${source}\``,
      types
        ? `declared types: ${types} (ipv4, ipv6 and enum values are strings; int(x) and string(x) convert)`
        : undefined,
    );
  }

  private fieldsOf(exprText: string): string[] | undefined {
    const cel = this.binding();
    const res = cel.env.check(exprText);
    const rec = res.valid && res.type ? cel.records.get(res.type) : undefined;
    return rec ? Object.keys(rec.fields) : undefined;
  }
}

function resultMatches(type: string, expected: ExpectedType): boolean {
  if (type === 'dyn' || type.startsWith('dyn<')) return true;
  if (expected === 'list') return type.startsWith('list<') || type === 'list';
  return type === expected;
}

/** Longest rendering of one value in an evaluation error. */
const SHOWN_VALUE = 120;

/** `name = value` of the names an expression reads, secrets masked, long values cut. */
function valuesShown(refs: readonly string[], secret: readonly string[], scope: Scope): string {
  return refs
    .filter((r) => r !== 'vars' && scope[r] !== undefined)
    .map((r) => {
      if (secret.includes(r)) return `${r} = ${MASK}`;
      const text = formatValue(scope[r]!);
      return `${r} = ${text.length > SHOWN_VALUE ? `${text.slice(0, SHOWN_VALUE)}...` : text}`;
    })
    .join(', ');
}

/**
 * A cel-js evaluation error as RunbookError E_EXPR `<file:line:col>: <expr>: <what> (<values>)`,
 * in runbook words: an index past the end of a list says so (cel-js says `size undefined`).
 */
function evalError(err: unknown, source: string, pos: SourcePos, values: string): RunbookError {
  if (err instanceof RunbookError) return err;
  const e = err as { code?: string; summary?: string; message?: string; range?: { start: number } };
  let summary = celText(e.summary ?? e.message ?? String(err));
  const at = offsetPos(pos, source, e.range?.start ?? 0);
  let hint = 'check the values the expression reads (runbook plan shows them)';
  if (e.code === 'unknown_variable') {
    const name = /Unknown variable: (\S+)/.exec(summary)?.[1] ?? 'it';
    hint = `'${name}' has no value here; for an optional var test has(vars.${name}) first`;
  } else if (e.code === 'division_by_zero' || e.code === 'modulus_by_zero') {
    hint = 'guard the divisor, e.g. n != 0 ? total / n : 0';
  } else if (e.code === 'index_out_of_bounds') {
    const index = /index (-?\d+)/.exec(summary)?.[1] ?? '?';
    summary = `there is no item ${index} (the list has at most ${index} items)`;
    hint = `guard it (size(list) > ${index} ? ... : ...), or capture with 'match: first' and a 'default:'`;
  } else if (e.code === COST_LIMIT_CODE) {
    summary = `the expression was stopped: ${summary}`;
    hint =
      'the values it works on are too large for this expression: filter or capture less first (e.g. a capture with first/last, a tighter regex), avoid nested map()/filter() over long lists and repeated concatenation';
  } else if (e.code === 'no_such_key') {
    const field = /No such key: (\S+)/.exec(summary)?.[1];
    if (field) summary = `field '${field}' is absent (No such key: ${field})`;
    hint =
      'the field is absent (an optional group that did not match, or a null capture?); test it with has(x.field) first, or give the capture a default:';
  }
  const shown = values ? ` (${values})` : '';
  return new RunbookError('E_EXPR', `${formatPos(at)}: ${source}: ${summary}${shown}`, { hint, cause: err });
}
