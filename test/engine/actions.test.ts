/**
 * Action tables (`actions:`) over an in-memory device whose "link" comes back after one of the
 * actions: tried in order, stop at the first that verifies, `when` filters, the record, dry-run,
 * approvals, journal keys and resume, --start-at and the plan.
 */
import { describe, expect, it } from 'vitest';
import type { StepOutcome } from '../../src/engine/events.js';
import type { Value } from '../../src/expr/types.js';
import { buildPlan } from '../../src/runbook/plan.js';
import { compileRunbookSource } from '../../src/runbook/load.js';
import type { DeviceFn } from '../../src/transport/memory.js';
import { run } from './harness.js';

const SOURCE = `
runbook: link-fix
platform: cisco-iosxe
vars:
  order: {type: list, items: {type: string}, default: [bounce, reload-card, reset]}
  skip_bounce: {type: bool, default: false}
steps:
  - id: fix
    actions:
      order: order
      as: fixing
      try:
        - id: bounce
          when: '!skip_bounce'
          run: clear interface Gi1
          changes: Bounces Gi1
        - id: reload-card
          run: hw-module subslot 0/1 reload
          changes: Reloads the card of Gi1 (every port on it)
        - id: reset
          run: clear ip bgp *
          changes: Resets every BGP session
      verify:
        - id: link
          run: show interfaces Gi1
          capture:
            link: {regex: 'line protocol is (?<state>\\w+)'}
          retry: {times: 3, delay: 1s, until: "link.state == 'up'"}
  - id: report
    end:
      status: ok
      message: "{{ fixing.fixed ? 'fixed by ' + fixing.by : 'not fixed' }} after {{ fixing.did.join(', ') }}"
`;

const book = () => compileRunbookSource(SOURCE, 'link-fix.yaml');

/** A device whose link comes up once `fixer` was sent. */
function device(fixer: string): DeviceFn {
  let up = false;
  return (command) => {
    if (command === fixer) up = true;
    if (command === 'show interfaces Gi1')
      return `GigabitEthernet1 is up, line protocol is ${up ? 'up' : 'down'}\n`;
    return '';
  };
}

const sent = (r: Awaited<ReturnType<typeof run>>) => r.transport.sent.filter((c) => !c.startsWith('show '));

