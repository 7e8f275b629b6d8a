/** Executor constructs over hand-built models and the in-memory transport. */
import { describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../src/engine/events.js';
import { runHost } from '../../src/engine/executor.js';
import { RunbookError } from '../../src/errors.js';
import { getProfile } from '../../src/platforms/index.js';
import { MemoryTransport } from '../../src/transport/memory.js';
import { assertStep, choose, cmd, contains, end, expectExpr, group, runbook, setStep } from './build.js';
import { run } from './harness.js';

const SA_OK =
  'interface: Tunnel1\n    #pkts encaps: 10, #pkts encrypt: 10\n    #pkts decaps: 7, #pkts decrypt: 7';
const SA_ZERO =
  'interface: Tunnel1\n    #pkts encaps: 10, #pkts encrypt: 10\n    #pkts decaps: 0, #pkts decrypt: 0';

describe('command steps', () => {
  it('sends read-only commands in order and finishes ok', async () => {
    const rb = runbook([cmd('a', 'show version', { expect: contains('IOS XE') }), cmd('b', 'show clock')]);
    const r = await run(rb, {
      'show version': 'Cisco IOS XE Software, Version 17.9',
      'show clock': '12:00:00',
    });
    expect(r.transport.sent).toEqual(['show version', 'show clock']);
    expect(r.result.outcome).toBe('ok');
    expect(r.result.steps.map((s) => [s.key, s.outcome])).toEqual([
      ['a', 'ok'],
      ['b', 'ok'],
    ]);
    expect(r.transport.closed).toBe(true);
  });

  it('a platform error pattern fails the step even when its matchers hold', async () => {
    const rb = runbook([
      cmd('a', 'show crypto sesion', { expect: contains('marker') }),
      cmd('b', 'show clock'),
    ]);
    const r = await run(rb, {
      'show crypto sesion': "             ^\n% Invalid input detected at '^' marker.",
    });
    expect(r.result.outcome).toBe('failed');
    expect(r.end('a').error?.code).toBe('E_DEVICE_ERROR');
    expect(r.result.message).toContain('% Invalid input');
    expect(r.transport.sent).toEqual(['show crypto sesion']);
    expect(r.result.stoppedAt).toBe('a');
  });

  it('expect that does not hold fails the step with the matcher reason', async () => {
    const rb = runbook([cmd('a', 'show version', { expect: contains('IOS XR') })]);
    const r = await run(rb, { 'show version': 'Cisco IOS XE Software' });
    expect(r.result.outcome).toBe('failed');
    expect(r.end('a').message).toMatch(/expect failed.*IOS XR/);
  });

  it('an exec exit status outside okExitCodes fails; listed codes pass', async () => {
    const rb = runbook([cmd('a', 'grep -c x /etc/hosts', { okExitCodes: [0, 1] }), cmd('b', 'cat /nope')], {
      platform: 'linux',
    });
    const r = await run(rb, {
      'grep -c x /etc/hosts': { output: '0', exitCode: 1 },
      'cat /nope': { output: '', exitCode: 1, stderr: 'cat: /nope: No such file or directory' },
    });
    expect(r.end('a').outcome).toBe('ok');
    expect(r.end('b').message).toContain('exit status 1 (expected 0): cat: /nope: No such file');
  });

  it('captures are typed and visible to later steps and templates', async () => {
    const rb = runbook([
      cmd('find', 'show logging', {
        capture: { ev: { regex: 'srcaddr=(?<peer>[0-9.]+)', mode: 'last', types: { peer: 'ipv4' } } },
      }),
      cmd('sa', 'show crypto ipsec sa peer {{ ev.peer }}', {
        capture: { sa: { regex: '#pkts decaps: (?<n>\\d+)', types: { n: 'int' } } },
      }),
      assertStep('moving', 'sa.n > 5'),
    ]);
    const r = await run(rb, {
      'show logging': 'x srcaddr=10.1.1.1\ny srcaddr=10.2.2.2',
      'show crypto ipsec sa peer 10.2.2.2': SA_OK,
    });
    expect(r.transport.sent[1]).toBe('show crypto ipsec sa peer 10.2.2.2');
    expect(r.end('sa').captures).toEqual({ sa: { n: 7n } });
    expect(r.result.steps.find((s) => s.key === 'sa')?.captures).toEqual({ sa: { n: 7 } });
    expect(r.result.outcome).toBe('ok');
  });

  it('a template value with a newline is refused before anything is sent', async () => {
    const rb = runbook([
      cmd('find', 'show logging', { capture: { ev: { regex: 'peer=(?<peer>.*)', mode: 'first' } } }),
      setStep('evil', { target: '"10.0.0.1\\nreload"' }),
      cmd('sa', 'show crypto ipsec sa peer {{ target }}'),
    ]);
    const r = await run(rb, { 'show logging': 'peer=x' });
    expect(r.transport.sent).toEqual(['show logging']);
    expect(r.end('sa').error?.code).toBe('E_TEMPLATE');
    expect(r.result.outcome).toBe('failed');
  });

  it('a transport error fails the step with its code', async () => {
    const rb = runbook([cmd('a', 'show tech', { timeoutMs: 5 })]);
    const r = await run(rb, { 'show tech': { output: 'lots', delayMs: 200 } });
    expect(r.end('a').error?.code).toBe('E_TIMEOUT');
    expect(r.result.outcome).toBe('failed');
  });

  it('a dialog prompt is answered by the step dialog rule', async () => {
    const rb = runbook([
      cmd('clear', 'clear crypto sa', {
        changes: 'all SAs renegotiate',
        dialogs: [{ prompt: '\\[confirm\\]', answer: 'y', newline: true }],
      }),
    ]);
    const r = await run(rb, { 'clear crypto sa': { output: '', prompts: ['Clear all SAs? [confirm]'] } });
    expect(r.transport.answered).toEqual([
      { command: 'clear crypto sa', prompt: 'Clear all SAs? [confirm]', answer: 'y' },
    ]);
    expect(r.result.outcome).toBe('ok');
    expect(r.result.disruptive).toEqual(['clear crypto sa']);
  });

  it('the runtime safety net refuses a step whose rendered command is no longer read-only', async () => {
    // `show {{x}}` is read-only as written, but `show x; reload` rendered is not (`;` separates
    // commands), so it is refused even without `changes`.
    const profile = getProfile('cisco-iosxe');
    const transport = new MemoryTransport({ profile, device: () => 'ok' });
    const events: EngineEvent[] = [];
    const rb = runbook([setStep('s', { x: '"x; reload"' }), cmd('a', 'show {{x}}')]);
    const result = await runHost({
      runbook: rb,
      host: { name: 'r1', address: '127.0.0.1', port: 22, platform: 'cisco-iosxe' },
      transport,
      vars: {},
      mode: 'exec',
      approve: async () => true,
      emit: (e) => events.push(e),
    });
    expect(transport.sent).toEqual([]);
    expect(result.outcome).toBe('failed');
    expect(result.steps[1]?.message).toMatch(/refused to send `show x; reload`.*not read-only/);
  });
});

describe('retry', () => {
  it('until stops polling as soon as it holds, and never sleeps after that', async () => {
    const rb = runbook([
      cmd('verify', 'show crypto ipsec sa', {
        capture: { sa: { regex: '#pkts decaps: (?<n>\\d+)', types: { n: 'int' } } },
        retry: { times: 10, delayMs: 5000, until: 'sa.n > 0' },
      }),
    ]);
    const r = await run(rb, { 'show crypto ipsec sa': [SA_ZERO, SA_ZERO, SA_OK] });
    expect(r.transport.sent).toHaveLength(3);
    expect(r.slept).toEqual([5000, 5000]);
    expect(r.of('retry-wait').map((e) => e.attempt)).toEqual([1, 2]);
    expect(r.end('verify').outcome).toBe('ok');
    expect(r.result.steps[0]?.attempts).toBe(3);
  });

  it('until that never holds fails after all attempts naming the expression and last values', async () => {
    const rb = runbook([
      cmd('verify', 'show crypto ipsec sa', {
        capture: { sa: { regex: '#pkts decaps: (?<n>\\d+)', types: { n: 'int' } } },
        retry: { times: 3, delayMs: 10, until: 'sa.n > 0' },
      }),
    ]);
    const r = await run(rb, { 'show crypto ipsec sa': SA_ZERO });
    expect(r.transport.sent).toHaveLength(3);
    expect(r.slept).toEqual([10, 10]);
    expect(r.end('verify').message).toBe(
      'until `sa.n > 0` did not hold after 3 attempts (last values: sa = {n: 0})',
    );
    expect(r.result.outcome).toBe('failed');
  });

  it('without until, retries while the step fails', async () => {
    const rb = runbook([cmd('a', 'show bfd', { expect: contains('up'), retry: { times: 5, delayMs: 1 } })]);
    const r = await run(rb, { 'show bfd': ['down', 'up'] });
    expect(r.transport.sent).toHaveLength(2);
    expect(r.slept).toEqual([1]);
    expect(r.result.outcome).toBe('ok');
  });

  it('a device error on every attempt exhausts the retries', async () => {
    const rb = runbook([cmd('a', 'show bfd', { retry: { times: 2, delayMs: 1 } })]);
    const r = await run(rb, { 'show bfd': '% Invalid input detected at marker' });
    expect(r.transport.sent).toHaveLength(2);
    expect(r.slept).toEqual([1]);
    expect(r.end('a').error?.code).toBe('E_DEVICE_ERROR');
  });
});

describe('structure', () => {
  it('when false skips the step without sending', async () => {
    const rb = runbook([
      setStep('s', { sdwan: 'false' }),
      cmd('a', 'show sdwan bfd sessions', { when: 'sdwan' }),
      cmd('b', 'show clock'),
    ]);
    const r = await run(rb, { 'show clock': 'now' });
    expect(r.transport.sent).toEqual(['show clock']);
    expect(r.end('a').outcome).toBe('skipped');
    expect(r.end('a').message).toBe('when `sdwan` is false');
  });

  it('groups key their children group/child; for_each iterations group[i]/child with the item', async () => {
    const rb = runbook([
      setStep('s', { peers: '["10.1.1.1", "10.2.2.2"]' }),
      group('outer', [
        group('per-peer', [cmd('sa', 'show crypto ipsec sa peer {{ p }}')], { forEach: 'peers', as: 'p' }),
      ]),
    ]);
    const r = await run(rb, {
      'show crypto ipsec sa peer 10.1.1.1': 'a',
      'show crypto ipsec sa peer 10.2.2.2': 'b',
    });
    expect(r.transport.sent).toEqual([
      'show crypto ipsec sa peer 10.1.1.1',
      'show crypto ipsec sa peer 10.2.2.2',
    ]);
    expect(r.of('step-start').map((e) => [e.key, e.item])).toEqual([
      ['s', undefined],
      ['outer', undefined],
      ['outer/per-peer', undefined],
      ['outer/per-peer[0]', '10.1.1.1'],
      ['outer/per-peer[0]/sa', undefined],
      ['outer/per-peer[1]', '10.2.2.2'],
      ['outer/per-peer[1]/sa', undefined],
    ]);
    expect(r.result.steps.map((s) => s.key)).toEqual([
      's',
      'outer/per-peer[0]/sa',
      'outer/per-peer[0]',
      'outer/per-peer[1]/sa',
      'outer/per-peer[1]',
      'outer/per-peer',
      'outer',
    ]);
    expect(r.result.steps.find((s) => s.key === 'outer/per-peer[1]')?.item).toBe('10.2.2.2');
    // the loop variable is not a binding of the group: it is gone after the loop
    expect(r.end('outer/per-peer').scope).toEqual({});
  });

  it('choose runs the first branch that holds, the otherwise branch when none does', async () => {
    const mk = (kind: string) =>
      runbook([
        setStep('s', { kind: `"${kind}"` }),
        choose('how', [
          {
            when: 'kind == "classic"',
            steps: [cmd('clear-sa', 'clear crypto sa peer 10.1.1.1', { changes: 'one peer' })],
          },
          {
            when: 'kind == "sdwan"',
            steps: [
              cmd('rekey', 'request platform software sdwan security ipsec-rekey', {
                changes: 'all sdwan tunnels',
              }),
            ],
          },
          { steps: [end('unknown', 'failed', 'unknown kind {{ kind }}')] },
        ]),
      ]);
    const sdwan = await run(mk('sdwan'), { 'request platform software sdwan security ipsec-rekey': '' });
    expect(sdwan.transport.sent).toEqual(['request platform software sdwan security ipsec-rekey']);
    expect(sdwan.end('how/rekey').outcome).toBe('ok');
    const other = await run(mk('gre'), {});
    expect(other.transport.sent).toEqual([]);
    expect(other.result.outcome).toBe('failed');
    expect(other.result.message).toBe('unknown kind gre');
  });

  it('choose with no matching branch and no otherwise is skipped', async () => {
    const rb = runbook([
      choose('c', [{ when: '1 == 2', steps: [cmd('x', 'show x')] }]),
      cmd('y', 'show clock'),
    ]);
    const r = await run(rb, { 'show clock': 't' });
    expect(r.end('c').outcome).toBe('skipped');
    expect(r.transport.sent).toEqual(['show clock']);
  });

  it('end ok stops the walk with outcome ok and its message', async () => {
    const rb = runbook([
      cmd('find', 'show logging', { capture: { ev: { regex: 'srcaddr=(?<peer>\\S+)', mode: 'all' } } }),
      end('nothing', 'ok', 'no events ({{ size(ev) }})', { when: 'size(ev) == 0' }),
      cmd('after', 'show clock'),
    ]);
    const r = await run(rb, { 'show logging': 'quiet' });
    expect(r.result.outcome).toBe('ok');
    expect(r.result.message).toBe('no events (0)');
    expect(r.transport.sent).toEqual(['show logging']);
    expect(r.end('nothing').outcome).toBe('ended');
  });

  it('assert false fails with its rendered message; set binds values', async () => {
    const rb = runbook([
      setStep('s', { n: '3', m: 'n * 2' }),
      assertStep('check', 'm == 7', 'm is {{ m }}, not 7'),
    ]);
    const r = await run(rb, {});
    expect(r.end('s').scope).toEqual({ n: 3n, m: 6n });
    expect(r.end('check').message).toBe('m is 6, not 7');
    expect(r.result.outcome).toBe('failed');
    expect(r.result.message).toBe('step check failed: m is 6, not 7');
  });
});

describe('on_failure', () => {
  it('abort (default) stops the host at the failing step', async () => {
    const rb = runbook([cmd('a', 'show a', { expect: contains('yes') }), cmd('b', 'show b')]);
    const r = await run(rb, { 'show a': 'no', 'show b': 'b' });
    expect(r.transport.sent).toEqual(['show a']);
    expect(r.result.outcome).toBe('failed');
    expect(r.result.stoppedAt).toBe('a');
  });

  it('continue records the failure and goes on; the host outcome stays ok', async () => {
    const rb = runbook([
      cmd('a', 'show a', { expect: contains('yes'), onFailure: { kind: 'continue' } }),
      cmd('b', 'show b'),
    ]);
    const r = await run(rb, { 'show a': 'no', 'show b': 'b' });
    expect(r.transport.sent).toEqual(['show a', 'show b']);
    expect(r.end('a').outcome).toBe('failed');
    expect(r.result.outcome).toBe('ok');
  });

  it('recovery steps run, then the host fails unless they end', async () => {
    const recover = cmd('a', 'show a', {
      expect: contains('yes'),
      onFailure: { kind: 'steps', steps: [cmd('collect', 'show logging')] },
    });
    const r = await run(runbook([recover, cmd('b', 'show b')]), { 'show a': 'no', 'show logging': 'log' });
    expect(r.transport.sent).toEqual(['show a', 'show logging']);
    expect(r.end('a/collect').outcome).toBe('ok');
    expect(r.result.outcome).toBe('failed');
    expect(r.result.message).toContain('recovery steps ran');

    const ending = cmd('a', 'show a', {
      expect: contains('yes'),
      onFailure: { kind: 'steps', steps: [end('fine', 'ok', 'handled')] },
    });
    const r2 = await run(runbook([ending, cmd('b', 'show b')]), { 'show a': 'no' });
    expect(r2.result.outcome).toBe('ok');
    expect(r2.result.message).toBe('handled');
  });

  it('a child failure fails its group, whose own on_failure applies', async () => {
    const rb = runbook([
      group('g', [cmd('a', 'show a', { expect: contains('yes') }), cmd('b', 'show b')], {
        onFailure: { kind: 'continue' },
      }),
      cmd('c', 'show c'),
    ]);
    const r = await run(rb, { 'show a': 'no', 'show c': 'c' });
    expect(r.transport.sent).toEqual(['show a', 'show c']);
    expect(r.end('g').outcome).toBe('failed');
    expect(r.result.outcome).toBe('ok');
  });
});

describe('approval', () => {
  const rb = () =>
    runbook([
      cmd('check', 'show crypto ipsec sa peer 10.1.1.1'),
      cmd('clear-sa', 'clear crypto sa peer 10.1.1.1', { changes: 'renegotiates the SA with 10.1.1.1' }),
      cmd('verify', 'show crypto ipsec sa peer 10.1.1.1'),
    ]);
  const device = { 'show crypto ipsec sa peer 10.1.1.1': SA_OK, 'clear crypto sa peer 10.1.1.1': '' };

  it('granted: the disruptive command is sent after the request', async () => {
    const asked: string[] = [];
    const r = await run(rb(), device, {
      approve: async (req) => (asked.push(`${req.key}: ${req.command} (${req.impact})`), true),
    });
    expect(asked).toEqual(['clear-sa: clear crypto sa peer 10.1.1.1 (renegotiates the SA with 10.1.1.1)']);
    expect(r.transport.sent).toEqual([
      'show crypto ipsec sa peer 10.1.1.1',
      'clear crypto sa peer 10.1.1.1',
      'show crypto ipsec sa peer 10.1.1.1',
    ]);
    expect(r.result.disruptive).toEqual(['clear crypto sa peer 10.1.1.1']);
    expect(r.of('approval-result')).toMatchObject([{ approved: true }]);
  });

  it('refused: nothing disruptive is sent and the host fails', async () => {
    const r = await run(rb(), device, { approve: async () => false });
    expect(r.transport.sent).toEqual(['show crypto ipsec sa peer 10.1.1.1']);
    expect(r.result.outcome).toBe('failed');
    expect(r.result.message).toMatch(/approval refused/);
    expect(r.end('clear-sa').error?.code).toBe('E_APPROVAL_REQUIRED');
    expect(r.result.disruptive).toEqual([]);
  });

  it('absent: the run stops awaiting approval before the first disruptive command', async () => {
    const r = await run(rb(), device, { approve: undefined });
    expect(r.transport.sent).toEqual(['show crypto ipsec sa peer 10.1.1.1']);
    expect(r.result.outcome).toBe('awaiting-approval');
    expect(r.result.stoppedAt).toBe('clear-sa');
    expect(r.result.message).toMatch(/--yes/);
    expect(r.of('step-end').map((e) => e.key)).toEqual(['check']);
  });
});

describe('dry-run', () => {
  it('reports disruptive steps as would-run with evidence, never sends them, and polls verification once', async () => {
    const rb = runbook([
      cmd('find', 'show logging | include INV_SPI', {
        capture: { ev: { regex: 'srcaddr=(?<peer>[0-9.]+)', mode: 'last' } },
      }),
      cmd('sa', 'show crypto ipsec sa peer {{ ev.peer }}', {
        capture: { sa: { regex: '#pkts decaps: (?<n>\\d+)', types: { n: 'int' } } },
      }),
      group(
        'fix',
        [
          cmd('clear-sa', 'clear crypto sa peer {{ ev.peer }}', {
            changes: 'renegotiates the SA with {{ ev.peer }}',
          }),
          cmd('verify', 'show crypto ipsec sa peer {{ ev.peer }}', {
            capture: { after: { regex: '#pkts decaps: (?<n>\\d+)', types: { n: 'int' } } },
            retry: { times: 12, delayMs: 5000, until: 'after.n > 0' },
          }),
        ],
        { when: 'sa.n == 0' },
      ),
    ]);
    const r = await run(
      rb,
      {
        'show logging | include INV_SPI': '%CRYPTO-4-RECVD_PKT_INV_SPI: decaps: ... srcaddr=10.20.20.1',
        'show crypto ipsec sa peer 10.20.20.1': SA_ZERO,
      },
      {
        mode: 'dry-run',
        approve: async () => {
          throw new Error('dry-run must not ask');
        },
      },
    );
    expect(r.transport.sent).toEqual([
      'show logging | include INV_SPI',
      'show crypto ipsec sa peer 10.20.20.1',
      'show crypto ipsec sa peer 10.20.20.1',
    ]);
    expect(r.slept).toEqual([]);
    expect(r.result.outcome).toBe('ok');
    expect(r.result.disruptive).toEqual([]);
    expect(r.result.wouldRun).toHaveLength(1);
    const w = r.result.wouldRun[0]!;
    expect(w).toMatchObject({
      key: 'fix/clear-sa',
      command: 'clear crypto sa peer 10.20.20.1',
      impact: 'renegotiates the SA with 10.20.20.1',
    });
    expect(w.evidence).toEqual([
      {
        stepId: 'find',
        captures: { ev: { peer: '10.20.20.1' } },
        lines: ['%CRYPTO-4-RECVD_PKT_INV_SPI: decaps: ... srcaddr=10.20.20.1'],
      },
      { stepId: 'sa', captures: { sa: { n: 0 } }, lines: ['    #pkts decaps: 0, #pkts decrypt: 0'] },
      { stepId: 'clear-sa', conditions: ['sa.n == 0'] },
    ]);
    expect(r.end('fix/clear-sa').outcome).toBe('would-run');
    expect(r.end('fix/verify').outcome).toBe('skipped');
    expect(r.end('fix/verify').message).toMatch(/^dry-run: .*not sent/);
    expect(JSON.parse(JSON.stringify(r.result))).toEqual(r.result);
  });
});

describe('disconnects', () => {
  it('expect_disconnect: reconnects and carries on with verification', async () => {
    const rb = runbook([
      cmd('hop', 'clear sdwan control connections', {
        changes: 'flaps every control connection',
        expectDisconnect: true,
      }),
      cmd('verify', 'show sdwan control connections', { expect: contains('up') }),
    ]);
    const r = await run(
      rb,
      {
        'clear sdwan control connections': { output: '', disconnect: true },
        'show sdwan control connections': 'vsmart up',
      },
      { transport: { reconnectFailures: 1 } },
    );
    expect(r.transport.reconnectAttempts).toBe(2);
    expect(r.of('reconnecting').map((e) => e.attempt)).toEqual([1, 2]);
    expect(r.end('hop').message).toMatch(/dropped as expected/);
    expect(r.result.outcome).toBe('ok');
  });

  it('an unexpected drop during a disruptive command counts as sent and reconnects', async () => {
    const rb = runbook([
      cmd('hop', 'request platform software sdwan port_hop biz-internet', { changes: 'flaps biz-internet' }),
      cmd('verify', 'show sdwan control local-properties', { expect: contains('port-hopped TRUE') }),
    ]);
    const r = await run(rb, {
      'request platform software sdwan port_hop biz-internet': { disconnect: true },
      'show sdwan control local-properties': 'port-hopped TRUE',
    });
    expect(r.end('hop').outcome).toBe('ok');
    expect(r.result.outcome).toBe('ok');
  });

  it('an unexpected drop during a read-only step reconnects and retries the step', async () => {
    const rb = runbook([cmd('a', 'show bfd', { expect: contains('up'), retry: { times: 2, delayMs: 1 } })]);
    const r = await run(rb, { 'show bfd': [{ disconnect: true }, 'up'] });
    expect(r.transport.sent).toEqual(['show bfd', 'show bfd']);
    expect(r.transport.opens).toBe(2);
    expect(r.of('retry-wait')[0]?.reason).toMatch(/session dropped/);
    expect(r.result.outcome).toBe('ok');
  });

  it('reconnect failing makes the host unreachable, the step unfinished', async () => {
    const rb = runbook([
      cmd('hop', 'clear sdwan control connections', { changes: 'flaps', expectDisconnect: true }),
      cmd('verify', 'show sdwan control connections'),
    ]);
    const r = await run(
      rb,
      { 'clear sdwan control connections': { disconnect: true } },
      { transport: { reconnectFailures: -1 } },
    );
    expect(r.result.outcome).toBe('unreachable');
    expect(r.result.stoppedAt).toBe('hop');
    expect(r.of('step-end')).toEqual([]);
    expect(r.of('command-sent').map((e) => e.command)).toEqual(['clear sdwan control connections']);
  });

  it('open() failing makes the host unreachable with the error', async () => {
    const r = await run(
      runbook([cmd('a', 'show a')]),
      {},
      { transport: { openError: new RunbookError('E_AUTH', 'authentication failed for admin') } },
    );
    expect(r.result.outcome).toBe('unreachable');
    expect(r.result.error?.code).toBe('E_AUTH');
    expect(r.transport.sent).toEqual([]);
  });
});

describe('start-at, resume, interrupt', () => {
  const rb = () =>
    runbook([
      cmd('a', 'show a'),
      group('g', [cmd('b', 'show b'), cmd('c', 'show c')], { when: 'false' }),
      cmd('d', 'show d'),
    ]);
  const device = { 'show a': 'a', 'show b': 'b', 'show c': 'c', 'show d': 'd' };

  it('--start-at skips every step before it and enters the group that holds it', async () => {
    const r = await run(rb(), device, { startAt: 'c' });
    expect(r.transport.sent).toEqual(['show c', 'show d']);
    expect(r.end('a').outcome).toBe('skipped');
    expect(r.end('g/b').outcome).toBe('skipped');
  });

  it('--start-at enters the choose branch that holds the start step, whatever the conditions say', async () => {
    const book = runbook([
      cmd('a', 'show a'),
      choose('c', [
        { when: 'false', steps: [cmd('x', 'show x')] },
        { when: 'false', steps: [cmd('y', 'show y'), cmd('z', 'show z')] },
      ]),
    ]);
    const r = await run(book, { 'show y': 'y', 'show z': 'z' }, { startAt: 'y' });
    expect(r.transport.sent).toEqual(['show y', 'show z']);
  });

  it('--start-at with an unknown id is a usage error before connecting', async () => {
    await expect(run(rb(), device, { startAt: 'nope' })).rejects.toMatchObject({ code: 'E_USAGE' });
  });

  it('restore skips completed keys, restores their bindings, and asks again for in-doubt steps', async () => {
    const book = runbook([
      cmd('find', 'show logging', { capture: { ev: { regex: 'srcaddr=(?<peer>\\S+)' } } }),
      cmd('clear', 'clear crypto sa peer {{ ev.peer }}', { changes: 'one peer' }),
    ]);
    const asked: boolean[] = [];
    const r = await run(
      book,
      { 'clear crypto sa peer 10.9.9.9': '' },
      {
        restore: {
          completed: new Map([['find', { scope: { ev: { peer: '10.9.9.9' } }, outcome: 'ok' }]]),
          inDoubt: new Set(['clear']),
        },
        approve: async (req) => (asked.push(req.inDoubt), true),
      },
    );
    expect(r.transport.sent).toEqual(['clear crypto sa peer 10.9.9.9']);
    expect(r.end('find').outcome).toBe('restored');
    expect(asked).toEqual([true]);
  });

  it('an aborted signal stops between steps with the next key', async () => {
    const ac = new AbortController();
    const r = await run(
      runbook([cmd('a', 'show a'), cmd('d', 'show d')]),
      (c) => {
        ac.abort();
        return c;
      },
      { signal: ac.signal },
    );
    expect(r.transport.sent).toEqual(['show a']);
    expect(r.result.outcome).toBe('interrupted');
    expect(r.result.stoppedAt).toBe('d');
  });
});

describe('secrets', () => {
  it('secret var values are masked in events and records', async () => {
    const book = runbook(
      [cmd('a', 'show run | include {{ token }}', { expect: expectExpr('output.contains(token)') })],
      {
        vars: [{ name: 'token', secret: true }],
      },
    );
    const r = await run(book, { 'show run | include s3cr3t': 'key s3cr3t' }, { vars: { token: 's3cr3t' } });
    expect(r.transport.sent).toEqual(['show run | include s3cr3t']);
    expect(
      JSON.stringify(r.events, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)),
    ).not.toContain('s3cr3t');
    expect(JSON.stringify(r.result)).not.toContain('s3cr3t');
    expect(r.of('command-sent')[0]?.command).toBe('show run | include ********');
  });
});
