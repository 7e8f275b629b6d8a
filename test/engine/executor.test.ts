/** The executor end to end: YAML runbooks compiled by the loader, run against a simulated edge. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Value } from '../../src/expr/types.js';
import type { StepOutcome } from '../../src/engine/events.js';
import { compileRunbookSource } from '../../src/runbook/load.js';
import type { DeviceFn } from '../../src/transport/memory.js';
import { run } from './harness.js';

const FIXTURE = new URL('./fixtures/inv-spi.yaml', import.meta.url);
const book = () => compileRunbookSource(readFileSync(FIXTURE, 'utf8'), 'inv-spi.yaml');

const CLASSIC = '10.40.40.1';
const SDWAN = '10.20.20.1';
const LOG = [
  `Jan  8 15:00:23.723 EDT: %CRYPTO-4-RECVD_PKT_INV_SPI: decaps: rec'd IPSEC packet has invalid spi for destaddr=10.30.30.1, prot=50, spi=0x215EBFF1(559857649), srcaddr=${CLASSIC}`,
  `Jan 10 12:18:43.404 EDT: %CRYPTO-4-RECVD_PKT_INV_SPI: decaps: rec'd IPSEC packet has invalid spi for destaddr=10.10.10.1, prot=50, spi=0x241BBFF1(605798385), srcaddr=${SDWAN}, input interface=Tunnel10001`,
].join('\n');

/**
 * An edge with one broken classic peer and one broken SD-WAN peer. `clear crypto sa peer` fixes a
 * classic peer, a port hop fixes SD-WAN peers (and drops the session); `fixes: false` fixes nothing.
 */
function edge(o: { log?: string; fixes?: boolean } = {}): DeviceFn {
  const decaps = new Map<string, number>([
    [CLASSIC, 100],
    [SDWAN, 200],
  ]);
  const fixed = new Set<string>();
  return (command) => {
    if (command === 'show logging | include RECVD_PKT_INV_SPI') return o.log ?? LOG;
    let m = /^show crypto ipsec sa peer (\S+)$/.exec(command);
    if (m) {
      const peer = m[1]!;
      if (fixed.has(peer)) decaps.set(peer, (decaps.get(peer) ?? 0) + 10);
      return `interface: Tunnel1\n    current_peer ${peer} port 500\n    #pkts encaps: 500, #pkts encrypt: 500\n    #pkts decaps: ${decaps.get(peer) ?? 0}, #pkts decrypt: 0`;
    }
    m = /^clear crypto sa peer (\S+)$/.exec(command);
    if (m) {
      if (o.fixes !== false) fixed.add(m[1]!);
      return '';
    }
    if (command === 'request platform software sdwan port_hop biz-internet') {
      if (o.fixes !== false) fixed.add(SDWAN);
      return { output: '', disconnect: true };
    }
    return "% Invalid input detected at '^' marker.";
  };
}

