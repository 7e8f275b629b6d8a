/**
 * The cost limit of one CEL evaluation, and `matches()` in linear time.
 *
 * cel-js has parse-time limits (AST size, depth) but no run-time cost limit like cel-go's, so an
 * expression over device data could loop for minutes or fill memory: a comprehension over a huge
 * captured list (nested `map`s are N^k), a string or list doubled by nested `cel.bind`s, a `join`
 * of a list of copies of the output. Each evaluation therefore runs under a budget of
 * CEL_COST_LIMIT units, charged as it goes:
 * - 1 per expression node evaluated (a comprehension charges its body once per item);
 * - 1 per 10 characters or list/map entries a function or operator reads or builds;
 * - `matches()`: 1 per character of the text per 32 characters of the pattern (at least 1).
 * A value built by a function or operator larger than MAX_BUILT_SIZE characters and entries
 * stops the evaluation too. Going over either limit is an evaluation error (E_EXPR, with the
 * expression and its position), never an out-of-memory crash or a frozen event loop.
 *
 * How: the Environment's evaluator runs every child node through `ev.run`; `meterEnvironment`
 * wraps that method (the evaluator is reached once, through a function of ours, since cel-js
 * calls function handlers with `this` = the evaluator). cel-js is pinned to the version this was
 * written against, and test/expr/cost.test.ts fails if the hook stops charging.
 *
 * `matches()` is RE2 (re2js), as the CEL specification says: linear time whatever the pattern
 * and the text, so a runtime pattern or hostile output cannot backtrack catastrophically. The
 * parsed AST's `matches` calls are renamed to RE2_MATCHES (`renameMatches`) before type-checking.
 */
import type { ASTNode, Environment } from '@marcbachmann/cel-js';
import { RE2JS } from 're2js';

/** Units one evaluation may spend (see the file comment): about a second of work. */
export const CEL_COST_LIMIT = 20_000_000;
/** Characters plus entries of one value a function or operator builds: 64 Mi. */
export const MAX_BUILT_SIZE = 64 * 1024 * 1024;

/** The function `matches` calls are evaluated as (the name is not meant to be written). */
export const RE2_MATCHES = '__runbook_re2_matches';

/** Error code (cel-js style) of an evaluation stopped by the budget. */
export const COST_LIMIT_CODE = 'cost_limit_exceeded';

/** Functions whose arguments are not read whole (macros iterate and are charged per node). */
const NOT_READ = new Set([
  'size',
  'has',
  'type',
  'dyn',
  'map',
  'filter',
  'all',
  'exists',
  'exists_one',
  'bind',
]);

class Budget {
  left = CEL_COST_LIMIT;
  exceeded: string | undefined;
  readonly stack: ASTNode[] = [];

  spend(units: number, why: () => string): void {
    this.left -= units;
    if (this.left < 0 && this.exceeded === undefined) this.exceeded = why();
    if (this.exceeded !== undefined) throw costError(this.exceeded);
  }
}

function costError(reason: string): Error {
  return Object.assign(new Error(reason), { code: COST_LIMIT_CODE });
}

/** The budget of the evaluation under way (evaluation is synchronous: one at a time). */
let current: Budget | undefined;

/** Characters plus entries of a value, counted up to `cap` (then cap + 1). */
export function sizeOf(v: unknown, cap = MAX_BUILT_SIZE): number {
  let n = 0;
  const visit = (x: unknown): void => {
    if (n > cap) return;
    if (typeof x === 'string') n += x.length + 1;
    else if (Array.isArray(x)) {
      n += 1;
      for (const y of x) {
        if (n > cap) return;
        visit(y);
      }
    } else if (x instanceof Map) {
      n += 1;
      for (const [k, y] of x) {
        visit(k);
        visit(y);
      }
    } else if (x !== null && typeof x === 'object' && !(x instanceof Uint8Array)) {
      n += 1;
      for (const y of Object.values(x)) visit(y);
    } else n += 1;
  };
  visit(v);
  return Math.min(n, cap + 1);
}

function fnName(node: ASTNode): string | undefined {
  if (node.op === 'call' || node.op === 'rcall') return node.args[0];
  return undefined;
}

/** Whether `parent` reads the whole value of a child it evaluates (a function call or `+`, `in`). */
function readsWhole(parent: ASTNode): boolean {
  if (parent.op === '+' || parent.op === 'in') return true;
  const name = fnName(parent);
  return name !== undefined && name !== RE2_MATCHES && !NOT_READ.has(name);
}

/** Whether a node builds a new value (its size is checked against MAX_BUILT_SIZE). */
function builds(node: ASTNode): boolean {
  if (node.op === '+') return true;
  const name = fnName(node);
  return name !== undefined && name !== 'bind' && name !== 'dyn';
}

