import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RunbookError } from '../../src/errors.js';
import type { SourcePos } from '../../src/errors.js';
import { ExprEnv } from '../../src/expr/env.js';
import { captureDeclType, runCaptures } from '../../src/match/capture.js';
import { evaluateExpect } from '../../src/match/expect.js';
import type { CaptureSpec, Matcher } from '../../src/runbook/model.js';

const pos: SourcePos = { file: 'rb.yaml', line: 30, col: 9 };
const session = readFileSync(new URL('./fixtures/show-crypto-session__1.txt', import.meta.url), 'utf8');
const sa = readFileSync(new URL('./fixtures/show-crypto-ipsec-sa__1.txt', import.meta.url), 'utf8');

const contains = (text: string): Matcher => ({ kind: 'contains', text, pos });
const notContains = (text: string): Matcher => ({ kind: 'not_contains', text, pos });
const regex = (re: string, flags = ''): Matcher => ({ kind: 'regex', regex: re, flags, pos });

const decapsSpec: CaptureSpec = {
  name: 'decaps',
  regex: '#pkts decaps: (?<n>\\d+)',
  flags: '',
  mode: 'first',
  types: { n: 'int' },
  optional: false,
  pos,
};
const env = new ExprEnv([
  { name: 'decaps', type: captureDeclType(decapsSpec) },
  { name: 'output', type: { kind: 'scalar', spec: { type: 'string' } } },
]);
const expression = (src: string): Matcher => ({ kind: 'expression', expr: env.compile(src, pos), pos });
const run = (m: Matcher, output = session, scope = {}) => evaluateExpect(m, { output, scope });

describe('contains / not_contains', () => {
  it('contains holds with the matching lines as evidence', () => {
    expect(run(contains('UP-ACTIVE'))).toEqual({
      ok: true,
      reason: "output contains 'UP-ACTIVE'",
      lines: ['Session status: UP-ACTIVE     '],
    });
  });

  it('contains fails with a sentence saying what was not found', () => {
    expect(run(contains('DOWN-NEGOTIATING'))).toEqual({
      ok: false,
      reason: "expected output to contain 'DOWN-NEGOTIATING' (not found)",
      lines: [],
    });
  });

  it('contains is case-sensitive', () => {
    expect(run(contains('up-active')).ok).toBe(false);
  });

  it('not_contains holds when absent and fails naming the line where it was found', () => {
    expect(run(notContains('DOWN')).ok).toBe(true);
    const r = run(notContains('Inactive'));
    expect(r.ok).toBe(false);
    expect(r.reason).toBe(
      "expected output not to contain 'Inactive' (found on line 10: 'IKE SA: local 10.1.1.1/500 remote 10.1.1.2/500 Inactive')",
    );
    expect(r.lines).toEqual(['  IKE SA: local 10.1.1.1/500 remote 10.1.1.2/500 Inactive ']);
  });
});

describe('regex', () => {
  it('holds when it matches, lines are every matching line', () => {
    const r = run(regex('IKE SA: .* (Active|Inactive)'));
    expect(r.ok).toBe(true);
    expect(r.lines).toHaveLength(2);
    expect(r.reason).toBe('output matches /IKE SA: .* (Active|Inactive)/');
  });

  it('anchors per line and honours flags', () => {
    expect(run(regex('^session status: up-active\\s*$', 'i')).ok).toBe(true);
    expect(run(regex('^session status: up-active\\s*$')).ok).toBe(false);
  });

  it('fails with a sentence', () => {
    expect(run(regex('Session status: DOWN'))).toEqual({
      ok: false,
      reason: 'expected output to match /Session status: DOWN/ (no match)',
      lines: [],
    });
  });
});

describe('expression', () => {
  const scope = runCaptures([decapsSpec], sa).values;

  it('reads captures', () => {
    expect(run(expression('decaps.n > 0'), sa, scope)).toEqual({
      ok: true,
      reason: '`decaps.n > 0` holds',
      lines: [],
    });
    expect(run(expression('decaps.n > 10'), sa, scope)).toEqual({
      ok: false,
      reason: 'expected `decaps.n > 10` to hold (it is false)',
      lines: [],
    });
  });

  it('reads the output', () => {
    expect(run(expression('output.contains("current_peer 1.1.1.1")'), sa, scope).ok).toBe(true);
    expect(run(expression('output.matches("decaps: 9")'), sa, scope).ok).toBe(false);
  });

  it('a non-bool result is an E_EXPR', () => {
    try {
      run(expression('decaps.n'), sa, scope);
      throw new Error('no error');
    } catch (err) {
      expect((err as RunbookError).code).toBe('E_EXPR');
      expect((err as RunbookError).message).toBe(
        'rb.yaml:30:9: decaps.n: expect expression must be true or false, got 4',
      );
    }
  });

  it('a runtime error propagates as E_EXPR', () => {
    expect(() => run(expression('10 / (decaps.n - 4) > 1'), sa, scope)).toThrow(/division by zero/);
  });
});

describe('all / any / nested', () => {
  it('all holds when every matcher holds, and reports every failure', () => {
    expect(run({ kind: 'all', of: [contains('UP-ACTIVE'), regex('Peer: 10\\.1\\.1\\.2')], pos }).ok).toBe(
      true,
    );
    const r = run({
      kind: 'all',
      of: [contains('UP-ACTIVE'), contains('DOWN'), notContains('Inactive')],
      pos,
    });
    expect(r.ok).toBe(false);
    expect(r.reason).toBe(
      "expected output to contain 'DOWN' (not found); expected output not to contain 'Inactive' (found on line 10: 'IKE SA: local 10.1.1.1/500 remote 10.1.1.2/500 Inactive')",
    );
    expect(r.lines).toEqual(['  IKE SA: local 10.1.1.1/500 remote 10.1.1.2/500 Inactive ']);
  });

  it('any holds when one matcher holds and gives its reason', () => {
    const r = run({ kind: 'any', of: [contains('DOWN'), contains('UP-ACTIVE')], pos });
    expect(r).toEqual({
      ok: true,
      reason: "output contains 'UP-ACTIVE'",
      lines: ['Session status: UP-ACTIVE     '],
    });
  });

  it('any fails listing every alternative', () => {
    const r = run({ kind: 'any', of: [contains('DOWN'), regex('UP-IDLE')], pos });
    expect(r.ok).toBe(false);
    expect(r.reason).toBe(
      "none of 2 alternatives held: expected output to contain 'DOWN' (not found); or expected output to match /UP-IDLE/ (no match)",
    );
  });

  it('nests: all of (any of ..., not_contains ...)', () => {
    const m: Matcher = {
      kind: 'all',
      of: [{ kind: 'any', of: [contains('UP-ACTIVE'), contains('UP-IDLE')], pos }, notContains('DOWN')],
      pos,
    };
    expect(run(m).ok).toBe(true);
    expect(run(m, 'Session status: DOWN').ok).toBe(false);
    expect(run(m, 'Session status: UP-IDLE').ok).toBe(true);
  });
});
