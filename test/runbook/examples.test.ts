/**
 * The example runbooks against realistic device output: their captures parse it, and their
 * assertions and branch conditions decide as a reader of the file would expect.
 */
import { describe, expect, it } from 'vitest';
import type { Value } from '../../src/expr/types.js';
import { varsScope } from '../../src/expr/values.js';
import { runCaptures } from '../../src/match/capture.js';
import { loadRunbook } from '../../src/runbook/load.js';
import type { Runbook, Step } from '../../src/runbook/model.js';
import { resolveVars } from '../../src/runbook/vars.js';

function find(steps: readonly Step[], id: string): Step {
  for (const s of steps) {
    if (s.id === id) return s;
    const nested = s.kind === 'group' ? [s.steps] : s.kind === 'choose' ? s.branches.map((b) => b.steps) : [];
    for (const list of nested) {
      try {
        return find(list, id);
      } catch {
        // not in this list
      }
    }
  }
  throw new Error(`no step ${id}`);
}

function capture(rb: Runbook, id: string, output: string): Record<string, Value> {
  const s = find(rb.steps, id);
  if (s.kind !== 'command') throw new Error(`${id} is not a command`);
  return runCaptures(s.captures, output).values;
}

/** Index of the first choose branch whose `when` holds (the otherwise branch has none). */
function branchTaken(rb: Runbook, id: string, scope: Record<string, Value>): number {
  const s = find(rb.steps, id);
  if (s.kind !== 'choose') throw new Error(`${id} is not a choose`);
  return s.branches.findIndex((b) => !b.when || b.when.evaluate(scope) === true);
}

const DF = `Filesystem     1024-blocks     Used Available Capacity Mounted on
/dev/sda1         41152736 38094800   1058000      98% /
`;
const DF_INODES = `Filesystem      Inodes  IUsed   IFree IUse% Mounted on
/dev/sda1      2621440 312345 2309095   12% /
`;
const FREE = `               total        used        free      shared  buff/cache   available
Mem:            7951        2210         812          35        4928        5400
Swap:           2047           0        2047
`;
const UPTIME = ' 16:55:01 up 3 days,  2:03,  1 user,  load average: 0.15, 0.10, 0.05\n';

describe('examples/linux-disk-check.yaml', async () => {
  const rb = await loadRunbook('examples/linux-disk-check.yaml');

  it('captures df, df -i, free and uptime output', () => {
    expect(capture(rb, 'disk', DF).usage).toEqual({
      device: '/dev/sda1',
      blocks: 41152736n,
      used: 38094800n,
      avail: 1058000n,
      pct: 98n,
      mounted: '/',
    });
    expect(capture(rb, 'inodes', DF_INODES).inode).toEqual({ pct: '12' });
    expect(capture(rb, 'free', FREE).mem).toEqual({ total: 7951n, used: 2210n, available: 5400n });
    expect(capture(rb, 'load', UPTIME).load).toEqual({ one: '0.15', five: '0.10', fifteen: '0.05' });
  });

  it('renders the df command from the mount var and refuses a shell-unsafe mount', () => {
    const s = find(rb.steps, 'disk');
    if (s.kind !== 'command') throw new Error('disk');
    expect(s.run.render(varsScope(resolveVars(rb, ['mount=/var/log'])))).toBe('df -P /var/log');
    expect(() => resolveVars(rb, ['mount=/; rm -rf /'])).toThrow(/does not match the pattern/);
  });

  it('fails a 98% full disk, warns at 85%, and passes at 21%', () => {
    const vars = varsScope(resolveVars(rb, []));
    const scope = (pct: bigint): Record<string, Value> => ({
      ...vars,
      ...capture(rb, 'disk', DF),
      usage: { ...(capture(rb, 'disk', DF).usage as Record<string, Value>), pct },
      inode: { pct: '12' },
    });
    expect(branchTaken(rb, 'verdict', scope(98n))).toBe(0);
    expect(branchTaken(rb, 'verdict', scope(85n))).toBe(1);
    expect(branchTaken(rb, 'verdict', scope(21n))).toBe(2);
    const sane = find(rb.steps, 'sane');
    if (sane.kind !== 'assert') throw new Error('sane');
    expect(sane.that.evaluate(scope(98n))).toBe(true);
  });

  it('only the du step is declared, and it changes nothing', () => {
    const largest = find(rb.steps, 'largest');
    expect(largest).toMatchObject({
      kind: 'command',
      disruptive: false,
      okExitCodes: [0, 1],
      onFailure: { kind: 'continue' },
    });
  });
});

