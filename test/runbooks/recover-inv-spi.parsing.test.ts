/**
 * The recover-inv-spi runbook's captures (its one regex for the log lines, the shipped TextFSM
 * templates for the tables) and classification expressions, run on real-format device outputs
 * (test/fixtures/recover-inv-spi, sources in SOURCES.md): genieparser golden outputs and the Cisco
 * technote's samples, including its hand-edited SPI lines.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Value } from '../../src/expr/types.js';
import { runCaptures } from '../../src/match/capture.js';
import type { CaptureSpec, Runbook, SetStep, Step } from '../../src/runbook/model.js';
import { loadRunbook } from '../../src/runbook/load.js';

const RUNBOOK = new URL('../../runbooks/recover-inv-spi.yaml', import.meta.url).pathname;
const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/recover-inv-spi/${name}`, import.meta.url), 'utf8');

let runbook: Runbook;
beforeAll(async () => {
  runbook = await loadRunbook(RUNBOOK);
});

function find(steps: readonly Step[], id: string): Step | undefined {
  for (const s of steps) {
    if (s.id === id) return s;
    const children =
      s.kind === 'group' ? s.steps : s.kind === 'choose' ? s.branches.flatMap((b) => b.steps) : [];
    const hit = find(children, id);
    if (hit) return hit;
  }
  return undefined;
}

function captures(id: string): CaptureSpec[] {
  const step = find(runbook.steps, id);
  if (step?.kind !== 'command') throw new Error(`no command step ${id}`);
  return step.captures;
}

/** Run a step's captures on an output; the values by capture name. */
function capture(id: string, output: string): Record<string, Value> {
  return runCaptures(captures(id), output).values;
}

/** Evaluate a `set` step in order (each name visible to the next), on top of `scope`. */
function evalSet(id: string, scope: Record<string, Value>): Record<string, Value> {
  const step = find(runbook.steps, id) as SetStep;
  const out = { ...scope };
  for (const v of step.values) out[v.name] = v.expr.evaluate(out);
  return out;
}

const classicLine = fixture('syslog-crypto-4-recvd-pkt-inv-spi__1.txt').trim();
const sdwanLine = fixture('syslog-crypto-4-recvd-pkt-inv-spi__2.txt').trim();

describe('find-events on the technote log lines', () => {
  // the buffer is oldest first: the classic event (Jan 8) then the SD-WAN one (Jan 10)
  const log = `${classicLine}\n${sdwanLine}\n`;

  it('lists every peer once, newest first, with the SPI exactly as printed (hand-edited hex and decimal differ)', () => {
    const { events } = capture('find-events', log);
    expect(events).toEqual([
      {
        local: '10.10.10.1',
        spi: '0x241BBFF1',
        spi_dec: 605913993n,
        peer: '10.20.20.1',
        iface: 'Tunnel10001',
      },
      // 0x215EBFF1 is 559857649: the technote's line was hand-edited; both forms are kept verbatim
      // no input interface: a classic tunnel (`has(e.iface)` is false)
      { local: '10.30.30.1', spi: '0x215EBFF1', spi_dec: 605998893n, peer: '10.40.40.1', iface: null },
    ]);
  });

  it('tells the SD-WAN line (input interface) from the classic one: the classic event has no iface', () => {
    const events = capture('find-events', log)['events']!;
    const s = evalSet('classify', {
      events,
      sa0: { pkts_encaps: 0n, pkts_decaps: 0n },
      target: '10.40.40.1',
    });
    expect(s).toMatchObject({ iface: '', sdwan: false });
    const t = evalSet('classify', {
      events,
      sa0: { pkts_encaps: 0n, pkts_decaps: 0n },
      target: '10.20.20.1',
    });
    expect(t).toMatchObject({ iface: 'Tunnel10001', sdwan: true });
  });

  it('keeps the newest event of a peer logged many times', () => {
    const older = sdwanLine
      .replace('12:18:43.404', '12:18:13.404')
      .replace('spi=0x241BBFF1(605913993)', 'spi=0x100(256)');
    const { events } = capture('find-events', `${older}\n${classicLine}\n${sdwanLine}\n`);
    expect((events as { peer: string; spi: string }[]).map((e) => [e.peer, e.spi])).toEqual([
      ['10.20.20.1', '0x241BBFF1'],
      ['10.40.40.1', '0x215EBFF1'],
    ]);
  });

  it('a clean log gives an empty list', () => {
    expect(capture('find-events', '')).toEqual({ events: [] });
  });
});