describe('recover-inv-spi-mini over a simulated edge', () => {
  it('exec with approval: clears the classic SA, hops the SD-WAN colour, verifies both', async () => {
    const r = await run(book(), edge(), { vars: { color: 'biz-internet' } });
    expect(r.result.outcome).toBe('ok');
    expect(r.result.message).toBe('recovered 2 peer(s)');
    expect(r.result.disruptive).toEqual([
      `clear crypto sa peer ${CLASSIC}`,
      'request platform software sdwan port_hop biz-internet',
    ]);
    expect(r.end('per-peer[0]/fix/clear-sa').outcome).toBe('ok');
    expect(r.end('per-peer[0]/fix').outcome).toBe('ok');
    expect(r.end('per-peer[1]/fix/port-hop').message).toMatch(/dropped as expected/);
    expect(r.transport.opens).toBe(2);
    expect(r.end('per-peer[1]/verify-sa').captures).toEqual({ after: { n: 210n } });
    expect(
      r
        .of('step-start')
        .filter((e) => e.item !== undefined)
        .map((e) => e.item),
    ).toEqual([{ peer: CLASSIC }, { peer: SDWAN, iface: 'Tunnel10001' }]);
  });

  it('dry-run sends no disruptive command and reports each with its evidence', async () => {
    const r = await run(book(), edge(), { mode: 'dry-run', vars: { color: 'biz-internet' } });
    expect(r.result.outcome).toBe('ok');
    expect(r.transport.sent.filter((c) => !c.startsWith('show '))).toEqual([]);
    // each verification polls once: the change it waits for was not made
    expect(r.transport.sent.filter((c) => c === `show crypto ipsec sa peer ${CLASSIC}`)).toHaveLength(2);
    expect(r.slept).toEqual([]);
    expect(r.result.wouldRun.map((w) => [w.key, w.command, w.impact])).toEqual([
      [
        'per-peer[0]/fix/clear-sa',
        `clear crypto sa peer ${CLASSIC}`,
        `Renegotiates the IKE SA with ${CLASSIC} only`,
      ],
      [
        'per-peer[1]/fix/port-hop',
        'request platform software sdwan port_hop biz-internet',
        'Flaps BFD sessions and control connections of colour biz-internet',
      ],
    ]);
    const classic = r.result.wouldRun[0]!.evidence;
    expect(classic[0]).toMatchObject({ stepId: 'find-events', lines: [LOG.split('\n')[0]] });
    expect(classic.at(-1)).toEqual({ stepId: 'clear-sa', conditions: ['ev in events', '!has(ev.iface)'] });
    const sdwan = r.result.wouldRun[1]!.evidence;
    expect(sdwan.at(-1)?.conditions).toEqual(['ev in events', 'otherwise (none of: !has(ev.iface))']);
    expect(r.end('per-peer[0]/verify-sa').outcome).toBe('skipped');
    expect(r.result.message).toBe('recovered 2 peer(s)');
  });

  it('without a way to approve, stops before the first disruptive command', async () => {
    const r = await run(book(), edge(), { approve: undefined });
    expect(r.result.outcome).toBe('awaiting-approval');
    expect(r.result.stoppedAt).toBe('per-peer[0]/fix/clear-sa');
    expect(r.transport.sent.every((c) => c.startsWith('show '))).toBe(true);
    expect(r.of('approval-request')).toHaveLength(1);
  });

  it('an empty log ends ok at once', async () => {
    const r = await run(book(), edge({ log: '' }));
    expect(r.result.outcome).toBe('ok');
    expect(r.result.message).toBe('No invalid-SPI events in the log');
    expect(r.transport.sent).toEqual(['show logging | include RECVD_PKT_INV_SPI']);
  });

  it('a fix that does not take: verification polls every attempt and the host fails', async () => {
    const r = await run(book(), edge({ fixes: false }));
    expect(r.result.outcome).toBe('failed');
    expect(r.result.stoppedAt).toBe('per-peer[0]/verify-sa');
    expect(r.transport.sent.filter((c) => c === `show crypto ipsec sa peer ${CLASSIC}`)).toHaveLength(6);
    expect(r.slept).toEqual([5000, 5000, 5000, 5000]);
    expect(r.result.message).toBe(
      'step verify-sa failed: until `after.n > before.n` did not hold after 5 attempts (last values: after = {n: 100}, before = {n: 100})',
    );
  });

  it('resumes from the step-end records of an earlier run: completed steps restored, the rest run', async () => {
    // First run: the operator refuses the port hop.
    const first = await run(book(), edge(), { approve: async (req) => req.stepId !== 'port-hop' });
    expect(first.result.outcome).toBe('failed');
    const completed = new Map<string, { scope: Record<string, Value>; outcome: StepOutcome }>();
    for (const e of first.of('step-end'))
      if (e.outcome === 'ok') completed.set(e.key, { scope: e.scope, outcome: e.outcome });

    const second = await run(book(), edge(), { restore: { completed, inDoubt: new Set() } });
    expect(second.result.outcome).toBe('ok');
    expect(second.transport.sent[0]).toBe('request platform software sdwan port_hop biz-internet');
    expect(second.transport.sent).not.toContain(`clear crypto sa peer ${CLASSIC}`);
    expect(second.end('find-events').outcome).toBe('restored');
    expect(second.end('per-peer[0]').outcome).toBe('restored');
    expect(second.end('per-peer[1]/sa-before').outcome).toBe('restored');
    // verify-sa compares against the restored `before` capture
    expect(second.end('per-peer[1]/verify-sa').outcome).toBe('ok');
  });

  it('an interrupt during an approval stops right after that step', async () => {
    const ac = new AbortController();
    const r = await run(book(), edge(), {
      signal: ac.signal,
      approve: async () => {
        ac.abort();
        return true;
      },
    });
    expect(r.result.outcome).toBe('interrupted');
    expect(r.result.stoppedAt).toBe('per-peer[0]/verify-sa');
    expect(r.transport.sent.at(-1)).toBe(`clear crypto sa peer ${CLASSIC}`);
  });
});

