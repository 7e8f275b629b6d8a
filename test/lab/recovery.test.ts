import { afterEach, describe, expect, it } from 'vitest';
import { startLab, type Lab, type LabRouter, type Scenario } from '../../src/lab/index.js';
import { Shell } from './client.js';
import { RX, bfdTable, one, rows } from './parse.js';

const BFD_DELAY = 300;
let lab: Lab | undefined;
let sh: Shell | undefined;

afterEach(async () => {
  sh?.close();
  sh = undefined;
  await lab?.close();
  lab = undefined;
});

async function open(scenario: Scenario): Promise<{ r: LabRouter; sh: Shell }> {
  lab = await startLab({ port: 0, scenario, device: { bfdDelayMs: BFD_DELAY } });
  const r = lab.routers[0]!;
  sh = await Shell.open(r);
  await sh.cmd('terminal length 0');
  return { r, sh };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await sleep(50);
  }
}

const decaps = async (s: Shell, peer: string): Promise<number> =>
  Number(one(await s.cmd(`show crypto ipsec sa peer ${peer}`), RX.decaps).n);
const qfpDrops = async (s: Shell): Promise<number> =>
  Number(
    one(await s.cmd('show platform hardware qfp active feature ipsec datapath drops'), RX.qfpInvalidSpi).n,
  );

describe('lab scenarios as a client sees them', () => {
  it('classic: INV_SPI lines without interface, frozen decaps, growing QFP drops, SD-WAN BFD all up', async () => {
    const { sh } = await open('classic');
    const log = rows(await sh.cmd('show logging | include RECVD_PKT_INV_SPI'), RX.invSpiLine);
    expect(new Set(log.map((l) => l.peer))).toEqual(new Set(['10.40.40.1']));
    expect(log.every((l) => l.iface === undefined)).toBe(true);
    const d1 = await decaps(sh, '10.40.40.1');
    const q1 = await qfpDrops(sh);
    await sleep(200);
    expect(await decaps(sh, '10.40.40.1')).toBe(d1);
    expect(await qfpDrops(sh)).toBeGreaterThan(q1);
    const bfd = bfdTable(await sh.cmd('show sdwan bfd sessions'));
    expect(Object.values(bfd).map((b) => b.state)).toEqual(['up', 'up', 'up']);
  });

  it('sdwan: INV_SPI lines name Tunnel10001 and the BFD session to that peer is down', async () => {
    const { sh } = await open('sdwan');
    const log = rows(await sh.cmd('show logging | include RECVD_PKT_INV_SPI'), RX.invSpiLine);
    expect(new Set(log.map((l) => `${l.peer} ${l.iface}`))).toEqual(new Set(['10.20.20.1 Tunnel10001']));
    const bfd = bfdTable(await sh.cmd('show sdwan bfd sessions'));
    expect(bfd['172.16.255.20/biz-internet']!.state).toBe('down');
    expect(bfd['172.16.255.20/mpls']!.state).toBe('up');
    const sa = await sh.cmd('show crypto ipsec sa peer 10.20.20.1');
    expect(Number(one(sa, RX.encaps).n)).toBeGreaterThan(0);
    expect(one(sa, RX.cryptoMapTag).tag).toBe('Tunnel10001-vesen-head-0');
    // SD-WAN peers have no IKE SA; the classic one does
    const ike = await sh.cmd('show crypto ikev2 sa');
    expect(ike).toMatch(/^1 +10\.30\.30\.1\/500 +10\.40\.40\.1\/500 +none\/none +READY/m);
    expect(ike).not.toMatch(/10\.20\.20\.1/);
  });

  it('sdwan-cleared: the SA shows 0/0 counters and outbound SPI 0x0(0)', async () => {
    const { sh } = await open('sdwan-cleared');
    const sa = await sh.cmd('show crypto ipsec sa peer 10.20.20.1');
    expect(one(sa, RX.encaps).n).toBe('0');
    expect(one(sa, RX.decaps).n).toBe('0');
    expect(one(sa, RX.outboundSpi).dec).toBe('0');
    expect(await qfpDrops(sh)).toBeGreaterThan(0);
  });

  it('healthy: no INV_SPI lines, no invalid-SPI drops, decaps growing everywhere', async () => {
    const { sh } = await open('healthy');
    expect(await sh.cmd('show logging | include RECVD_PKT_INV_SPI')).toBe('');
    expect(await sh.cmd('show platform hardware qfp active feature ipsec datapath drops')).not.toMatch(
      RX.qfpInvalidSpi,
    );
    const d1 = await decaps(sh, '10.20.20.1');
    await sleep(100);
    expect(await decaps(sh, '10.20.20.1')).toBeGreaterThan(d1);
  });

  it('mixed: both a classic and an SD-WAN peer are in the log', async () => {
    const { r, sh } = await open('mixed');
    const log = rows(await sh.cmd('show logging | include RECVD_PKT_INV_SPI'), RX.invSpi);
    expect(new Set(log.map((l) => l.peer))).toEqual(new Set(['10.40.40.1', '10.20.20.1']));
    expect(
      r
        .state()
        .peers.filter((p) => p.sa !== 'ok')
        .map((p) => p.peer)
        .sort(),
    ).toEqual(['10.20.20.1', '10.40.40.1']);
  });
});

