/** Convenient captures: `match: first` of a TextFSM capture, `default:` and `required: true`. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { compileRunbookSource } from '../../src/runbook/load.js';
import { run } from '../engine/harness.js';

const BFD = readFileSync('test/fixtures/outputs/show-sdwan-bfd-sessions__1.txt', 'utf8');

function book(capture: string, message: string): string {
  return `runbook: capture-options
platform: cisco-iosxe-sdwan
steps:
  - id: look
    run: show sdwan bfd sessions
    capture:
      x: ${capture}
  - id: done
    end: {status: ok, message: "${message}"}
`;
}

async function outcome(capture: string, message: string, output: string) {
  const rb = compileRunbookSource(book(capture, message), 'c.yaml');
  return (await run(rb, { 'show sdwan bfd sessions': output })).result;
}

function diagnostics(text: string): string[] {
  try {
    compileRunbookSource(text, 'c.yaml');
  } catch (err) {
    if (err instanceof ValidationError)
      return err.diagnostics.map((d) => `${d.pos.line}:${d.pos.col} ${d.message}`);
    throw err;
  }
  return [];
}

describe('match: first of a TextFSM capture', () => {
  it('is the first record', async () => {
    const r = await outcome('{textfsm: true, match: first}', '{{ x.system_ip }} {{ x.state }}', BFD);
    expect(r).toMatchObject({ outcome: 'ok', message: '172.16.241.1 up' });
  });

  it('is null when the template found no record, with no guard needed to test it', async () => {
    const empty = BFD.split('\n').slice(0, 5).join('\n');
    const r = await outcome('{textfsm: true, match: first}', "{{ x == null ? 'none' : 'some' }}", empty);
    expect(r).toMatchObject({ outcome: 'ok', message: 'none' });
  });

  it('is its default when the template found no record, typed like the column', async () => {
    const empty = BFD.split('\n').slice(0, 5).join('\n');
    const capture =
      '{textfsm: true, match: first, types: {transitions: int}, default: {state: down, transitions: 0}}';
    const r = await outcome(capture, '{{ x.state }} {{ x.transitions + 1 }}', empty);
    expect(r).toMatchObject({ outcome: 'ok', message: 'down 1' });
  });

  it('required: true fails the step with the output quoted', async () => {
    const r = await outcome('{textfsm: true, match: first, required: true}', 'x', 'no sessions\n');
    expect(r.outcome).toBe('failed');
    expect(r.message).toContain("capture 'x': its TextFSM template found no record in the output:");
    expect(r.message).toContain('  | no sessions');
  });
});

describe('regex captures', () => {
  it('a default replaces the failure of a first capture that did not match', async () => {
    const capture = "{regex: 'decaps: (?<n>\\\\d+)', types: {n: int}, default: {n: 0}}";
    const r = await outcome(capture, '{{ x.n + 1 }}', BFD);
    expect(r).toMatchObject({ outcome: 'ok', message: '1' });
  });

  it('required: true on match: all fails on an empty list, quoting the output', async () => {
    const r = await outcome(
      "{regex: 'nomatch (?<a>\\\\d+)', match: all, required: true}",
      'x',
      'line one\nline two\n',
    );
    expect(r.outcome).toBe('failed');
    expect(r.message).toMatch(/matched nothing in the output:\n {2}\| line one\n {2}\| line two/);
  });

  it('a typed default that does not fit its type, or names no group, is a validation error', () => {
    expect(diagnostics(book("{regex: 'n=(?<n>\\\\d+)', types: {n: int}, default: {n: many}}", 'x'))).toEqual([
      "7:64 default 'n' of capture 'x' of step 'look': 'many' is not an integer",
    ]);
    expect(diagnostics(book("{regex: 'n=(?<n>\\\\d+)', default: {m: '1'}}", 'x'))).toEqual([
      "7:44 'default' of capture 'x' of step 'look' sets 'm', which its records do not have (fields: n)",
    ]);
  });
});