describe('YAML constructs', () => {
  const compile = (steps: string, vars = '') =>
    compileRunbookSource(
      `runbook: t\ndescription: t\nplatform: cisco-iosxe\n${vars}steps:\n${steps}`,
      't.yaml',
    );

  it('set, assert with message, and on_failure continue', async () => {
    const rb = compile(`
  - id: count
    run: show ip interface brief
    capture: {up: {regex: '(?<name>\\S+)\\s+\\S+\\s+YES \\S+\\s+up', match: all}}
  - id: n
    set: {total: size(up)}
  - id: enough
    assert: total >= 3
    message: 'only {{ total }} interfaces up'
    on_failure: continue
  - id: after
    run: show clock
`);
    const r = await run(rb, {
      'show ip interface brief': 'Gi1   10.0.0.1  YES NVRAM  up  up\nGi2   unassigned YES unset down down',
      'show clock': '12:00',
    });
    expect(r.end('n').scope).toEqual({ total: 1n });
    expect(r.end('enough').message).toBe('only 1 interfaces up');
    expect(r.result.outcome).toBe('ok');
    expect(r.transport.sent).toEqual(['show ip interface brief', 'show clock']);
  });

  it('on_failure recovery steps run under the failed step key and the host fails after them', async () => {
    const rb = compile(`
  - id: check
    run: show version
    expect: {contains: '17.9'}
    on_failure:
      - id: collect
        run: show logging
`);
    const r = await run(rb, { 'show version': 'Version 16.12', 'show logging': 'log' });
    expect(r.end('check/collect').outcome).toBe('ok');
    expect(r.result.outcome).toBe('failed');
    expect(r.result.message).toMatch(/^step check failed: expect failed.*recovery steps ran$/);
  });

  it('a dialog answers the device confirmation', async () => {
    const rb = compile(`
  - id: clear
    run: clear crypto sa
    changes: renegotiates every SA
    dialog: [{prompt: '\\[confirm\\]', answer: 'y'}]
`);
    const r = await run(rb, { 'clear crypto sa': { prompts: ['Clear all crypto SAs? [confirm]'] } });
    expect(r.result.outcome).toBe('ok');
    expect(r.transport.answered.map((a) => a.answer)).toEqual(['y']);
  });

  it('a var with a disallowed value never reaches the device', async () => {
    const rb = compile(
      `
  - id: show
    run: show crypto ipsec sa peer {{ peer }}
`,
      'vars:\n  peer: {type: string, required: true}\n',
    );
    const r = await run(rb, {}, { vars: { peer: '10.0.0.1\nreload' } });
    expect(r.transport.sent).toEqual([]);
    expect(r.end('show').error?.code).toBe('E_TEMPLATE');
  });

  it('dry-run: steps that read what an unsent change would produce are skipped as undecidable', async () => {
    const rb = compile(`
  - id: rekey
    run: request platform software sdwan security ipsec-rekey
    changes: rekeys every SD-WAN tunnel
    capture: {res: {regex: 'status (?<s>\\w+)'}}
  - id: check
    when: res.s == "done"
    run: show sdwan bfd sessions
  - id: follow
    run: show sdwan ipsec inbound-connections {{ res.s }}
  - id: clock
    run: show clock
`);
    const device = {
      'request platform software sdwan security ipsec-rekey': 'status done',
      'show sdwan bfd sessions': 'up',
      'show sdwan ipsec inbound-connections done': 'x',
      'show clock': 't',
    };
    const dry = await run(rb, device, { mode: 'dry-run' });
    expect(dry.result.outcome).toBe('ok');
    expect(dry.transport.sent).toEqual(['show clock']);
    expect(dry.end('check').outcome).toBe('skipped');
    expect(dry.end('check').message).toMatch(/^dry-run: cannot decide `res.s == "done"`/);
    expect(dry.end('follow').outcome).toBe('skipped');
    const exec = await run(rb, device);
    expect(exec.result.outcome).toBe('ok');
    expect(exec.transport.sent).toHaveLength(4);
  });
});