describe('recovery commands', () => {
  it('clear crypto sa peer renegotiates a classic tunnel: new SPIs, decaps grow, drops stop', async () => {
    const { r, sh } = await open('classic');
    const before = r.state().peers.find((p) => p.peer === '10.40.40.1')!;
    expect(await sh.cmd('clear crypto sa peer 10.40.40.1')).toBe('');
    const after = r.state().peers.find((p) => p.peer === '10.40.40.1')!;
    expect(after.sa).toBe('ok');
    expect(after.spiIn).not.toBe(before.spiIn);
    const d1 = await decaps(sh, '10.40.40.1');
    const q1 = await qfpDrops(sh);
    await sleep(200);
    expect(await decaps(sh, '10.40.40.1')).toBeGreaterThan(d1);
    expect(await qfpDrops(sh)).toBe(q1);
    // the log keeps the old lines: it says which peers *were* hit
    expect(await sh.cmd('show logging | include RECVD_PKT_INV_SPI')).toMatch(/srcaddr=10\.40\.40\.1/);
  });

  it('pitfall: clear crypto sa peer on an SD-WAN peer deletes the SA and breaks a healthy tunnel', async () => {
    const { r, sh } = await open('healthy');
    await sh.cmd('clear crypto sa peer 10.20.30.1');
    const p = r.state().peers.find((x) => x.peer === '10.20.30.1')!;
    expect(p).toMatchObject({ sa: 'cleared', bfd: 'down', encaps: 0, decaps: 0 });
    expect(bfdTable(await sh.cmd('show sdwan bfd sessions'))['172.16.255.30/biz-internet']!.state).toBe(
      'down',
    );
  });

  it('ipsec-rekey brings an invalid-SPI SD-WAN tunnel up after the BFD delay and leaves the classic one broken', async () => {
    const { r, sh } = await open('mixed');
    const classicSpi = r.state().peers.find((p) => p.peer === '10.40.40.1')!.spiIn;
    await sh.cmd('request platform software sdwan security ipsec-rekey');
    expect(bfdTable(await sh.cmd('show sdwan bfd sessions'))['172.16.255.20/biz-internet']!.state).toBe(
      'down',
    );
    await eventually(
      async () =>
        bfdTable(await sh!.cmd('show sdwan bfd sessions'))['172.16.255.20/biz-internet']!.state === 'up',
      'BFD up after rekey',
    );
    const classic = r.state().peers.find((p) => p.peer === '10.40.40.1')!;
    expect(classic).toMatchObject({ sa: 'invalid-spi', spiIn: classicSpi });
  });

  it('pitfall: ipsec-rekey does not fix a cleared SD-WAN SA', async () => {
    const { r, sh } = await open('sdwan-cleared');
    await sh.cmd('request platform software sdwan security ipsec-rekey');
    await sleep(BFD_DELAY * 2);
    const sa = await sh.cmd('show crypto ipsec sa peer 10.20.20.1');
    expect([one(sa, RX.encaps).n, one(sa, RX.decaps).n]).toEqual(['0', '0']);
    expect(bfdTable(await sh.cmd('show sdwan bfd sessions'))['172.16.255.20/biz-internet']!.state).toBe(
      'down',
    );
    expect(r.state().peers.find((p) => p.peer === '10.20.20.1')!.sa).toBe('cleared');
  });

  for (const syntax of ['port_hop biz-internet', 'port_hop color biz-internet']) {
    it(`${syntax} fixes a cleared SA and flaps BFD and control of that colour only`, async () => {
      const { r, sh } = await open('sdwan-cleared');
      const mplsBefore = bfdTable(await sh.cmd('show sdwan bfd sessions'))['172.16.255.20/mpls']!;
      await sh.cmd(`request platform software sdwan ${syntax}`);
      const bfd = bfdTable(await sh.cmd('show sdwan bfd sessions'));
      expect(bfd['172.16.255.30/biz-internet']!.state).toBe('down');
      expect(bfd['172.16.255.20/mpls']!).toMatchObject({ state: 'up', transitions: mplsBefore.transitions });
      const control = rows(await sh.cmd('show sdwan control connections'), RX.controlRow);
      expect(control.filter((c) => c.color === 'biz-internet').every((c) => c.state !== 'up')).toBe(true);
      expect(control.filter((c) => c.color === 'mpls').every((c) => c.state === 'up')).toBe(true);
      const props = await sh.cmd('show sdwan control local-properties');
      expect(props).toMatch(/^port-hopped\s+TRUE$/m);
      expect(rows(props, RX.tlocRow).find((t) => t.color === 'biz-internet')!.pubPort).not.toBe('12346');
      await eventually(async () => {
        const b = bfdTable(await sh!.cmd('show sdwan bfd sessions'));
        return (
          b['172.16.255.20/biz-internet']!.state === 'up' && b['172.16.255.30/biz-internet']!.state === 'up'
        );
      }, 'biz-internet BFD up after port hop');
      expect(r.state().portHopped).toEqual({ 'biz-internet': true, mpls: false });
      // decaps count from the moment the SA came back: give the clock a tick under load
      await eventually(async () => (await decaps(sh!, '10.20.20.1')) > 0, 'decaps growing after port hop');
    });
  }

  it('clear sdwan omp all fixes a cleared SA and flaps every BFD session, not control connections', async () => {
    const { r, sh } = await open('sdwan-cleared');
    await sh.cmd('clear sdwan omp all');
    expect(
      Object.values(bfdTable(await sh.cmd('show sdwan bfd sessions'))).every((b) => b.state === 'down'),
    ).toBe(true);
    expect(
      rows(await sh.cmd('show sdwan control connections'), RX.controlRow).every((c) => c.state === 'up'),
    ).toBe(true);
    await eventually(
      async () =>
        Object.values(bfdTable(await sh!.cmd('show sdwan bfd sessions'))).every((b) => b.state === 'up'),
      'all BFD up after OMP clear',
    );
    expect(r.state().peers.every((p) => p.sa === 'ok')).toBe(true);
  });

  it('clear sdwan control connections fixes and flaps every control connection and BFD session', async () => {
    const { r, sh } = await open('sdwan');
    await sh.cmd('clear sdwan control connections');
    expect(r.state().controlConnections.every((c) => c.state === 'connect')).toBe(true);
    expect(
      Object.values(bfdTable(await sh.cmd('show sdwan bfd sessions'))).every((b) => b.state === 'down'),
    ).toBe(true);
    await eventually(async () => r.state().controlConnections.every((c) => c.state === 'up'), 'control up');
    await eventually(
      async () => r.state().peers.every((p) => p.sa === 'ok' && (p.kind === 'classic' || p.bfd === 'up')),
      'all healthy',
    );
  });

  it('the QFP clear variant resets the counters and is audited as a state change; `all` lists every drop type', async () => {
    const { r, sh } = await open('sdwan');
    expect(await qfpDrops(sh)).toBeGreaterThan(1000);
    await sh.cmd('show platform hardware qfp active feature ipsec datapath drops clear');
    // right after the clear the counter may still be 0, and the plain variant hides zero rows: read `all`
    expect(
      Number(
        one(
          await sh.cmd('show platform hardware qfp active feature ipsec datapath drops all'),
          RX.qfpInvalidSpi,
        ).n,
      ),
    ).toBeLessThan(1000);
    expect(
      rows(await sh.cmd('show platform hardware qfp active feature ipsec datapath drops all'), RX.qfpRow)
        .length,
    ).toBe(73);
    const audit = r.audit();
    expect(audit.find((a) => a.command.endsWith('drops clear'))!.stateChanging).toBe(true);
    expect(audit.find((a) => a.command.endsWith('drops all'))!.stateChanging).toBe(false);
  });

  it('unknown colours and malformed peers are rejected with the caret under the bad token', async () => {
    const { r, sh } = await open('sdwan');
    const out = await sh.run('request platform software sdwan port_hop purple');
    const lines = out.split('\n');
    expect(lines[1]!.indexOf('^')).toBe('edge1#'.length + 'request platform software sdwan port_hop '.length);
    expect(lines[2]).toBe("% Invalid input detected at '^' marker.");
    expect(await sh.cmd('clear crypto sa peer 10.20.20.300')).toMatch(/% Invalid input detected/);
    expect(r.audit().map((a) => [a.outcome, a.stateChanging])).toEqual([
      ['ok', false],
      ['error', false],
      ['error', false],
    ]);
    expect(r.state().peers.find((p) => p.peer === '10.20.20.1')!.sa).toBe('invalid-spi');
  });
});