const BRIEF = `Interface              IP-Address      OK? Method Status                Protocol
GigabitEthernet1       10.0.0.1        YES NVRAM  up                    up
GigabitEthernet2       unassigned      YES NVRAM  administratively down down
Tunnel10001            10.10.10.1      YES manual up                    up
`;
const SHOW_INTERFACES = `GigabitEthernet2 is up, line protocol is up
  Hardware is CSR vNIC, address is 0050.56bf.1234 (bia 0050.56bf.1234)
  Internet address is 10.0.2.1/24
     5 minute input rate 2000 bits/sec, 3 packets/sec
     1234 packets input, 123456 bytes, 0 no buffer
     0 runts, 0 giants, 0 throttles
     17 input errors, 12 CRC, 0 frame, 0 overrun, 0 ignored
     1234 packets output, 123456 bytes, 0 underruns
     0 output errors, 0 collisions, 2 interface resets
`;

describe('examples/iosxe-interface-check.yaml', async () => {
  const rb = await loadRunbook('examples/iosxe-interface-check.yaml');

  it('captures every row of show ip interface brief, including administratively down', () => {
    const rows = capture(rb, 'brief', BRIEF).rows as Record<string, Value>[];
    expect(rows.map((r) => [r.name, r.status, r.protocol])).toEqual([
      ['GigabitEthernet1', 'up', 'up'],
      ['GigabitEthernet2', 'administratively down', 'down'],
      ['Tunnel10001', 'up', 'up'],
    ]);
  });

  it('asserts the interface is present', () => {
    const present = find(rb.steps, 'present');
    if (present.kind !== 'assert') throw new Error('present');
    const rows = capture(rb, 'brief', BRIEF);
    expect(
      present.that.evaluate({ ...varsScope(resolveVars(rb, ['interface=GigabitEthernet1'])), ...rows }),
    ).toBe(true);
    expect(
      present.that.evaluate({ ...varsScope(resolveVars(rb, ['interface=GigabitEthernet9'])), ...rows }),
    ).toBe(false);
  });

  it('takes the error branch for an up/up interface with input errors', () => {
    const caps = capture(rb, 'details', SHOW_INTERFACES);
    expect(caps.state).toEqual({ status: 'up', protocol: 'up' });
    expect(caps.errors).toEqual({ input: 17n, crc: 12n });
    expect(caps.resets).toEqual({ n: 2n });
    const scope = { ...varsScope(resolveVars(rb, ['interface=GigabitEthernet2'])), ...caps };
    expect(branchTaken(rb, 'verdict', scope)).toBe(2);
    const ok = find(rb.steps, 'errors-ok');
    if (ok.kind !== 'assert') throw new Error('errors-ok');
    expect(ok.that.evaluate(scope)).toBe(false);
    expect(ok.message?.render(scope)).toBe('GigabitEthernet2 has 17 input errors (12 CRC), more than 0');
  });

  it('clears counters only when asked, as a disruptive step with a confirm dialog', () => {
    const clear = find(rb.steps, 'clear');
    if (clear.kind !== 'command') throw new Error('clear');
    expect(clear.disruptive).toBe(true);
    expect(clear.dialogs).toEqual([{ prompt: '\\[confirm\\]', answer: '', newline: true }]);
    expect(clear.when?.evaluate(varsScope(resolveVars(rb, ['interface=GigabitEthernet2'])))).toBe(false);
    expect(clear.run.render(varsScope(resolveVars(rb, ['interface=GigabitEthernet2'])))).toBe(
      'clear counters GigabitEthernet2',
    );
  });
});
