/** The runbook list functions (distinct, sum, min, max, sort, flatten) and run-time errors in runbook words. */
import { describe, expect, it } from 'vitest';
import { RunbookError, ValidationError } from '../../src/errors.js';
import type { SourcePos } from '../../src/errors.js';
import type { NameDecl } from '../../src/expr/decls.js';
import { ExprEnv } from '../../src/expr/env.js';

const pos: SourcePos = { file: 'rb.yaml', line: 3, col: 9 };
const int = { kind: 'scalar', spec: { type: 'int' } } as const;
const str = { kind: 'scalar', spec: { type: 'string' } } as const;
const decls: NameDecl[] = [
  { name: 'ns', type: { kind: 'list', items: int } },
  { name: 'names', type: { kind: 'list', items: str } },
  { name: 'sas', type: { kind: 'list', items: { kind: 'map', fields: { peer: str, n: int } } } },
  { name: 'token', type: str, secret: true },
];
const env = new ExprEnv(decls);
const scope = {
  ns: [3n, 1n, 2n, 3n],
  names: ['b', 'a', 'b'],
  sas: [
    { peer: '10.0.0.2', n: 5n },
    { peer: '10.0.0.1', n: 0n },
    { peer: '10.0.0.2', n: 5n },
  ],
  token: 's3cret',
};
const ev = (source: string, s: Record<string, unknown> = scope) =>
  env.compile(source, pos).evaluate(s as never);

describe('list functions', () => {
  it.each([
    ['ns.distinct()', [3n, 1n, 2n]],
    ['names.distinct()', ['b', 'a']],
    ['sas.distinct().map(s, s.peer)', ['10.0.0.2', '10.0.0.1']],
    ['ns.sum()', 9n],
    ['sas.map(s, s.n).sum()', 10n],
    ['ns.min()', 1n],
    ['ns.max()', 3n],
    ['names.min()', 'a'],
    ['names.max()', 'b'],
    ['ns.sort()', [1n, 2n, 3n, 3n]],
    ['names.sort().join(",")', 'a,b,b'],
    ['[ns, [7]].flatten()', [3n, 1n, 2n, 3n, 7n]],
    ['sas.map(s, s.peer).distinct().sort()', ['10.0.0.1', '10.0.0.2']],
  ])('%s', (source, want) => {
    expect(ev(source)).toEqual(want);
  });

  it('sort does not change the list it was given', () => {
    ev('ns.sort()');
    expect(scope.ns).toEqual([3n, 1n, 2n, 3n]);
  });

  it.each(['names.sum()', 'sas.sort()', 'ns.flatten()', 'sas.min()'])(
    '%s is a type error at validate time',
    (source) => {
      expect(() => env.compile(source, pos)).toThrow(ValidationError);
    },
  );

  it('the type of a result is known at validate time', () => {
    expect(env.compile('ns.distinct()', pos).type).toBe('list<int>');
    expect(env.compile('[names, names].flatten()', pos).type).toBe('list<string>');
    expect(() => env.compile('ns.sum() == "x"', pos)).toThrow(ValidationError);
  });
});

describe('run-time errors in runbook words', () => {
  const failure = (source: string, s: Record<string, unknown> = scope): RunbookError => {
    try {
      ev(source, s);
    } catch (err) {
      expect(err).toBeInstanceOf(RunbookError);
      return err as RunbookError;
    }
    throw new Error('expected an error');
  };

  it('an index past the end names the item, the expression and the values', () => {
    const err = failure('sas[0].peer', { ...scope, sas: [] });
    expect(err.code).toBe('E_EXPR');
    expect(err.message).toBe(
      'rb.yaml:3:9: sas[0].peer: there is no item 0 (the list has at most 0 items) (sas = [])',
    );
    expect(err.message).not.toContain('undefined');
    expect(err.hint).toContain("'match: first'");
  });

  it('min of an empty list names the function', () => {
    expect(failure('ns.min() > 0', { ...scope, ns: [] }).message).toContain('min() of an empty list');
  });

  it('a secret value is never shown', () => {
    const err = failure('token.size() / 0 > 1');
    expect(err.message).toContain('token = ********');
    expect(err.message).not.toContain('s3cret');
  });
});
