/**
 * Conformance: every case of ../shared/ntc-templates/tests through the engine with index lookup,
 * compared as ntc-templates' own runner does (same number of records, same keys per record, equal
 * value per key of the reference). Templates are read from the shared copy at run time.
 */
import { describe, expect, it } from 'vitest';
import { parseOutput } from '../../src/parse/lookup.js';
import { corpusAvailable, corpusCases, expected, NTC_ROOT, NTC_TEMPLATES, runnerDiff } from './ntc-corpus.js';

const CI = process.env['CI'] === 'true';

describe('ntc-templates corpus', () => {
  it.runIf(CI || !corpusAvailable())('is present beside the repository', () => {
    expect(corpusAvailable(), `ntc-templates not found at ${NTC_ROOT}`).toBe(true);
  });

  if (!corpusAvailable()) return;
  const cases = corpusCases();

  it('has the 933 cases of the shared copy', () => {
    expect(cases.length).toBe(933);
  });

  it.each(cases.map((c) => [c.id, c] as const))('%s parses as its .yml says', (_id, c) => {
    const got = parseOutput({ dirs: [NTC_TEMPLATES], platform: c.platform, command: c.command, text: c.raw });
    expect(runnerDiff(got, expected(c))).toBe('');
  });
});
