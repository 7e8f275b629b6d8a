/** --start-at is refused at once when a skipped step binds a name a later step reads. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkStartAt } from '../../src/engine/executor.js';
import { compileRunbookSource } from '../../src/runbook/load.js';
import { unboundAtStart } from '../../src/runbook/start-at.js';
import { runCli } from '../helpers/cli.js';

const SOURCE = `runbook: start-at
platform: cisco-iosxe
vars:
  peer: {type: ipv4, default: 10.0.0.1}
steps:
  - id: sa
    run: show crypto ipsec sa peer {{ peer }}
    capture:
      sa: {regex: 'decaps: (?<n>\\d+)', types: {n: int}}
  - id: version
    run: show version
  - id: fix
    steps:
      - id: note
        set: {before: sa.n}
      - id: clear
        run: show crypto session
      - id: verify
        assert: before >= 0
  - id: again
    run: show crypto ipsec sa peer {{ peer }}
    capture:
      sa: {regex: 'decaps: (?<n>\\d+)', types: {n: int}}
  - id: report
    end: {status: ok, message: 'decaps {{ sa.n }}'}
`;
const rb = compileRunbookSource(SOURCE, 'start.yaml');

describe('unboundAtStart', () => {
  it('finds a name bound before the start and read after it', () => {
    expect(unboundAtStart(rb.steps, 'fix').map((u) => [u.name, u.boundBy, u.readBy])).toEqual([
      ['sa', 'sa', 'note'],
    ]);
    expect(unboundAtStart(rb.steps, 'clear').map((u) => [u.name, u.boundBy, u.readBy])).toEqual([
      ['before', 'note', 'verify'],
    ]);
  });

  it('is empty when the start step binds again what later steps read', () => {
    expect(unboundAtStart(rb.steps, 'again')).toEqual([]);
    expect(unboundAtStart(rb.steps, 'sa')).toEqual([]);
  });

  it("counts a later step's result: as a read, after the step's own bindings", () => {
    const src = `runbook: start-at-result
platform: cisco-iosxe
steps:
  - id: sa
    run: show crypto ipsec sa peer 10.0.0.1
    capture:
      sa: {regex: 'decaps: (?<n>\\d+)', types: {n: int}}
  - id: version
    run: show version
    capture:
      ver: {regex: 'Version (?<v>\\S+)'}
    result: {version: ver.v, decaps: sa.n}
`;
    const book = compileRunbookSource(src, 'r.yaml');
    expect(unboundAtStart(book.steps, 'version').map((u) => [u.name, u.boundBy, u.readBy])).toEqual([
      ['sa', 'sa', 'version'],
    ]);
  });

  it('checkStartAt refuses with E_USAGE naming the skipped step, the reader and where it is', () => {
    expect(() => checkStartAt(rb, 'clear')).toThrow(
      "--start-at clear skips step 'note', whose values later steps need: step 'verify' (start.yaml:18:9) reads 'before', bound by 'note'",
    );
    expect(() => checkStartAt(rb, 'again')).not.toThrow();
  });
});

describe('runbook exec --start-at', () => {
  it('exits 2 before connecting when a skipped step binds a name a later step reads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rb-start-'));
    const file = join(dir, 'start.yaml');
    writeFileSync(file, SOURCE);
    const r = await runCli([
      'exec',
      file,
      '--host',
      '127.0.0.1:1',
      '--user',
      'u',
      '--start-at',
      'fix',
      '--dry-run',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error: --start-at fix skips step 'sa', whose values later steps need");
    expect(r.stderr).toContain("hint: start at 'sa' or earlier");
  });
});