describe('the QFP invalid-SPI counter', () => {
  const drops = (output: string) =>
    evalSet('init', { ...capture('qfp-before', output), events: [], vars: {} })['drops_before'];

  it('reads IN_US_V4_PKT_SA_NOT_FOUND_SPI from the technote sample (collapsed columns, annotation)', () => {
    expect(drops(fixture('show-platform-hardware-qfp-active-feature-ipsec-datapath-drops__2.txt'))).toBe(
      9393888n,
    );
  });

  it('reads it from the real `drops all` table, and not the IPv6 or TRANS rows', () => {
    expect(drops(fixture('show-platform-hardware-qfp-active-feature-ipsec-datapath-drops__1.txt'))).toBe(0n);
  });

  it('is 0 when the row is absent (only non-zero rows are listed)', () => {
    expect(drops('')).toBe(0n);
  });

  it('the same template is read before, after and for the steady check', () => {
    const t = captures('qfp-before')[0]!.textfsm;
    expect(t).toBeDefined();
    expect(captures('qfp-after')[0]!.textfsm).toEqual(t);
    expect(captures('qfp-steady')[0]!.textfsm).toEqual(t);
  });
});

describe('the SA of a peer', () => {
  it('reads real classic SAs (genieparser): the first SA of three, with its tag, ident port, counters and inbound SPI', () => {
    // three SAs: two proxy identities on a crypto map (one without SAs), one on a tunnel interface
    expect(capture('sa-before', fixture('show-crypto-ipsec-sa__1.txt'))['sa0']).toMatchObject({
      crypto_map_tag: 'vpn-crypto-map',
      local_ident_addr: '20.20.20.0',
      local_ident_port: 0n,
      pkts_encaps: 4n,
      pkts_decaps: 4n,
      inbound_esp_spi: ['0x658F7C11'],
    });
  });

  it('reads an SA without SPIs (genieparser detail output): counters 0, no inbound SPI', () => {
    const sa0 = capture('sa-before', fixture('show-crypto-ipsec-sa-detail__2.txt'))['sa0'];
    expect(sa0).toMatchObject({ crypto_map_tag: 'testtag', pkts_decaps: 0n, inbound_esp_spi: [] });
  });

  it('no SA: the default record (counters 0, no peer)', () => {
    expect(capture('sa-before', '')['sa0']).toEqual({ pkts_encaps: 0n, pkts_decaps: 0n });
  });

  it('the watch and the verification (parts/verify-sa.yaml) read the same counters and SPI', () => {
    const out = fixture('show-crypto-ipsec-sa__1.txt');
    const first = { pkts_encaps: 4n, pkts_decaps: 4n, inbound_esp_spi: ['0x658F7C11'] };
    expect(capture('sa-watch', out)['sa1']).toMatchObject(first);
    expect(capture('verify-sa/new-spi', out)['sa_new']).toMatchObject(first);
    expect(capture('verify-sa/growing', out)['sa_grown']).toMatchObject(first);
  });
});

