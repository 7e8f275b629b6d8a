/** `runbook validate`: file:line:col lines with hints, ok lines, exit 0 / 2. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { validateFiles } from '../../src/cli/validate.js';

let out = '';
let err = '';
beforeEach(() => {
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation(
    (s: string | Uint8Array) => ((out += String(s)), true),
  );
  vi.spyOn(process.stderr, 'write').mockImplementation(
    (s: string | Uint8Array) => ((err += String(s)), true),
  );
});
afterEach(() => vi.restoreAllMocks());

describe('runbook validate', () => {
  it('prints ok with the step count and exits 0 for valid files', async () => {
    const code = await validateFiles(['examples/linux-disk-check.yaml', 'test/fixtures/valid/minimal.yaml']);
    expect(code).toBe(0);
    expect(out).toBe(
      'ok: examples/linux-disk-check.yaml (11 steps)\nok: test/fixtures/valid/minimal.yaml (1 steps)\n',
    );
    expect(err).toBe('');
  });

  it('prints every error as file:line:col with a hint and exits 2', async () => {
    const code = await validateFiles([
      'test/fixtures/valid/minimal.yaml',
      'test/fixtures/invalid/many-errors.yaml',
    ]);
    expect(code).toBe(2);
    expect(out).toBe('ok: test/fixtures/valid/minimal.yaml (1 steps)\n');
    const lines = err.split('\n');
    expect(lines.filter((l) => l.startsWith('test/fixtures/invalid/many-errors.yaml:'))).toHaveLength(4);
    expect(lines[0]).toBe(
      "test/fixtures/invalid/many-errors.yaml:12:20: 'times' in retry of step 'sa' must be an integer >= 1",
    );
    expect(err).toContain(
      "test/fixtures/invalid/many-errors.yaml:15:9: duplicate step id 'sa' (first used at line 10)\n  hint: step ids must be unique",
    );
    expect(lines.at(-2)).toBe('1 of 2 files invalid');
  });

  it('reports a missing file and exits 2', async () => {
    const code = await validateFiles(['nope.yaml']);
    expect(code).toBe(2);
    expect(err).toContain('error: cannot read runbook nope.yaml: no such file\n  hint:');
  });
});
