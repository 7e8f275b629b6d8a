/**
 * The shipped test suites (runbooks/*.test.yaml, examples/*.test.yaml) pass through the built CLI,
 * as `runbook test` prints them: every case, and a last line `N passed, 0 failed`.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const suites = ['runbooks', 'examples'].flatMap((d) =>
  readdirSync(d)
    .filter((f) => f.endsWith('.test.yaml'))
    .map((f) => `${d}/${f}`),
);

describe('runbook test on the shipped suites', () => {
  it('every runbook and example has a suite', () => {
    const runbooks = ['runbooks', 'examples'].flatMap((d) =>
      readdirSync(d)
        // (rules files are for runbook watch, not runbooks)
        .filter((f) => f.endsWith('.yaml') && !f.endsWith('.test.yaml') && !f.endsWith('.rules.yaml'))
        .map((f) => `${d}/${f}`),
    );
    for (const r of runbooks) expect(suites).toContain(r.replace(/\.yaml$/, '.test.yaml'));
  });

  it('runbook test (no arguments: every suite) passes', async () => {
    const r = await runCli(['test']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    const last = lines.at(-1)!;
    expect(last).toMatch(/^\d+ passed, 0 failed$/);
    const passed = Number(/^(\d+)/.exec(last)![1]);
    expect(lines.filter((l) => l.startsWith('PASS '))).toHaveLength(passed);
    for (const s of suites) expect(r.stdout).toContain(s);
  });

  it('a failing expectation fails the case, says why, and exits 1', async () => {
    const r = await runCli(['test', 'test/testing/fixtures/failing.test.yaml']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      'state-changing commands sent: expected ["clear crypto sa peer 10.99.99.1"], got ["clear crypto sa peer 10.40.40.1"]',
    );
    expect(r.stdout).toContain('outcome: expected failed, got ok');
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('1 passed, 2 failed');
  });

  it('an invalid suite is refused with file:line:col, exit 2', async () => {
    const r = await runCli(['test', 'test/testing/fixtures/invalid.test.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "test/testing/fixtures/invalid.test.yaml:6:5: unknown field 'expected' in 'cases[0]' (did you mean 'expect'?)",
    );
  });
});
