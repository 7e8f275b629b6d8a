/** A test case's `results:` expectation: exactly the host's rows, in order, each a subset. */
import { describe, expect, it } from 'vitest';
import type { HostResult } from '../../src/engine/executor.js';
import { checkExpectations } from '../../src/testing/expect.js';

const result = (rows: Record<string, unknown>[]): HostResult => ({
  host: 'edge1',
  outcome: 'ok',
  message: '',
  durationMs: 1,
  steps: [],
  disruptive: [],
  wouldRun: [],
  results: rows.map((fields, i) => ({ key: `fix[${i}]`, stepId: 'fix', fields })),
});

describe('results expectation', () => {
  const rows = [
    { color: 'biz-internet', did: 'port hopped', up_after: 2 },
    { color: 'mpls', did: 'port hopped', up_after: 1 },
  ];

  it('holds when every row matches its own, in order, on the columns given', () => {
    expect(
      checkExpectations(
        { results: [{ color: 'biz-internet' }, { color: 'mpls', up_after: 1 }] },
        result(rows),
        [],
      ),
    ).toEqual([]);
  });

  it('fails on a wrong value, a missing row, an extra row, or another order', () => {
    for (const want of [
      [{ color: 'biz-internet', up_after: 3 }, { color: 'mpls' }],
      [{ color: 'biz-internet' }],
      [{ color: 'biz-internet' }, { color: 'mpls' }, { color: 'lte' }],
      [{ color: 'mpls' }, { color: 'biz-internet' }],
    ]) {
      const failures = checkExpectations({ results: want }, result(rows), []);
      expect(failures, JSON.stringify(want)).toHaveLength(1);
      expect(failures[0]).toMatch(/^results: expected rows /);
    }
  });
});
