/** A poll that does not hold names the last values it read: of a record, only the fields it reads. */
import { describe, expect, it } from 'vitest';
import { compileRunbookSource } from '../../src/runbook/load.js';
import { run } from './harness.js';

const book = () =>
  compileRunbookSource(
    `
runbook: poll
platform: cisco-iosxe
steps:
  - id: sa
    run: show crypto ipsec sa
    capture:
      sa: {regex: 'encaps: (?<enc>\\d+), decaps: (?<dec>\\d+), peer (?<peer>\\S+), tag (?<tag>\\S+)', types: {enc: int, dec: int}}
    retry: {times: 2, delay: 1s, until: sa.dec > 0 && sa.enc > 0}
`,
    'poll.yaml',
  );

describe('last values of a poll that did not hold', () => {
  it('shows the fields of a record the expression reads, not every column', async () => {
    const r = await run(book(), {
      'show crypto ipsec sa': 'encaps: 5, decaps: 0, peer 10.0.0.1, tag map-1\n',
    });
    expect(r.result.outcome).toBe('failed');
    expect(r.result.message).toContain('(last values: sa = {enc: 5, dec: 0})');
  });
});
