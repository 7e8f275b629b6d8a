/**
 * The templates this project ships (src/parse/templates) on every real capture of their commands in
 * ../shared/fixtures/real-outputs, and on the lab emulator's output for the same commands.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Router } from '../../src/lab/state.js';
import { showCryptoIpsecSa, showQfpDrops } from '../../src/lab/render-crypto.js';
import { showBfdSessions, showControlConnections, showOmpPeers } from '../../src/lab/render-sdwan.js';
import { showLogging } from '../../src/lab/render-system.js';
import { SCENARIOS, type Scenario } from '../../src/lab/topology.js';
import { findTemplates, parseOutput, SHIPPED_TEMPLATES } from '../../src/parse/lookup.js';
import { sharedDir } from './ntc-corpus.js';

const REAL = join(sharedDir(), 'fixtures', 'real-outputs');
const DIRS = [SHIPPED_TEMPLATES];
const CI = process.env['CI'] === 'true';

function parse(command: string, text: string) {
  return parseOutput({ dirs: DIRS, platform: 'cisco_ios', command, text });
}

/** Fixture file prefix -> the command it is the output of. */
const FIXTURE_COMMANDS: Record<string, string> = {
  'show-crypto-ipsec-sa-detail': 'show crypto ipsec sa detail',
  'show-crypto-ipsec-sa': 'show crypto ipsec sa',
  'show-platform-hardware-qfp-active-feature-ipsec-datapath-drops':
    'show platform hardware qfp active feature ipsec datapath drops',
  'show-sdwan-bfd-sessions': 'show sdwan bfd sessions',
  'show-sdwan-control-connections': 'show sdwan control connections',
  'show-sdwan-omp-peers': 'show sdwan omp peers',
  'syslog-crypto-4-recvd-pkt-inv-spi': 'show logging | include RECVD_PKT_INV_SPI',
};

function fixtures(): { file: string; command: string; text: string }[] {
  if (!existsSync(REAL)) return [];
  return readdirSync(REAL)
    .filter((f) => f.endsWith('.txt'))
    .flatMap((file) => {
      const prefix = file.replace(/__\d+\.txt$/, '');
      const command = FIXTURE_COMMANDS[prefix];
      return command ? [{ file, command, text: readFileSync(join(REAL, file), 'utf8') }] : [];
    });
}

describe('shipped templates on real captures', () => {
  it.runIf(CI || !existsSync(REAL))('the real captures are present beside the repository', () => {
    expect(existsSync(REAL), REAL).toBe(true);
  });

  it('every command the runbook reads has a shipped template', () => {
    for (const command of Object.values(FIXTURE_COMMANDS)) {
      expect(findTemplates(DIRS, 'cisco_ios', command), command).toBeDefined();
    }
    expect(findTemplates(DIRS, 'cisco_ios', 'show crypto ipsec sa peer 10.1.1.1')).toBeDefined();
  });

  it.each(fixtures().map((f) => [f.file, f] as const))('%s parses into records', (_f, f) => {
    const records = parse(f.command, f.text);
    expect(records.length).toBeGreaterThan(0);
    for (const r of records) for (const v of Object.values(r)) expect(v).not.toBeNull();
  });

  it('show crypto ipsec sa: one record per SA block with peer, counters and SPIs', () => {
    const text = readFileSync(join(REAL, 'show-crypto-ipsec-sa__1.txt'), 'utf8');
    const records = parse('show crypto ipsec sa', text);
    expect(
      records.map((r) => [r['peer'], r['local_ident_addr'], r['pkts_encaps'], r['pkts_decaps']]),
    ).toEqual([
      ['1.1.1.1', '20.20.20.0', '4', '4'],
      ['1.1.1.1', '40.40.40.0', '0', '0'],
      ['2.2.2.1', '0.0.0.0', '0', '0'],
    ]);
    expect(records[2]).toMatchObject({ interface: 'Tunnel0' });
    expect(records[0]).toMatchObject({
      interface: 'GigabitEthernet3',
      crypto_map_tag: 'vpn-crypto-map',
      current_outbound_spi: '0x397C36EE',
      inbound_esp_spi: ['0x658F7C11'],
      outbound_esp_spi: ['0x397C36EE'],
    });
    expect(records[1]).toMatchObject({
      current_outbound_spi: '0x0',
      inbound_esp_spi: [],
      outbound_esp_spi: [],
    });
  });

  it('show sdwan control connections: an organization with spaces stays one column', () => {
    const text = readFileSync(join(REAL, 'show-sdwan-control-connections__2.txt'), 'utf8');
    const records = parse('show sdwan control connections', text);
    expect(records).toHaveLength(3);
    expect(records[0]).toMatchObject({
      peer_type: 'vsmart',
      peer_system_ip: '1.1.1.5',
      organization: 'SDWAN-VIPTELA - 249781',
      local_color: 'custom1',
      state: 'up',
      uptime: '24:22:07:45',
      controller_group_id: '0',
    });
  });

  it('QFP drops: the annotated sample row keeps its counter', () => {
    const text = readFileSync(
      join(REAL, 'show-platform-hardware-qfp-active-feature-ipsec-datapath-drops__2.txt'),
      'utf8',
    );
    const records = parse('show platform hardware qfp active feature ipsec datapath drops', text);
    expect(records).toContainEqual({
      drop_type: '4',
      name: 'IN_US_V4_PKT_SA_NOT_FOUND_SPI',
      packets: '9393888',
    });
  });

  it('INV_SPI log lines: peer, SPI and the SD-WAN input interface', () => {
    const text = readFileSync(join(REAL, 'syslog-crypto-4-recvd-pkt-inv-spi__2.txt'), 'utf8');
    expect(parse('show logging | include RECVD_PKT_INV_SPI', text)).toEqual([
      {
        timestamp: 'Jan 10 12:18:43.404 EDT',
        destaddr: '10.10.10.1',
        prot: '50',
        spi: '0x241BBFF1',
        spi_decimal: '605913993',
        srcaddr: '10.20.20.1',
        input_interface: 'Tunnel10001',
      },
    ]);
  });
});