describe('classify and judge on real outputs', () => {
  const base = (log: string, sa: string, peer: string) => ({
    ...capture('find-events', log),
    ...capture('sa-before', sa),
    target: peer,
    vars: {},
  });

  it('the technote cleared SD-WAN SA is SD-WAN by its tag and TLOC ports, even without a log line', () => {
    const s = evalSet(
      'classify',
      base('', fixture('show-crypto-ipsec-sa-peer-sdwan-cleared.txt'), '10.20.20.1'),
    );
    expect(s).toMatchObject({ has_sa: true, sdwan: true, spi0: 'none', logged: 'no log event' });
    expect(s['sa0']).toMatchObject({ pkts_encaps: 0n, pkts_decaps: 0n, local_ident_addr: '10.10.10.1' });
    const bfd_rows = [
      {
        dst_public_ip: '10.20.20.1',
        source_ip: '10.10.10.1',
        source_tloc_color: 'biz-internet',
        state: 'down',
      },
    ];
    const j = evalSet('judge', {
      ...s,
      ...capture('sa-watch', fixture('show-crypto-ipsec-sa-peer-sdwan-cleared.txt')),
      bfd_rows,
    });
    expect(j).toMatchObject({
      bfd0: 'down',
      color: 'biz-internet',
      healthy: false,
      cleared: true,
      broken: true,
      kind: 'SD-WAN biz-internet',
    });
  });

  it('the real classic SA (genieparser) with the technote classic log line is classic', () => {
    const s = evalSet(
      'classify',
      base(`${classicLine}\n`, fixture('show-crypto-ipsec-sa__1.txt'), '10.40.40.1'),
    );
    expect(s).toMatchObject({
      has_sa: true,
      sdwan: false,
      spi0: '0x658F7C11',
      logged: 'newest log event spi=0x215EBFF1(605998893)',
    });
  });

  it('the SD-WAN log line alone makes a peer SD-WAN', () => {
    const s = evalSet(
      'classify',
      base(`${sdwanLine}\n`, fixture('show-crypto-ipsec-sa__1.txt'), '10.20.20.1'),
    );
    expect(s).toMatchObject({
      sdwan: true,
      logged: 'newest log event spi=0x241BBFF1(605913993) on Tunnel10001',
    });
  });

  it('judges by decaps moving between two reads, not by one value', () => {
    const s = evalSet(
      'classify',
      base(`${classicLine}\n`, fixture('show-crypto-ipsec-sa__1.txt'), '10.40.40.1'),
    );
    const watch = (enc: number, dec: number) => ({
      sa1: { peer: '10.40.40.1', pkts_encaps: BigInt(enc), pkts_decaps: BigInt(dec) },
    });
    expect(evalSet('judge', { ...s, ...watch(5, 5) })).toMatchObject({ healthy: true, broken: false });
    expect(evalSet('judge', { ...s, ...watch(14, 4) })).toMatchObject({
      healthy: false,
      broken: true,
      cleared: false,
    });
    // nothing moved: not judged broken (left alone)
    expect(evalSet('judge', { ...s, ...watch(4, 4) })).toMatchObject({ healthy: false, broken: false });
  });
});

describe('the BFD session of a peer (real genieparser table)', () => {
  const rows = () =>
    capture('bfd-before', fixture('show-sdwan-bfd-sessions__1.txt'))['bfd_rows'] as Record<string, Value>[];

  it('reads every row with its columns', () => {
    expect(rows()).toHaveLength(4);
    expect(rows()[1]).toMatchObject({
      system_ip: '172.16.241.1',
      site_id: '30001001',
      state: 'up',
      source_tloc_color: 'private1',
      remote_tloc_color: 'mpls',
      source_ip: '172.16.16.2',
      dst_public_ip: '172.16.171.2',
      dst_public_port: '12346',
    });
  });

  it('finds the local colour by DST PUBLIC IP, preferring the row whose SOURCE IP is the SA local address', () => {
    const judged = (target: string, local: string) =>
      evalSet('judge', {
        bfd_rows: rows(),
        target,
        sdwan: true,
        has_sa: true,
        sa0: { local_ident_addr: local, pkts_encaps: 0n, pkts_decaps: 0n },
        sa1: { pkts_encaps: 0n, pkts_decaps: 0n },
        iface: '',
        spi0: 'none',
      });
    expect(judged('172.16.171.2', '172.16.16.2')).toMatchObject({ color: 'private1', bfd0: 'up' });
    expect(judged('172.16.171.2', '10.0.0.1')).toMatchObject({ color: 'mpls', bfd0: 'up' });
    expect(judged('10.9.9.9', '')).toMatchObject({ color: '', bfd0: 'no session' });
  });
});
