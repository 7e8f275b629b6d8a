/**
 * The shipped recover-inv-spi runbook, run by the executor over the MemoryTransport against the lab's
 * emulated edge (its CLI and recovery semantics, on a fake clock): per scenario, the exact
 * state-changing commands, the final device state, and the per-peer outcome.
 */
import { describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../src/engine/events.js';
import { runHost, type HostResult } from '../../src/engine/executor.js';
import type { Scenario } from '../../src/lab/topology.js';
import { getProfile } from '../../src/platforms/index.js';
import { loadRunbook } from '../../src/runbook/load.js';
import { resolveVars } from '../../src/runbook/vars.js';
import { MemoryTransport, type DeviceFn } from '../../src/transport/memory.js';
import { labDevice, type LabDevice, type LabDeviceOptions } from './lab-device.js';

const RUNBOOK = new URL('../../runbooks/recover-inv-spi.yaml', import.meta.url).pathname;
const REKEY = 'request platform software sdwan security ipsec-rekey';

interface RecoverOptions extends LabDeviceOptions {
  vars?: string[];
  mode?: 'exec' | 'dry-run';
  /** No approve callback: nothing can be approved. */
  noApproval?: boolean;
  /** Wrap the device (e.g. to make a command do nothing). */
  wrap?: (device: DeviceFn) => DeviceFn;
  lab?: LabDevice;
}

async function recover(opts: RecoverOptions) {
  const runbook = await loadRunbook(RUNBOOK);
  const lab = opts.lab ?? labDevice(opts);
  const transport = new MemoryTransport({
    profile: getProfile(runbook.platform),
    device: opts.wrap ? opts.wrap(lab.device) : lab.device,
  });
  const events: EngineEvent[] = [];
  const result: HostResult = await runHost({
    runbook,
    host: { name: 'edge1', address: '127.0.0.1', port: 22, platform: runbook.platform },
    transport,
    vars: resolveVars(runbook, opts.vars ?? []),
    mode: opts.mode ?? 'exec',
    ...(opts.noApproval ? {} : { approve: async () => true }),
    emit: (e) => events.push(e),
    sleep: lab.sleep,
    reconnectDelaysMs: [100],
  });
  return { result, lab, events, transport };
}

function allUp(lab: LabDevice): boolean {
  return lab.state().peers.every((p) => p.sa === 'ok' && (p.kind === 'classic' || p.bfd === 'up'));
}

describe('recover-inv-spi over the in-memory lab edge', () => {
  it.each<[Scenario, string[]]>([
    ['classic', ['clear crypto sa peer 10.40.40.1']],
    ['sdwan', [REKEY]],
    ['sdwan-cleared', ['request platform software sdwan port_hop biz-internet']],
    ['mixed', [REKEY, 'clear crypto sa peer 10.40.40.1']],
    ['healthy', []],
  ])('%s: sends exactly %j and every tunnel ends up', async (scenario, commands) => {
    const { result, lab } = await recover({ scenario });
    expect(result.outcome).toBe('ok');
    expect(lab.stateChanging()).toEqual(commands);
    expect(allUp(lab)).toBe(true);
  });

  it('reports per peer what was wrong, what was done and the evidence before and after', async () => {
    const { result } = await recover({ scenario: 'mixed' });
    const [sdwan = '', classic = '', qfp = ''] = result.message.split(/\n(?=peer |QFP )/);
    expect(sdwan).toMatch(
      /^peer 10\.20\.20\.1 \(SD-WAN biz-internet Tunnel10001\): invalid SPI now \(decaps frozen while encaps grew, BFD down\)\n  did: ipsec-rekey \(all SD-WAN tunnels\) -> recovered\n  before: inbound SPI 0x[0-9A-F]+, encaps \d+->\d+, decaps (\d+)->\1, BFD down \(newest log event spi=0x[0-9A-F]+\(\d+\) on Tunnel10001\)\n  after: inbound SPI 0x[0-9A-F]+, encaps \d+->\d+, decaps \d+->\d+, BFD up$/,
    );
    expect(classic).toMatch(
      /^peer 10\.40\.40\.1 \(classic IKE\): invalid SPI now \(decaps frozen while encaps grew\)\n  did: clear crypto sa peer 10\.40\.40\.1 -> recovered\n  before: .*\n  after: inbound SPI 0x/,
    );
    expect(qfp).toMatch(/^QFP IN_US_V4_PKT_SA_NOT_FOUND_SPI \d+ before, \d+ after \(not growing\)$/);
    // new SPIs: the SPI after differs from the SPI before
    const spis = /before: inbound SPI (0x[0-9A-F]+)[^]*after: inbound SPI (0x[0-9A-F]+)/.exec(classic)!;
    expect(spis[1]).not.toBe(spis[2]);
  });

  it('the healthy log says nothing to do', async () => {
    const { result, transport } = await recover({ scenario: 'healthy' });
    expect(result.message).toBe(
      'Nothing to do: no %CRYPTO-4-RECVD_PKT_INV_SPI event in the log (QFP IN_US_V4_PKT_SA_NOT_FOUND_SPI = 0)',
    );
    expect(transport.sent).toEqual([
      'show logging | include RECVD_PKT_INV_SPI',
      'show platform hardware qfp active feature ipsec datapath drops',
    ]);
  });

  it('a second run finds the peers healthy now (the log still has them) and leaves them alone', async () => {
    const lab = labDevice({ scenario: 'mixed' });
    await recover({ scenario: 'mixed', lab });
    const first = lab.stateChanging().length;
    lab.advance(60_000);
    const { result } = await recover({ scenario: 'mixed', lab });
    expect(result.outcome).toBe('ok');
    expect(lab.stateChanging()).toHaveLength(first);
    expect(result.message).toMatch(
      /^peer 10\.20\.20\.1 \(SD-WAN biz-internet Tunnel10001\): healthy now, was broken, left alone \(newest log event spi=.*BFD up\)\npeer 10\.40\.40\.1 \(classic IKE\): healthy now, was broken, left alone/,
    );
  });

  it('the peer var restricts the run to that peer', async () => {
    const { result, lab } = await recover({ scenario: 'mixed', vars: ['peer=10.40.40.1'] });
    expect(result.outcome).toBe('ok');
    expect(lab.stateChanging()).toEqual(['clear crypto sa peer 10.40.40.1']);
    expect(lab.state().peers.find((p) => p.peer === '10.20.20.1')!.sa).toBe('invalid-spi');
    expect(result.message).not.toContain('10.20.20.1');
  });

  it('a peer var for a healthy peer with a clean log: checked and left alone', async () => {
    const { result, lab } = await recover({ scenario: 'healthy', vars: ['peer=10.20.30.1'] });
    expect(result.outcome).toBe('ok');
    expect(lab.stateChanging()).toEqual([]);
    expect(result.message).toMatch(
      /^peer 10\.20\.30\.1 \(SD-WAN biz-internet\): healthy now, left alone \(no log event;/,
    );
  });

  it('a peer var for a peer without an SA fails, saying so, and changes nothing', async () => {
    const { result, lab } = await recover({ scenario: 'healthy', vars: ['peer=10.99.99.1'] });
    expect(result.outcome).toBe('failed');
    expect(lab.stateChanging()).toEqual([]);
    expect(result.message).toContain(
      'peer 10.99.99.1: no IPsec SA on the device (no log event); nothing done',
    );
  });

  it('the escalation var sets the order: omp first', async () => {
    const { result, lab } = await recover({ scenario: 'sdwan-cleared', vars: ['escalation=omp,control'] });
    expect(result.outcome).toBe('ok');
    expect(lab.stateChanging()).toEqual(['clear sdwan omp all']);
    expect(allUp(lab)).toBe(true);
  });

  it('the port-hop command form is a var', async () => {
    const { lab } = await recover({
      scenario: 'sdwan-cleared',
      vars: ['port_hop_command=request platform software sdwan port_hop color'],
    });
    expect(lab.stateChanging()).toEqual(['request platform software sdwan port_hop color biz-internet']);
    expect(lab.state().portHopped).toEqual({ 'biz-internet': true, mpls: false });
  });

  it('refuses a port-hop command outside the two known forms', async () => {
    await expect(
      recover({ scenario: 'sdwan-cleared', vars: ['port_hop_command=clear crypto sa'] }),
    ).rejects.toThrow(/port_hop_command/);
  });

  it('when ipsec-rekey does not help, escalates to the port hop and stops there', async () => {
    // a release where the rekey is accepted but changes nothing
    const wrap =
      (device: DeviceFn): DeviceFn =>
      (command, session) =>
        command === REKEY ? '' : device(command, session);
    const { result, lab, transport } = await recover({ scenario: 'sdwan', wrap });
    expect(result.outcome).toBe('ok');
    expect(transport.sent.filter((c) => !c.startsWith('show '))).toEqual([
      REKEY,
      'request platform software sdwan port_hop biz-internet',
    ]);
    expect(result.message).toContain(
      'did: ipsec-rekey (all SD-WAN tunnels), request platform software sdwan port_hop biz-internet -> recovered',
    );
    expect(allUp(lab)).toBe(true);
  });

  it('two broken SD-WAN peers: a cleared one (newest) escalates, the invalid-SPI one is rekeyed once', async () => {
    const lab = labDevice({ scenario: 'sdwan' });
    lab.advance(5_000);
    // someone cleared the SD-WAN SA of the mpls peer by hand (DOMAIN: scenario 2)
    await lab.device('clear crypto sa peer 10.20.21.1', { number: 0, commands: [], state: {} });
    lab.advance(1_000);
    const { result } = await recover({ scenario: 'sdwan', lab });
    expect(result.outcome, result.message).toBe('ok');
    expect(lab.stateChanging()).toEqual([
      'clear crypto sa peer 10.20.21.1',
      'request platform software sdwan port_hop mpls',
      REKEY,
    ]);
    expect(result.message).toMatch(
      /^peer 10\.20\.21\.1 \(SD-WAN mpls Tunnel10002\): SA already cleared \(encaps and decaps 0, no SPI\)\n  did: request platform software sdwan port_hop mpls -> recovered/,
    );
    expect(allUp(lab)).toBe(true);
  });

  it('a device-wide fix for one peer leaves a peer it also fixed alone (healthy now)', async () => {
    const lab = labDevice({ scenario: 'sdwan' });
    lab.advance(5_000);
    await lab.device('clear crypto sa peer 10.20.30.1', { number: 0, commands: [], state: {} });
    lab.advance(1_000);
    const { result } = await recover({ scenario: 'sdwan', lab });
    expect(result.outcome, result.message).toBe('ok');
    // the port hop of biz-internet rebuilt 10.20.20.1's SA too: no rekey
    expect(lab.stateChanging()).toEqual([
      'clear crypto sa peer 10.20.30.1',
      'request platform software sdwan port_hop biz-internet',
    ]);
    expect(result.message).toContain(
      'peer 10.20.20.1 (SD-WAN biz-internet Tunnel10001): healthy now, was broken, left alone',
    );
    expect(allUp(lab)).toBe(true);
  });

  it('fails when the QFP invalid-SPI counter is still growing after the recovery', async () => {
    let drops = 1000;
    const qfp = 'show platform hardware qfp active feature ipsec datapath drops';
    const wrap =
      (device: DeviceFn): DeviceFn =>
      (command, session) =>
        command === qfp
          ? `Drop Type  Name  Packets\n        4  IN_US_V4_PKT_SA_NOT_FOUND_SPI   ${(drops += 500)}\n`
          : device(command, session);
    const { result, lab } = await recover({ scenario: 'classic', wrap });
    expect(result.outcome).toBe('failed');
    expect(lab.stateChanging()).toEqual(['clear crypto sa peer 10.40.40.1']);
    expect(result.message).toMatch(/-> recovered[^]*STILL GROWING: a tunnel is still broken\)$/);
  });

  it('answers [confirm] dialogs', async () => {
    const { result, lab, transport } = await recover({ scenario: 'mixed', confirm: true });
    expect(result.outcome).toBe('ok');
    expect(transport.answered.map((a) => [a.command, a.answer])).toEqual([
      [REKEY, ''],
      ['clear crypto sa peer 10.40.40.1', ''],
    ]);
    expect(allUp(lab)).toBe(true);
  });

  it('reconnects when clear sdwan control connections drops the session, then verifies', async () => {
    const { result, lab, transport } = await recover({
      scenario: 'sdwan-cleared',
      vars: ['escalation=control'],
      dropOnControlClear: true,
    });
    expect(result.outcome).toBe('ok');
    expect(lab.stateChanging()).toEqual(['clear sdwan control connections']);
    expect(transport.opens).toBe(2);
    expect(allUp(lab)).toBe(true);
  });

  it('without approval stops before the first disruptive command', async () => {
    const { result, lab } = await recover({ scenario: 'classic', noApproval: true });
    expect(result.outcome).toBe('awaiting-approval');
    expect(result.stoppedAt).toBe('per-peer[0]/decide/try[0]/attempt/act/clear-sa');
    expect(result.message).toContain('rerun with --yes');
    expect(lab.stateChanging()).toEqual([]);
  });
});

describe('recover-inv-spi dry-run over the in-memory lab edge', () => {
  it.each<[Scenario, string[]]>([
    ['classic', ['clear crypto sa peer 10.40.40.1']],
    [
      'sdwan',
      [
        REKEY,
        'request platform software sdwan port_hop biz-internet',
        'clear sdwan omp all',
        'clear sdwan control connections',
      ],
    ],
    [
      'sdwan-cleared',
      [
        'request platform software sdwan port_hop biz-internet',
        'clear sdwan omp all',
        'clear sdwan control connections',
      ],
    ],
    [
      'mixed',
      [
        REKEY,
        'request platform software sdwan port_hop biz-internet',
        'clear sdwan omp all',
        'clear sdwan control connections',
        'clear crypto sa peer 10.40.40.1',
      ],
    ],
    ['healthy', []],
  ])(
    '%s: sends nothing that changes state and names %j with blast radius and evidence',
    async (scenario, commands) => {
      const { result, lab } = await recover({ scenario, mode: 'dry-run' });
      expect(result.outcome).toBe('ok');
      expect(lab.stateChanging()).toEqual([]);
      expect(result.disruptive).toEqual([]);
      expect(result.wouldRun.map((w) => w.command)).toEqual(commands);
      for (const w of result.wouldRun) {
        expect(w.impact.length).toBeGreaterThan(20);
        const lines = w.evidence.flatMap((e) => e.lines ?? []);
        expect(lines.some((l) => l.includes('%CRYPTO-4-RECVD_PKT_INV_SPI'))).toBe(true);
        expect(w.evidence.some((e) => e.stepId === 'sa-watch')).toBe(true);
      }
    },
  );

  it('names the blast radius of each command', async () => {
    const { result } = await recover({ scenario: 'mixed', mode: 'dry-run' });
    const impact = Object.fromEntries(result.wouldRun.map((w) => [w.stepId, w.impact]));
    expect(impact['clear-sa']).toMatch(/^Deletes the IPsec SAs with 10\.40\.40\.1 only/);
    expect(impact['rekey']).toMatch(/ALL SD-WAN tunnels of this device/);
    expect(impact['port-hop']).toMatch(
      /flaps the BFD sessions AND control connections of colour biz-internet/,
    );
    expect(impact['clear-omp']).toMatch(/flaps EVERY BFD session/);
    expect(impact['clear-control']).toMatch(
      /EVERY control connection and EVERY BFD session.*may drop this management session/,
    );
  });
});
