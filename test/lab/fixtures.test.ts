import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab, type LabRouter } from '../../src/lab/index.js';
import { execOnce } from './client.js';
import { RX, one, rows } from './parse.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/outputs/${name}`, import.meta.url), 'utf8');

/** Header lines of a table, `indent` leading and all trailing blanks removed, for layout comparison. */
function headerLines(text: string, first: RegExp, count: number, indent = 0): string[] {
  const lines = text.split(/\r?\n/);
  const i = lines.findIndex((l) => first.test(l));
  return lines.slice(i, i + count).map((l) => l.slice(indent).trimEnd());
}

let lab: Lab;
let r: LabRouter;
const show = async (cmd: string): Promise<string> => (await execOnce(r, cmd)).out.replace(/\r/g, '');

beforeAll(async () => {
  lab = await startLab({ port: 0, scenario: 'mixed' });
  r = lab.routers[0]!;
});
afterAll(() => lab.close());

describe('lab outputs parse like real device captures', () => {
  it('RECVD_PKT_INV_SPI log lines: classic without, SD-WAN with the input interface', async () => {
    const classic = one(fixture('syslog-crypto-4-recvd-pkt-inv-spi__1.txt').trim(), RX.invSpiLine);
    const sdwan = one(fixture('syslog-crypto-4-recvd-pkt-inv-spi__2.txt').trim(), RX.invSpiLine);
    expect(classic.iface).toBeUndefined();
    expect(sdwan.iface).toBe('Tunnel10001');

    const lines = rows(await show('show logging | include RECVD_PKT_INV_SPI'), RX.invSpiLine);
    expect(lines.length).toBeGreaterThan(0);
    const byPeer = Object.fromEntries(lines.map((l) => [l.peer, l]));
    expect(byPeer['10.40.40.1']!.iface).toBeUndefined();
    expect(byPeer['10.20.20.1']!.iface).toBe('Tunnel10001');
    for (const l of lines) expect(parseInt(l.hex!, 16)).toBe(Number(l.dec));
    expect(one(lines.length ? `srcaddr=${lines[0]!.peer}` : '', RX.invSpi).peer).toBe(lines[0]!.peer);
  });

  it('show crypto ipsec sa: the same captures read counters, SPI, tag, peer and idents', async () => {
    const lab = await show('show crypto ipsec sa');
    for (const text of [
      fixture('show-crypto-ipsec-sa__1.txt'),
      fixture('show-crypto-ipsec-sa-detail__2.txt'),
      lab,
    ]) {
      expect(Number(one(text, RX.decaps).n)).toBeGreaterThanOrEqual(0);
      expect(Number(one(text, RX.encaps).n)).toBeGreaterThanOrEqual(0);
      const spi = one(text, RX.outboundSpi);
      expect(parseInt(spi.hex!, 16)).toBe(Number(spi.dec));
      expect(one(text, RX.cryptoMapTag).local).toMatch(/^\d/);
      expect(one(text, RX.currentPeer).port).toBe('500');
      expect(rows(text, RX.ident).length).toBeGreaterThanOrEqual(2);
    }
    const sdwan = await show('show crypto ipsec sa peer 10.20.20.1');
    expect(one(sdwan, RX.cryptoMapTag).tag).toBe('Tunnel10001-vesen-head-0');
    expect(Number(rows(sdwan, RX.ident).find((i) => i.side === 'local')!.port)).toBeGreaterThanOrEqual(12346);
  });

  it('QFP datapath drops: the IN_US_V4_PKT_SA_NOT_FOUND_SPI line and the table header match', async () => {
    const all = fixture('show-platform-hardware-qfp-active-feature-ipsec-datapath-drops__1.txt');
    expect(one(all, RX.qfpInvalidSpi).code).toBe('4');
    expect(
      one(fixture('show-platform-hardware-qfp-active-feature-ipsec-datapath-drops__2.txt'), RX.qfpInvalidSpi)
        .n,
    ).toBe('9393888');
    const mine = await show('show platform hardware qfp active feature ipsec datapath drops all');
    expect(Number(one(mine, RX.qfpInvalidSpi).n)).toBeGreaterThan(0);
    expect(headerLines(mine, /^-{72}$/, 3)).toEqual(headerLines(all, /^-{72}$/, 3));
    // same drop types, same column layout, line for line
    const names = (t: string): string[] => rows(t, RX.qfpRow).map((x) => `${x.code} ${x.name}`);
    expect(names(mine)).toEqual(names(all));
    const lineOf = (t: string): Map<string, number> =>
      new Map(
        t
          .split('\n')
          .flatMap((l) => (RX.qfpRow.test(l) ? [[RX.qfpRow.exec(l)!.groups!.name!, l.length] as const] : [])),
      );
    const realWidths = lineOf(all);
    for (const [name, width] of lineOf(mine)) expect(width, name).toBe(realWidths.get(name));
  });

  it('show sdwan bfd sessions: same header and rows read with the same column regex', async () => {
    const real = fixture('show-sdwan-bfd-sessions__1.txt');
    const mine = await show('show sdwan bfd sessions');
    expect(rows(real, RX.bfdRow).length).toBe(4);
    expect(rows(mine, RX.bfdRow).length).toBe(3);
    expect(headerLines(mine, /SOURCE TLOC/, 3)).toEqual(headerLines(real, /SOURCE TLOC/, 3, 4));
  });

  it('show sdwan control connections: same header and row regex', async () => {
    const real = fixture('show-sdwan-control-connections__2.txt');
    const mine = await show('show sdwan control connections');
    expect(rows(real, RX.controlRow).length).toBe(3);
    expect(rows(mine, RX.controlRow).length).toBe(5);
    expect(headerLines(mine, /CONTROLLER/, 4)).toEqual(headerLines(real, /CONTROLLER/, 4));
  });

  it('show sdwan control local-properties: key/value lines and the TLOC table read alike', async () => {
    const real = fixture('show-sdwan-control-local-properties__2.txt');
    const mine = await show('show sdwan control local-properties');
    for (const text of [real, mine]) {
      const kv = Object.fromEntries(rows(text, RX.localProp).map((x) => [x.key, x.value]));
      expect(kv['system-ip']).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(kv['time-since-last-port-hop']).toMatch(/^\d+:\d\d:\d\d:\d\d$/);
      expect(rows(text, RX.tlocRow).length).toBe(2);
    }
    expect(headerLines(mine, /^ +PUBLIC +PUBLIC PRIVATE/, 4)).toEqual(
      headerLines(real, /^ +PUBLIC +PUBLIC PRIVATE/, 4),
    );
  });

  it('show sdwan omp peers, show version and show crypto session read with the same regexes', async () => {
    expect(rows(fixture('show-sdwan-omp-peers__1.txt'), RX.ompRow).length).toBe(8);
    expect(rows(await show('show sdwan omp peers'), RX.ompRow).length).toBe(2);

    for (const text of [fixture('show-version__2.txt'), await show('show version')]) {
      expect(one(text, RX.version).v).toMatch(/^\d+\.\d+/);
      expect(one(text, RX.uptime).uptime).toMatch(/\d+ days?, \d+ hours?, \d+ minutes?/);
      expect(one(text, RX.configRegister).reg).toBe('0x2102');
    }

    for (const text of [
      fixture('show-crypto-session__1.txt'),
      fixture('show-crypto-session-detail__2.txt'),
      await show('show crypto session'),
    ]) {
      expect(one(text, RX.sessionStatus).status).toMatch(/^(UP|DOWN)/);
      expect(one(text, RX.sessionPeer).peer).toMatch(/^\d/);
      expect(Number(one(text, RX.activeSas).n)).toBeGreaterThanOrEqual(0);
    }
  });
});