const overLimit = (): string =>
  `it went over the cost limit of one evaluation (${CEL_COST_LIMIT} units: 1 per step evaluated, 1 per 10 characters or entries read or built)`;

type Run = (this: unknown, ast: ASTNode, ctx: unknown) => unknown;

/** Wraps the evaluator's `run` so that each node it evaluates is charged to the current budget. */
function meterRun(ev: { run: Run }): void {
  const run = ev.run;
  ev.run = function metered(this: unknown, ast: ASTNode, ctx: unknown): unknown {
    const b = current;
    if (!b) return run.call(this, ast, ctx);
    b.spend(1, overLimit);
    b.stack.push(ast);
    let value: unknown;
    try {
      value = run.call(this, ast, ctx);
    } finally {
      b.stack.pop();
    }
    const parent = b.stack[b.stack.length - 1];
    const read = parent !== undefined && readsWhole(parent);
    if (read || builds(ast)) {
      const size = typeof value === 'string' ? value.length : sizeOf(value);
      if (size > MAX_BUILT_SIZE && builds(ast))
        b.spend(Infinity, () => `it built a value of more than ${MAX_BUILT_SIZE} characters and entries`);
      b.spend(Math.ceil(size / 10), overLimit);
    }
    return value;
  };
}

/** Compiled RE2 patterns, most recently used last (a runtime pattern is compiled once per text). */
const compiled = new Map<string, RE2JS>();
const CACHE = 64;

/** An RE2 pattern, compiled (cached). Throws Error with RE2's reason when the pattern is invalid. */
export function re2(pattern: string): RE2JS {
  const hit = compiled.get(pattern);
  if (hit) {
    compiled.delete(pattern);
    compiled.set(pattern, hit);
    return hit;
  }
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern);
  } catch (err) {
    throw new Error(
      `invalid regular expression ${JSON.stringify(pattern)} for matches() (RE2 syntax): ${(err as Error).message}`,
    );
  }
  compiled.set(pattern, re);
  if (compiled.size > CACHE) compiled.delete(compiled.keys().next().value!);
  return re;
}

function re2Matches(text: string, pattern: string): boolean {
  current?.spend(
    text.length * Math.max(1, Math.ceil(pattern.length / 32)) + pattern.length,
    () => `matches() on ${text.length} characters went over the cost limit of one evaluation`,
  );
  return re2(pattern).test(text);
}

/**
 * Registers RE2 `matches` (under RE2_MATCHES) on `env` and hooks the cost meter into its
 * evaluator. Call once per Environment, after registering its functions and before evaluating.
 */
export function meterEnvironment(env: Environment): void {
  let ev: { run: Run } | undefined;
  env.registerFunction(
    `string.${RE2_MATCHES}(string): bool`,
    function (this: { run: Run }, s: string, p: string) {
      ev ??= this;
      return re2Matches(s, p);
    },
  );
  env.registerFunction(`${RE2_MATCHES}(string, string): bool`, (s: string, p: string) => re2Matches(s, p));
  env.evaluate(`"".${RE2_MATCHES}("")`);
  if (!ev || typeof ev.run !== 'function')
    throw new Error('cannot attach the CEL cost meter: the cel-js evaluator has changed');
  meterRun(ev);
}

/** Renames `matches` calls of a parsed (not yet checked) AST to RE2_MATCHES; returns them. */
export function renameMatches(
  ast: ASTNode,
  walk: (n: ASTNode, visit: (n: ASTNode) => void) => void,
): ASTNode[] {
  const found: ASTNode[] = [];
  walk(ast, (node) => {
    if ((node.op === 'rcall' || node.op === 'call') && node.args[0] === 'matches') {
      (node.args as unknown[])[0] = RE2_MATCHES;
      found.push(node);
    }
  });
  return found;
}

/** `text` with RE2_MATCHES written back as `matches`, for messages. */
export function celText(text: string): string {
  return text.split(RE2_MATCHES).join('matches');
}

/**
 * Runs one evaluation under a fresh budget. Throws Error with code COST_LIMIT_CODE when the
 * budget ran out, even if the expression swallowed the error (`exists` goes on after errors).
 */
export function withBudget<T>(evaluate: () => T): T {
  const outer = current;
  const b = new Budget();
  current = b;
  try {
    const value = evaluate();
    if (b.exceeded !== undefined) throw costError(b.exceeded);
    return value;
  } catch (err) {
    if (b.exceeded !== undefined) throw costError(b.exceeded);
    throw err;
  } finally {
    current = outer;
  }
}
