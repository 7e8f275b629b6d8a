/**
 * `attempt` in `retry.until` and `expect.expression` (format extension used by recover-inv-spi to
 * see a counter stop growing over at least one delay): 1 for the first try, visible only there.
 */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { runHost } from '../../src/engine/executor.js';
import { getProfile } from '../../src/platforms/index.js';
import { compileRunbookSource } from '../../src/runbook/load.js';
import { MemoryTransport } from '../../src/transport/memory.js';

const book = (extra: string) => `runbook: counter-steady
platform: cisco-iosxe
steps:
  - id: first
    run: show counter
    capture: {c1: {regex: 'drops (?<n>\\d+)', types: {n: int}}}
  - id: steady
    run: show counter
    capture: {c2: {regex: 'drops (?<n>\\d+)', types: {n: int}}}
${extra}`;

async function run(text: string, replies: string[]) {
  const runbook = compileRunbookSource(text, 'rb.yaml');
  const transport = new MemoryTransport({
    profile: getProfile('cisco-iosxe'),
    device: { 'show counter': replies },
  });
  const slept: number[] = [];
  const result = await runHost({
    runbook,
    host: { name: 'r1', address: '127.0.0.1', port: 22, platform: 'cisco-iosxe' },
    transport,
    vars: {},
    mode: 'exec',
    emit: () => undefined,
    sleep: async (ms) => {
      slept.push(ms);
    },
  });
  return { result, sent: transport.sent.length, slept };
}

describe('attempt in retry.until', () => {
  const steady = book('    retry: {times: 3, delay: 2s, until: attempt > 1 && c2.n == c1.n}\n');

  it('makes the check span at least one delay: a counter equal on the immediate re-read is read again', async () => {
    const { result, sent, slept } = await run(steady, ['drops 5', 'drops 5', 'drops 5']);
    expect(result.outcome).toBe('ok');
    expect(sent).toBe(3);
    expect(slept).toEqual([2000]);
  });

  it('a counter still growing after the delay fails the step with the last values', async () => {
    const { result, sent } = await run(steady, ['drops 5', 'drops 5', 'drops 9', 'drops 12']);
    expect(result.outcome).toBe('failed');
    expect(sent).toBe(4);
    expect(result.message).toContain('until `attempt > 1 && c2.n == c1.n` did not hold after 3 attempts');
  });

  it('is visible in expect.expression, and not after the step', () => {
    expect(() =>
      compileRunbookSource(book('    expect: {expression: attempt >= 1}\n'), 'rb.yaml'),
    ).not.toThrow();
    const later = book('  - id: later\n    assert: attempt == 1\n');
    try {
      compileRunbookSource(later, 'rb.yaml');
      throw new Error('expected a validation error');
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).diagnostics[0]!.message).toMatch(/unknown name 'attempt'/);
    }
  });
});
