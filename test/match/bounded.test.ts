/**
 * Captures over device output run off the event loop: a regex that backtracks catastrophically on
 * hostile output is stopped at its deadline or on abort with a clear error, while timers keep firing.
 */
import { describe, expect, it } from 'vitest';
import type { SourcePos } from '../../src/errors.js';
import { runCaptures, runCapturesBounded } from '../../src/match/capture.js';
import { evaluateExpect, evaluateExpectBounded } from '../../src/match/expect.js';
import type { Matcher } from '../../src/match/types.js';
import type { CaptureSpec } from '../../src/runbook/model.js';
import { caught } from '../helpers/errors.js';

const pos: SourcePos = { file: 'rb.yaml', line: 9, col: 7 };
const cap = (name: string, regex: string, extra: Partial<CaptureSpec> = {}): CaptureSpec => ({
  name,
  regex,
  flags: '',
  mode: 'first',
  types: {},
  optional: false,
  pos,
  ...extra,
});
/** Not a nested quantifier (validation lets it through), yet exponential on a run of `a` with no `b`. */
const EVIL = '(?<x>(?:a|a)*)b';
const HOSTILE = `${'a'.repeat(40)}!\n`;

describe('runCapturesBounded', () => {
  it('gives the same values and evidence as runCaptures', async () => {
    const specs = [
      cap('peer', 'srcaddr=(?<ip>[0-9.]+)', { mode: 'all', types: { ip: 'ipv4' } }),
      cap('ver', 'Version (?<v>\\S+)', { mode: 'last' }),
    ];
    const out = 'srcaddr=10.0.0.1\nVersion 17.9\nsrcaddr=10.0.0.2\nVersion 17.12\n';
    expect(await runCapturesBounded(specs, out, { deadlineMs: 5_000 })).toEqual(runCaptures(specs, out));
  });

  it('stops a catastrophic regex at the deadline while the event loop stays free', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 20);
    const e = await caught(runCapturesBounded([cap('x', EVIL)], HOSTILE, { deadlineMs: 400 }));
    clearInterval(timer);
    expect(e.code).toBe('E_STEP_FAILED');
    expect(e.message).toBe(
      "capture 'x': the regex ran for more than 400 ms on 42 characters of output and was stopped (it may backtrack catastrophically on this output)",
    );
    expect(ticks).toBeGreaterThan(0);
    // the next capture gets a fresh worker
    const ok = await runCapturesBounded([cap('v', 'v(?<n>\\d)')], 'v1', { deadlineMs: 5_000 });
    expect(ok.values).toEqual({ v: { n: '1' } });
  });

  it('an abort (a second Ctrl-C) stops it at once', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const e = await caught(
      runCapturesBounded([cap('x', EVIL)], HOSTILE, { deadlineMs: 60_000, signal: ac.signal }),
    );
    expect(e.code).toBe('E_INTERRUPTED');
  });
});

describe('captured text', () => {
  it('more than 16 Mi characters of captures is refused, not journaled', async () => {
    const out = `${'x'.repeat(1024)}\n`.repeat(17 * 1024);
    const e = await caught(
      runCapturesBounded([cap('lines', '(?<l>x+)', { mode: 'all' })], out, { deadlineMs: 30_000 }),
    );
    expect(e.code).toBe('E_STEP_FAILED');
    expect(e.message).toContain('hold more than 16777216 characters');
  });
});

describe('evaluateExpectBounded', () => {
  const rx = (regex: string): Matcher => ({ kind: 'regex', regex, flags: '', pos });
  it('judges like evaluateExpect, regexes nested in all/any included', async () => {
    const m: Matcher = {
      kind: 'all',
      pos,
      of: [rx('Version \\d+'), { kind: 'any', pos, of: [rx('nothing here'), rx('uptime')] }],
    };
    const output = 'Version 17\nrouter uptime is 3 days\n';
    const ctx = { output, scope: {} };
    const got = await evaluateExpectBounded(m, ctx, { deadlineMs: 5_000 });
    expect(got).toEqual(evaluateExpect(m, ctx));
    expect(got.ok).toBe(true);
    expect(got.lines).toEqual(['Version 17', 'router uptime is 3 days']);
  });

  it('stops an expect regex that backtracks on hostile output at the deadline', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 20);
    const e = await caught(
      evaluateExpectBounded(rx('(?:a|a)*b'), { output: HOSTILE, scope: {} }, { deadlineMs: 400 }),
    );
    clearInterval(timer);
    expect(e.code).toBe('E_STEP_FAILED');
    expect(e.message).toMatch(/^rb\.yaml:9:7: expect regex: the regex ran for more than 400 ms/);
    expect(ticks).toBeGreaterThan(0);
  });
});
