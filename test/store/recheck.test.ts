/** Values restored from a journal are checked again against the runbook's declared types. */
import { describe, expect, it } from 'vitest';
import { compileRunbookSource } from '../../src/runbook/load.js';
import { recheckRestored } from '../../src/store/recheck.js';

const book = () =>
  compileRunbookSource(
    `
runbook: sa
platform: cisco-iosxe
vars:
  peer: {type: ipv4}
steps:
  - id: sa
    run: show crypto ipsec sa peer 10.0.0.1
    capture:
      sa0: {textfsm: true, match: first, default: {pkts_encaps: 0}, types: {pkts_encaps: int}}
`,
    'sa.yaml',
  );

const restored = (scope: Record<string, unknown>) =>
  new Map([['sa', { scope: scope as Record<string, never> }]]);

describe('recheckRestored', () => {
  it('accepts a record whose columns are absent (a default record, an empty column)', () => {
    expect(() => recheckRestored(book(), 'edge1', restored({ sa0: { pkts_encaps: 0n } }))).not.toThrow();
  });

  it('accepts an optional var without a value (null), refuses one that is not its type', () => {
    expect(() => recheckRestored(book(), 'edge1', restored({ peer: null }))).not.toThrow();
    expect(() => recheckRestored(book(), 'edge1', restored({ peer: '10.0.0.1; reload' }))).toThrow(/peer/);
  });

  it('refuses a value that no longer fits its column', () => {
    expect(() =>
      recheckRestored(book(), 'edge1', restored({ sa0: { pkts_encaps: 0n, inbound_esp_spi: 'x; reload' } })),
    ).toThrow(/inbound_esp_spi/);
  });
});
