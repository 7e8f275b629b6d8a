/** Every shipped runbook, example and valid fixture passes validation. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic, ValidationError } from '../../src/errors.js';
import { loadRunbook } from '../../src/runbook/load.js';

function yamlFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (
    readdirSync(dir)
      // `*.rules.yaml` are `runbook watch` rules files (test/watch/examples.test.ts validates them;
      // `*.test.yaml` are `runbook test` suites (test/testing/shipped-suites.test.ts runs them)
      .filter((f) => /\.ya?ml$/.test(f) && !/\.rules\.ya?ml$/.test(f) && !f.endsWith('.test.yaml'))
      .sort()
      .map((f) => join(dir, f))
  );
}

const files = [...yamlFiles('runbooks'), ...yamlFiles('examples'), ...yamlFiles('test/fixtures/valid')];

describe('valid runbooks', () => {
  it('includes the two example runbooks users copy', () => {
    expect(files).toContain(join('examples', 'linux-disk-check.yaml'));
    expect(files).toContain(join('examples', 'iosxe-interface-check.yaml'));
  });

  it.each(files)('%s validates', async (file) => {
    try {
      const runbook = await loadRunbook(file);
      expect(runbook.steps.length).toBeGreaterThan(0);
    } catch (err) {
      if (err instanceof ValidationError)
        throw new Error(`${file} is invalid:\n${err.diagnostics.map(formatDiagnostic).join('\n')}`);
      throw err;
    }
  });
});
