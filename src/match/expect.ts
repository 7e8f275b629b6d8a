/**
 * Expect matchers over a command's output: contains, not_contains, regex, expression, and their
 * `all`/`any` combinations. The result says whether the expectation holds, a human sentence why,
 * and the output lines that are the evidence.
 */
import { RunbookError, formatPos } from '../errors.js';
import type { Scope } from '../expr/types.js';
import { quoteForMessage } from '../expr/values.js';
import type { Matcher } from './types.js';
import { matchAllBounded, type Found } from './bounded.js';
import { compileRegex, linesOf, normalizeOutput } from './text.js';
import type { Lines } from './text.js';

export interface ExpectResult {
  ok: boolean;
  /** e.g. "expected output to contain 'Active' (not found)" when failed, "output contains 'Active'" when held. */
  reason: string;
  /** The output lines that matched (evidence), in output order. */
  lines: string[];
}

interface Ctx {
  text: string;
  lines: Lines;
  scope: Scope;
  /** Matches of the regex matchers, computed beforehand off the event loop (evaluateExpectBounded). */
  hits?: ReadonlyMap<Matcher, readonly Found[]>;
}

interface Partial {
  ok: boolean;
  reason: string;
  lines: Set<number>;
}

/**
 * Evaluate an expect matcher against a command output. `expression` matchers see `ctx.scope` plus
 * `output` (unless the scope already has it). An expression that fails to evaluate or is not a
 * bool throws RunbookError E_EXPR. Regexes run on this thread: for device output use
 * `evaluateExpectBounded`.
 */
export function evaluateExpect(m: Matcher, ctx: { output: string; scope: Scope }): ExpectResult {
  return judge(m, ctx);
}

/**
 * `evaluateExpect` with the `regex` matchers run off the event loop (src/match/bounded.ts), all in
 * one call: a regex that backtracks for longer than `deadlineMs`, or an abort, stops with a clear
 * error (E_STEP_FAILED / E_INTERRUPTED) instead of freezing the process. Expressions are CEL, whose
 * `matches()` is RE2 and whose evaluation has a cost limit (src/expr/cost.ts).
 */
export async function evaluateExpectBounded(
  m: Matcher,
  ctx: { output: string; scope: Scope },
  opts: { deadlineMs: number; signal?: AbortSignal },
): Promise<ExpectResult> {
  const regexes = regexMatchers(m);
  if (regexes.length === 0) return judge(m, ctx);
  const text = normalizeOutput(ctx.output);
  const patterns = regexes.map((r) => {
    const re = compileRegex(r.regex, r.flags, { global: true }, `${formatPos(r.pos)}: expect regex`);
    return { source: re.source, flags: re.flags };
  });
  const found = await matchAllBounded(patterns, text, {
    ...opts,
    what: `${formatPos(regexes[0]?.pos ?? m.pos)}: expect regex`,
  });
  const hits = new Map<Matcher, readonly Found[]>(regexes.map((r, i) => [r, found[i] ?? []]));
  return judge(m, ctx, hits);
}

function regexMatchers(m: Matcher, out: Extract<Matcher, { kind: 'regex' }>[] = []): typeof out {
  if (m.kind === 'regex') out.push(m);
  else if (m.kind === 'all' || m.kind === 'any') for (const c of m.of) regexMatchers(c, out);
  return out;
}

function judge(
  m: Matcher,
  ctx: { output: string; scope: Scope },
  hits?: ReadonlyMap<Matcher, readonly Found[]>,
): ExpectResult {
  const text = normalizeOutput(ctx.output);
  const lines = linesOf(text);
  const scope = ctx.scope['output'] === undefined ? { ...ctx.scope, output: ctx.output } : ctx.scope;
  const r = evaluate(m, { text, lines, scope, ...(hits ? { hits } : {}) });
  return { ok: r.ok, reason: r.reason, lines: [...r.lines].sort((a, b) => a - b).map((n) => lines.text[n]!) };
}

function occurrences(ctx: Ctx, needle: string): Set<number> {
  const found = new Set<number>();
  if (needle === '') return found;
  for (let i = ctx.text.indexOf(needle); i >= 0; i = ctx.text.indexOf(needle, i + 1)) {
    for (const n of ctx.lines.indexesOf(i, needle.length)) found.add(n);
  }
  return found;
}

function union(parts: Partial[]): Set<number> {
  const out = new Set<number>();
  for (const p of parts) for (const n of p.lines) out.add(n);
  return out;
}

function firstLine(ctx: Ctx, found: Set<number>): string {
  const n = Math.min(...found);
  return `line ${n + 1}: ${quoteForMessage(ctx.lines.text[n]!.trim())}`;
}

function evaluate(m: Matcher, ctx: Ctx): Partial {
  switch (m.kind) {
    case 'contains': {
      const found = occurrences(ctx, m.text);
      return found.size > 0
        ? { ok: true, reason: `output contains ${quoteForMessage(m.text)}`, lines: found }
        : {
            ok: false,
            reason: `expected output to contain ${quoteForMessage(m.text)} (not found)`,
            lines: found,
          };
    }
    case 'not_contains': {
      const found = occurrences(ctx, m.text);
      return found.size === 0
        ? { ok: true, reason: `output does not contain ${quoteForMessage(m.text)}`, lines: found }
        : {
            ok: false,
            reason: `expected output not to contain ${quoteForMessage(m.text)} (found on ${firstLine(ctx, found)})`,
            lines: found,
          };
    }
    case 'regex': {
      const found = new Set<number>();
      const all =
        ctx.hits?.get(m) ??
        ctx.text.matchAll(
          compileRegex(m.regex, m.flags, { global: true }, `${formatPos(m.pos)}: expect regex`),
        );
      for (const hit of all) for (const n of ctx.lines.indexesOf(hit.index, hit[0].length)) found.add(n);
      const shown = `/${m.regex}/${m.flags}`;
      return found.size > 0
        ? { ok: true, reason: `output matches ${shown}`, lines: found }
        : { ok: false, reason: `expected output to match ${shown} (no match)`, lines: found };
    }
    case 'expression': {
      const value = m.expr.evaluate(ctx.scope);
      if (typeof value !== 'boolean') {
        throw new RunbookError(
          'E_EXPR',
          `${formatPos(m.expr.pos)}: ${m.expr.source}: expect expression must be true or false, got ${quoteForMessage(value)}`,
          {
            hint: 'compare the value, e.g. decaps.n > 0',
          },
        );
      }
      return value
        ? { ok: true, reason: `\`${m.expr.source}\` holds`, lines: new Set() }
        : { ok: false, reason: `expected \`${m.expr.source}\` to hold (it is false)`, lines: new Set() };
    }
    case 'all': {
      const parts = m.of.map((c) => evaluate(c, ctx));
      const failed = parts.filter((p) => !p.ok);
      return failed.length === 0
        ? { ok: true, reason: parts.map((p) => p.reason).join('; '), lines: union(parts) }
        : { ok: false, reason: failed.map((p) => p.reason).join('; '), lines: union(failed) };
    }
    case 'any': {
      const parts = m.of.map((c) => evaluate(c, ctx));
      const held = parts.filter((p) => p.ok);
      return held.length > 0
        ? { ok: true, reason: held[0]!.reason, lines: union(held) }
        : {
            ok: false,
            reason: `none of ${parts.length} alternatives held: ${parts.map((p) => p.reason).join('; or ')}`,
            lines: union(parts),
          };
    }
  }
}
