import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import type { SourcePos } from '../../src/errors.js';
import type { NameDecl } from '../../src/expr/decls.js';
import { CEL_COST_LIMIT, MAX_BUILT_SIZE, sizeOf } from '../../src/expr/cost.js';
import { ExprEnv } from '../../src/expr/env.js';
import { exprError } from '../helpers/errors.js';

const pos: SourcePos = { file: 'rb.yaml', line: 3, col: 9 };
const str = { kind: 'scalar', spec: { type: 'string' } } as const;
const int = { kind: 'scalar', spec: { type: 'int' } } as const;
const decls: NameDecl[] = [
  { name: 'output', type: str },
  { name: 'pattern', type: str },
  { name: 'nums', type: { kind: 'list', items: int } },
  { name: 'names', type: { kind: 'list', items: str } },
];
const env = new ExprEnv(decls);

const range = (n: number): bigint[] => Array.from({ length: n }, (_, i) => BigInt(i));

describe('CEL cost limit', () => {
  it('a nested comprehension over a long list stops with the expression and its position', () => {
    const e = env.compile('nums.map(a, nums.map(b, nums.map(c, a + b + c))).size() > 0', pos, {
      type: 'bool',
    });
    const err = exprError(() => e.evaluate({ nums: range(1000) }));
    expect(err.message).toMatch(/^rb\.yaml:3:9: nums\.map\(a, .*: the expression was stopped: /);
    expect(err.message).toContain(`went over the cost limit of one evaluation (${CEL_COST_LIMIT} units`);
    expect(err.hint).toMatch(/nested map\(\)\/filter\(\)/);
  });

  it('the same expression over a short list evaluates', () => {
    const e = env.compile('nums.map(a, nums.map(b, a * b)).size()', pos);
    expect(e.evaluate({ nums: range(50) })).toBe(50n);
  });

  it('a string doubled by nested binds stops before it fills memory', () => {
    // each level doubles the text: 256 KiB * 2^12 = 1 Gi characters if nothing stopped it
    let src = 'output';
    for (let i = 0; i < 12; i++) src = `cel.bind(x, ${src}, x + x)`;
    const e = env.compile(`size(${src}) > 0`, pos, { type: 'bool' });
    const err = exprError(() => e.evaluate({ output: 'x'.repeat(256 * 1024) }));
    expect(err.message).toMatch(
      /the expression was stopped: it (built a value of more than|went over the cost limit)/,
    );
  });

  it('a join of copies of a large output is refused before the join', () => {
    const e = env.compile('size(nums.map(n, output).join("")) > 0', pos, { type: 'bool' });
    const err = exprError(() => e.evaluate({ nums: range(200), output: 'y'.repeat(1024 * 1024) }));
    expect(err.message).toMatch(new RegExp(`more than ${MAX_BUILT_SIZE} characters and entries`));
  });

  it('exists() that swallows errors still reports the exhausted budget', () => {
    const e = env.compile('nums.exists(a, nums.map(b, nums.map(c, c)).size() == 0)', pos, { type: 'bool' });
    exprError(() => e.evaluate({ nums: range(400) }));
  });

  it('ordinary expressions on a large output are within the budget', () => {
    const output = 'line of text\n'.repeat(1_000_000);
    const e = env.compile('output.contains("of") && size(output.split("\\n")) > 10', pos, { type: 'bool' });
    expect(e.evaluate({ output })).toBe(true);
  });

  it('sizeOf counts characters and entries, capped', () => {
    expect(sizeOf(['ab', ['c']])).toBe(1 + 3 + 1 + 2);
    expect(sizeOf('x'.repeat(100), 10)).toBe(11);
  });
});

describe('CEL matches() is RE2 (linear time)', () => {
  it('a runtime pattern that backtracks catastrophically in JavaScript answers at once', () => {
    const e = env.compile('output.matches(pattern)', pos, { type: 'bool' });
    const output = `${'a'.repeat(50_000)}!`;
    expect(e.evaluate({ output, pattern: '^(a+)+$' })).toBe(false);
    expect(e.evaluate({ output, pattern: '^(a|aa)*!$' })).toBe(true);
    expect(e.evaluate({ output: 'x', pattern: '(?i)X' })).toBe(true);
  });

  it('the global form matches(s, re) is RE2 too', () => {
    const e = env.compile('matches(output, "^(\\\\w+\\\\s?)*$")', pos, { type: 'bool' });
    expect(e.evaluate({ output: `${'word '.repeat(20_000)}!` })).toBe(false);
  });

  it('a literal pattern that is not RE2 is a validation error at its column', () => {
    let err: unknown;
    try {
      env.compile('output.matches("a(?=b)")', pos);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    const d = (err as ValidationError).diagnostics[0]!;
    expect(d.pos.col).toBe(pos.col + 15);
    expect(d.message).toMatch(/invalid regular expression "a\(\?=b\)" for matches\(\) \(RE2 syntax\)/);
    expect(d.hint).toMatch(/no lookarounds/);
  });

  it('an invalid runtime pattern is an evaluation error naming it', () => {
    const e = env.compile('output.matches(pattern)', pos, { type: 'bool' });
    const err = exprError(() => e.evaluate({ output: 'x', pattern: '(' }));
    expect(err.message).toMatch(
      /output\.matches\(pattern\): invalid regular expression "\(" for matches\(\)/,
    );
  });

  it('matches() on a huge text with a long pattern is charged to the budget', () => {
    const e = env.compile('names.exists(n, output.matches(pattern))', pos, { type: 'bool' });
    const err = exprError(() =>
      e.evaluate({
        names: Array.from({ length: 200 }, () => 'n'),
        output: 'z'.repeat(4 * 1024 * 1024),
        pattern: `${'q'.repeat(40)}|r`,
      }),
    );
    expect(err.message).toMatch(
      /matches\(\) on 4194304 characters went over the cost limit of one evaluation/,
    );
  });

  it('type errors name matches, not the function it runs as', () => {
    let err: unknown;
    try {
      env.compile('nums.matches("x")', pos);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).diagnostics[0]!.message).toMatch(/matches/);
    expect((err as ValidationError).diagnostics[0]!.message).not.toMatch(/__runbook/);
  });
});