describe('shipped templates on the lab emulator', () => {
  const T = Date.UTC(2025, 0, 10, 12, 0, 0);
  const router = (scenario: Scenario) =>
    new Router({ name: 'edge1', scenario, index: 0, bfdDelayMs: 3000, now: T - 600_000 });

  it.each(SCENARIOS.map((s) => [s] as const))('%s: every table row is a record matching the state', (s) => {
    const r = router(s);
    const sdwan = r.peers.filter((p) => p.def.kind === 'sdwan');
    const bfd = parse('show sdwan bfd sessions', showBfdSessions(r, T));
    expect(bfd.map((b) => [b['dst_public_ip'], b['state']])).toEqual(
      sdwan.map((p) => [p.def.peer, r.bfd(p, T) === 'up' ? 'up' : 'down']),
    );
    const sa = parse('show crypto ipsec sa', showCryptoIpsecSa(r, T));
    const byPeer = (rows: [unknown, unknown][]) =>
      rows.sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(byPeer(sa.map((x) => [x['peer'], x['pkts_decaps']]))).toEqual(
      byPeer(r.peers.map((p) => [p.def.peer, String(r.decaps(p, T))])),
    );
    for (const p of r.peers) {
      const one = parse(`show crypto ipsec sa peer ${p.def.peer}`, showCryptoIpsecSa(r, T, p.def.peer));
      expect(one.map((x) => x['peer'])).toEqual([p.def.peer]);
    }
    const drops = parse(
      'show platform hardware qfp active feature ipsec datapath drops all',
      showQfpDrops(r, T, true),
    );
    expect(drops.find((d) => d['name'] === 'IN_US_V4_PKT_SA_NOT_FOUND_SPI')?.['packets']).toBe(
      String(r.invalidSpiDrops(T)),
    );
    expect(parse('show sdwan control connections', showControlConnections(r, T)).length).toBeGreaterThan(0);
    expect(parse('show sdwan omp peers', showOmpPeers(r, T)).length).toBeGreaterThan(0);
    const log = showLogging(r, T)
      .split('\n')
      .filter((l) => l.includes('RECVD_PKT_INV_SPI'));
    const events = parse('show logging | include RECVD_PKT_INV_SPI', log.join('\n'));
    expect(events).toHaveLength(log.length);
    for (const e of events) expect(r.peers.map((p) => p.def.peer)).toContain(e['srcaddr']);
  });
});
