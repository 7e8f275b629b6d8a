/** A run-time expression error fails its step, naming the step, the expression and the values it read. */
import { expect, it } from 'vitest';
import { compileRunbookSource } from '../../src/runbook/load.js';
import { run } from '../engine/harness.js';

it('an index past the end of a capture list names the step, the expression and the values', async () => {
  const rb = compileRunbookSource(
    `runbook: t
platform: cisco-iosxe
steps:
  - id: look
    run: show crypto ipsec sa
    capture:
      sas: {regex: 'peer (?<p>\\S+)', match: all}
  - id: pick
    set: {first: 'sas[0].p'}
`,
    'c.yaml',
  );
  const r = await run(rb, { 'show crypto ipsec sa': 'nothing' });
  expect(r.result.outcome).toBe('failed');
  expect(r.result.message).toBe(
    'step pick failed: c.yaml:9:19: sas[0].p: there is no item 0 (the list has at most 0 items) (sas = [])',
  );
});
