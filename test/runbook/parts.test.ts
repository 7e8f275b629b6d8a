/** Parts: `use:` inlines another file's steps at validate time, named `<use id>/<part step id>`. */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkStartAt } from '../../src/engine/executor.js';
import { loadRunbook } from '../../src/runbook/load.js';
import type { Step } from '../../src/runbook/model.js';
import { run } from '../engine/harness.js';

const PART = `part: clear-and-check
params:
  peer: {type: ipv4}
  want: {type: int, default: 1}
steps:
  - id: clear
    run: clear crypto sa peer {{ peer }}
    changes: Renegotiates the IPsec SA with {{ peer }} only
  - id: sa
    run: show crypto ipsec sa peer {{ peer }}
    capture:
      sa: {regex: 'decaps: (?<n>\\d+)', types: {n: int}, default: {n: 0}}
  - id: check
    assert: sa.n >= want
    message: 'decaps {{ sa.n }} < {{ want }}'
`;

function setup(runbook: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'rb-parts-'));
  mkdirSync(join(dir, 'parts'));
  writeFileSync(join(dir, 'parts', 'clear-and-check.yaml'), PART);
  writeFileSync(join(dir, 'rb.yaml'), runbook);
  return join(dir, 'rb.yaml');
}

const RUNBOOK = `runbook: with-parts
platform: cisco-iosxe
vars:
  peer: {type: ipv4, default: 10.0.0.1}
steps:
  - id: first
    use: parts/clear-and-check.yaml
    with: {peer: '{{ peer }}'}
  - id: second
    use: parts/clear-and-check.yaml
    with: {peer: 10.0.0.2, want: 5}
  - id: done
    end: {status: ok, message: 'second peer decaps {{ sa.n }}, runbook peer {{ peer }}'}
`;

const ids = (steps: readonly Step[]): string[] =>
  steps.flatMap((s) => [s.id, ...(s.kind === 'group' ? ids(s.steps) : [])]);

describe('use: a part', () => {
  it('inlines the part as a group whose steps are named by a stable path', async () => {
    const rb = await loadRunbook(setup(RUNBOOK));
    expect(ids(rb.steps)).toEqual([
      'first',
      'first/with',
      'first/clear',
      'first/sa',
      'first/check',
      'second',
      'second/with',
      'second/clear',
      'second/sa',
      'second/check',
      'second/restore',
      'done',
    ]);
    const clear = (rb.steps[1] as Extract<Step, { kind: 'group' }>).steps[1]!;
    expect(clear).toMatchObject({ kind: 'command', disruptive: true });
    expect(() => checkStartAt(rb, 'second')).not.toThrow();
    // inside a part, the parameters would be unbound: refused, naming the step that binds them
    expect(() => checkStartAt(rb, 'second/sa')).toThrow(/skips step 'second\/with'/);
  });

  it('runs with each use site binding its own parameters; a parameter hides a runbook name only inside the part', async () => {
    const rb = await loadRunbook(setup(RUNBOOK));
    const r = await run(
      rb,
      {
        'clear crypto sa peer 10.0.0.1': '',
        'clear crypto sa peer 10.0.0.2': '',
        'show crypto ipsec sa peer 10.0.0.1': '#pkts decaps: 3',
        'show crypto ipsec sa peer 10.0.0.2': '#pkts decaps: 7',
      },
      { approve: async () => true },
    );
    expect(r.result).toMatchObject({ outcome: 'ok', message: 'second peer decaps 7, runbook peer 10.0.0.1' });
    expect(r.result.steps.map((s) => s.key)).toContain('second/check');
  });

  it('a parameter check fails at its use site with the value from that site', async () => {
    const rb = await loadRunbook(setup(RUNBOOK));
    const r = await run(
      rb,
      {
        'clear crypto sa peer 10.0.0.1': '',
        'clear crypto sa peer 10.0.0.2': '',
        'show crypto ipsec sa peer 10.0.0.1': '#pkts decaps: 3',
        'show crypto ipsec sa peer 10.0.0.2': '#pkts decaps: 4',
      },
      { approve: async () => true },
    );
    expect(r.result.outcome).toBe('failed');
    expect(r.result.stoppedAt).toBe('second/check');
    expect(r.result.message).toContain('decaps 4 < 5');
  });
});