describe('action tables', () => {
  it('tries the actions in order and stops at the first that verifies', async () => {
    const r = await run(book(), device('hw-module subslot 0/1 reload'));
    expect(r.result.outcome).toBe('ok');
    expect(sent(r)).toEqual(['clear interface Gi1', 'hw-module subslot 0/1 reload']);
    expect(r.result.message).toBe(
      'fixed by reload-card after clear interface Gi1, hw-module subslot 0/1 reload',
    );
    // the first action's verification failed and was tolerated; the second verified
    expect(r.end('fix/try[0]/attempt/verify/link').outcome).toBe('failed');
    expect(r.end('fix/try[0]').outcome).toBe('ok');
    expect(r.end('fix/try[1]/attempt/act/reload-card').outcome).toBe('ok');
    expect(r.end('fix/try[1]/attempt/verify/link').outcome).toBe('ok');
    expect(r.of('step-end').some((e) => e.key.startsWith('fix/try[2]'))).toBe(false);
    // each try is journaled with its action id
    expect(
      r
        .of('step-start')
        .filter((e) => e.key.match(/^fix\/try\[\d\]$/))
        .map((e) => e.item),
    ).toEqual(['bounce', 'reload-card']);
  });

  it('an action whose when is false is not tried; order comes from a var', async () => {
    const r = await run(book(), device('clear ip bgp *'), {
      vars: { skip_bounce: true, order: ['reset', 'bounce'] },
    });
    expect(sent(r)).toEqual(['clear ip bgp *']);
    expect(r.result.message).toBe('fixed by reset after clear ip bgp *');
  });

  it('nothing verifies: every action is tried and the record says so', async () => {
    const r = await run(book(), device('none'));
    expect(r.result.outcome).toBe('ok');
    expect(sent(r)).toEqual(['clear interface Gi1', 'hw-module subslot 0/1 reload', 'clear ip bgp *']);
    expect(r.result.message).toMatch(/^not fixed after clear interface Gi1, /);
  });

  it('an order naming no action of the table fails when the table starts', async () => {
    const r = await run(book(), device('none'), { vars: { order: ['bounce', 'reboot'] } });
    expect(r.result.outcome).toBe('failed');
    expect(r.result.message).toContain(
      "gives 'reboot', which is not one of its actions (bounce, reload-card, reset)",
    );
    expect(sent(r)).toEqual([]);
  });

  it('a dry run never counts a withheld action as verified: it lists every action, the later ones hinging on the earlier', async () => {
    const r = await run(book(), device('clear interface Gi1'), { mode: 'dry-run' });
    expect(r.result.outcome).toBe('ok');
    expect(sent(r)).toEqual([]);
    expect(r.result.wouldRun.map((w) => [w.command, w.hingesOn?.stepId])).toEqual([
      ['clear interface Gi1', undefined],
      ['hw-module subslot 0/1 reload', 'bounce'],
      ['clear ip bgp *', 'reload-card'],
    ]);
    expect(r.result.message).toBe(
      'not fixed after clear interface Gi1, hw-module subslot 0/1 reload, clear ip bgp *',
    );
  });

  it("a dry run: a later table's action hinges only on what its own conditions read", async () => {
    const two = compileRunbookSource(
      SOURCE.replace(
        '  - id: report',
        `  - id: log
    actions:
      try:
        - id: flap
          when: '!skip_bounce'
          run: clear logging
          changes: Clears the log buffer
        - id: again
          when: '!fixing.fixed'
          run: clear interface Gi2
          changes: Bounces Gi2
  - id: report`,
      ),
      'two.yaml',
    );
    const r = await run(two, device('none'), { mode: 'dry-run' });
    expect(r.result.wouldRun.map((w) => [w.stepId, w.hingesOn?.stepId])).toEqual([
      ['bounce', undefined],
      ['reload-card', 'bounce'],
      ['reset', 'reload-card'],
      ['flap', undefined],
      // it reads the first table's record, which a withheld action left unverified
      ['again', 'reset'],
    ]);
  });

  it('asks approval per action, with its blast radius, and stops without one', async () => {
    const asked: string[] = [];
    const r = await run(book(), device('hw-module subslot 0/1 reload'), {
      approve: async (req) => {
        asked.push(`${req.key}: ${req.impact}`);
        return true;
      },
    });
    expect(r.result.outcome).toBe('ok');
    expect(asked).toEqual([
      'fix/try[0]/attempt/act/bounce: Bounces Gi1',
      'fix/try[1]/attempt/act/reload-card: Reloads the card of Gi1 (every port on it)',
    ]);
    const none = await run(book(), device('none'), { approve: undefined });
    expect(none.result.outcome).toBe('awaiting-approval');
    expect(none.result.stoppedAt).toBe('fix/try[0]/attempt/act/bounce');
  });

  it('resume restores the actions tried and goes on with the next one', async () => {
    // first run: the operator refuses the card reload after the bounce did not help
    const first = await run(book(), device('hw-module subslot 0/1 reload'), {
      approve: async (req) => req.stepId !== 'reload-card',
    });
    expect(first.result.outcome).toBe('failed');
    const completed = new Map<string, { scope: Record<string, Value>; outcome: StepOutcome }>();
    for (const e of first.of('step-end'))
      if (e.outcome === 'ok') completed.set(e.key, { scope: e.scope, outcome: e.outcome });
    expect(completed.has('fix/try[0]')).toBe(true);

    const second = await run(book(), device('hw-module subslot 0/1 reload'), {
      restore: { completed, inDoubt: new Set() },
    });
    expect(second.result.outcome).toBe('ok');
    expect(sent(second)).toEqual(['hw-module subslot 0/1 reload']);
    expect(second.end('fix/try[0]').outcome).toBe('restored');
    expect(second.result.message).toBe(
      'fixed by reload-card after clear interface Gi1, hw-module subslot 0/1 reload',
    );
  });

  it('--start-at a step inside a table is refused, naming the table', async () => {
    await expect(run(book(), device('none'), { startAt: 'reload-card' })).rejects.toThrow(
      "--start-at reload-card: that step is inside action table 'fix'",
    );
  });

  it('the plan lists the actions with their conditions and blast radius, then the verification', () => {
    const plan = buildPlan(book(), { order: ['bounce', 'reload-card', 'reset'], skip_bounce: false });
    const fix = plan.steps[0]!;
    expect(fix.kind === 'group' && fix.actions).toMatchObject({ as: 'fixing', order: 'order' });
    expect(fix.kind === 'group' && fix.steps.map((s) => [s.key, s.when])).toEqual([
      ['fix/try[*]/attempt/act/bounce', '!skip_bounce'],
      ['fix/try[*]/attempt/act/reload-card', undefined],
      ['fix/try[*]/attempt/act/reset', undefined],
    ]);
    expect(plan.approvals.map((a) => [a.stepId, a.impact, a.when.map((w) => w.words ?? w.source)])).toEqual([
      ['bounce', 'Bounces Gi1', ['only if no action before it verified', '!skip_bounce']],
      ['reload-card', 'Reloads the card of Gi1 (every port on it)', ['only if no action before it verified']],
      ['reset', 'Resets every BGP session', ['only if no action before it verified']],
    ]);
  });
});
