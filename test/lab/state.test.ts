import { describe, expect, it } from 'vitest';
import { Router } from '../../src/lab/state.js';
import type { Scenario } from '../../src/lab/topology.js';

const T = Date.UTC(2025, 0, 10, 12, 0, 0);
const DELAY = 3000;

function router(scenario: Scenario): Router {
  return new Router({ name: 'edge1', scenario, index: 0, bfdDelayMs: DELAY, now: T });
}

function peer(r: Router, addr: string) {
  const p = r.peers.find((x) => x.def.peer === addr);
  if (!p) throw new Error(`no peer ${addr}`);
  return p;
}

describe('lab router state over time', () => {
  it('a broken classic SA keeps encrypting but decaps freeze, and QFP drops grow', () => {
    const r = router('classic');
    const p = peer(r, '10.40.40.1');
    expect(p.sa).toBe('invalid-spi');
    expect(r.encaps(p, T + 10_000)).toBeGreaterThan(r.encaps(p, T));
    expect(r.decaps(p, T + 10_000)).toBe(r.decaps(p, T));
    expect(r.invalidSpiDrops(T + 10_000)).toBeGreaterThan(r.invalidSpiDrops(T));
  });

  it('a healthy router has no invalid-SPI drops and every counter moves', () => {
    const r = router('healthy');
    expect(r.invalidSpiDrops(T + 60_000)).toBe(0);
    for (const p of r.peers) {
      expect(r.decaps(p, T + 1000)).toBeGreaterThan(r.decaps(p, T));
      if (p.def.kind === 'sdwan') expect(r.bfd(p, T)).toBe('up');
    }
  });

  it('clear crypto sa peer renegotiates a classic SA: new SPIs, counters restart and grow, drops stop', () => {
    const r = router('classic');
    const p = peer(r, '10.40.40.1');
    const before = { in: p.spiIn, out: p.spiOut };
    r.clearCryptoSa('10.40.40.1', T + 1000);
    expect(p.sa).toBe('ok');
    expect(p.spiIn).not.toBe(before.in);
    expect(p.spiOut).not.toBe(before.out);
    expect(r.decaps(p, T + 1000)).toBe(0);
    expect(r.decaps(p, T + 3000)).toBeGreaterThan(0);
    expect(r.invalidSpiDrops(T + 60_000)).toBe(r.invalidSpiDrops(T + 1000));
  });

  it('clear crypto sa peer deletes an SD-WAN SA for good, and ipsec-rekey does not bring it back', () => {
    const r = router('sdwan');
    const p = peer(r, '10.20.20.1');
    r.clearCryptoSa('10.20.20.1', T + 1000);
    r.rekey(T + 2000);
    const later = T + 2000 + DELAY * 3;
    expect(p.sa).toBe('cleared');
    expect(r.encaps(p, later)).toBe(0);
    expect(r.decaps(p, later)).toBe(0);
    expect(r.bfd(p, later)).toBe('down');
    expect(r.invalidSpiDrops(later)).toBeGreaterThan(r.invalidSpiDrops(T + 2000));
  });

  it('ipsec-rekey fixes an invalid-SPI SD-WAN SA after the BFD delay and leaves classic peers alone', () => {
    const r = router('mixed');
    const sd = peer(r, '10.20.20.1');
    const classic = peer(r, '10.40.40.1');
    const classicSpi = classic.spiIn;
    r.rekey(T + 1000);
    expect(sd.sa).toBe('ok');
    expect(r.bfd(sd, T + 1000 + DELAY - 1)).toBe('down');
    expect(r.bfd(sd, T + 1000 + DELAY)).toBe('up');
    expect(r.decaps(sd, T + 1000 + DELAY + 1000)).toBeGreaterThan(0);
    expect(classic.sa).toBe('invalid-spi');
    expect(classic.spiIn).toBe(classicSpi);
  });

  it('port_hop fixes a cleared SA of its colour, flaps that colour only, and marks the hop', () => {
    const r = router('sdwan-cleared');
    const broken = peer(r, '10.20.20.1');
    const sameColour = peer(r, '10.20.30.1');
    const otherColour = peer(r, '10.20.21.1');
    const now = T + 1000;
    r.portHop('biz-internet', now);
    expect(broken.sa).toBe('ok');
    expect(r.bfd(sameColour, now)).toBe('down');
    expect(r.bfdTransitions(sameColour, now + DELAY)).toBe(2);
    expect(r.bfd(otherColour, now)).toBe('up');
    expect(r.bfdTransitions(otherColour, now + DELAY)).toBe(0);
    expect(r.controlUp('biz-internet', now)).toBe(false);
    expect(r.controlUp('mpls', now)).toBe(true);
    expect(r.bfd(broken, now + DELAY)).toBe('up');
    expect(r.snapshot(now).portHopped).toEqual({ 'biz-internet': true, mpls: false });
    expect(r.tlocPort('biz-internet')).not.toBe(r.tlocPort('mpls'));
  });

  it('clear sdwan omp all fixes a cleared SA and flaps every BFD session but no control connection', () => {
    const r = router('sdwan-cleared');
    const now = T + 1000;
    r.clearOmp(now);
    for (const p of r.peers.filter((x) => x.def.kind === 'sdwan')) {
      expect(p.sa).toBe('ok');
      expect(r.bfd(p, now)).toBe('down');
      expect(r.bfd(p, now + DELAY)).toBe('up');
    }
    expect(r.controlUp('biz-internet', now)).toBe(true);
    expect(r.ompUp(now)).toBe(false);
  });

  it('clear sdwan control connections fixes and flaps every control connection and BFD session', () => {
    const r = router('sdwan');
    const now = T + 1000;
    r.clearControl(now);
    expect(r.controlUp('biz-internet', now)).toBe(false);
    expect(r.controlUp('mpls', now)).toBe(false);
    expect(r.controlUp('mpls', now + DELAY)).toBe(true);
    for (const p of r.peers.filter((x) => x.def.kind === 'sdwan')) expect(r.bfd(p, now + DELAY)).toBe('up');
    expect(peer(r, '10.40.40.1').sa).toBe('ok');
  });

  it('the QFP clear resets the invalid-SPI counter, which grows again while broken', () => {
    const r = router('sdwan');
    r.clearQfp(T + 1000);
    expect(r.invalidSpiDrops(T + 1000)).toBe(0);
    expect(r.invalidSpiDrops(T + 2000)).toBeGreaterThan(0);
  });
});
