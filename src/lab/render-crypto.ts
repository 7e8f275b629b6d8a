/**
 * IOS XE crypto outputs: `show crypto ipsec sa [peer X]`, `show crypto session`, and the QFP IPsec
 * datapath drop counters. Layouts follow the real captures in test/fixtures/outputs.
 */
import { QFP_DROP_TYPES, QFP_INVALID_SPI_TYPE } from './qfp-drops.js';
import { spiText, type Peer, type Router } from './state.js';

function cryptoMapTag(p: Peer): string {
  return p.def.kind === 'sdwan' ? `${p.def.tunnel}-vesen-head-0` : `${p.def.tunnel}-head-0`;
}

function idents(p: Peer, r: Router): { local: string; remote: string } {
  if (p.def.kind === 'classic') return { local: '0.0.0.0/0.0.0.0/0/0', remote: '0.0.0.0/0.0.0.0/0/0' };
  return {
    local: `${p.def.local}/255.255.255.255/0/${r.tlocPort(p.def.color!)}`,
    remote: `${p.def.peer}/255.255.255.255/0/${p.def.remotePort}`,
  };
}

function esp(p: Peer, spi: number, connId: number, now: number): string[] {
  if (p.sa === 'cleared') return [''];
  const tag = cryptoMapTag(p);
  const sdwan = p.def.kind === 'sdwan';
  const left = 3600 - (Math.floor((now - p.saCreatedAt) / 1000) % 3600);
  return [
    `      spi: ${spiText(spi)}`,
    `        transform: ${sdwan ? 'esp-gcm 256' : 'esp-256-aes esp-sha256-hmac'} ,`,
    `        in use settings ={${sdwan ? 'Transport UDP-Encaps' : 'Tunnel'}, }`,
    `        conn id: ${connId}, flow_id: CSR:${connId - 2000}, sibling_flags FFFFFFFF80000048, crypto map: ${tag}`,
    `        sa timing: remaining key lifetime (k/sec): (4608000/${left})`,
    `        IV size: ${sdwan ? 8 : 16} bytes`,
    '        replay detection support: Y',
    '        Status: ACTIVE(ACTIVE)',
    '',
  ];
}

function saBlock(p: Peer, r: Router, now: number): string[] {
  const id = idents(p, r);
  const enc = r.encaps(p, now);
  const dec = r.decaps(p, now);
  const outbound = p.sa === 'cleared' ? spiText(0) : spiText(p.spiOut);
  return [
    '   protected vrf: (none)',
    `   local  ident (addr/mask/prot/port): (${id.local})`,
    `   remote ident (addr/mask/prot/port): (${id.remote})`,
    `   current_peer ${p.def.peer} port 500`,
    '     PERMIT, flags={origin_is_acl,}',
    `    #pkts encaps: ${enc}, #pkts encrypt: ${enc}, #pkts digest: ${enc}`,
    `    #pkts decaps: ${dec}, #pkts decrypt: ${dec}, #pkts verify: ${dec}`,
    '    #pkts compressed: 0, #pkts decompressed: 0',
    '    #pkts not compressed: 0, #pkts compr. failed: 0',
    '    #pkts not decompressed: 0, #pkts decompress failed: 0',
    '    #send errors 0, #recv errors 0',
    '',
    `     local crypto endpt.: ${p.def.local}, remote crypto endpt.: ${p.def.peer}`,
    `     plaintext mtu 1438, path mtu 1500, ip mtu 1500, ip mtu idb ${p.def.iface}`,
    `     current outbound spi: ${outbound}`,
    '     PFS (Y/N): N, DH group: none',
    '',
    '     inbound esp sas:',
    ...esp(p, p.spiIn, p.connId, now),
    '     inbound ah sas:',
    '',
    '     inbound pcp sas:',
    '',
    '     outbound esp sas:',
    ...esp(p, p.spiOut, p.connId + 1, now),
    '     outbound ah sas:',
    '',
    '     outbound pcp sas:',
    '',
  ];
}

/** `show crypto ipsec sa [peer X]`: SAs grouped by interface; nothing at all for an unknown peer. */
export function showCryptoIpsecSa(r: Router, now: number, peer?: string): string {
  const lines: string[] = [];
  const tunnels = [...new Set(r.peers.map((p) => p.def.tunnel))];
  for (const tunnel of tunnels) {
    const peers = r.peers.filter(
      (p) => p.def.tunnel === tunnel && (peer === undefined || p.def.peer === peer),
    );
    if (peers.length === 0) continue;
    lines.push(
      '',
      `interface: ${tunnel}`,
      `    Crypto map tag: ${cryptoMapTag(peers[0]!)}, local addr ${peers[0]!.def.local}`,
      '',
    );
    for (const p of peers) lines.push(...saBlock(p, r, now));
  }
  return lines.join('\n');
}

/** `show crypto session [detail]`: classic peers are IKEv2 sessions, SD-WAN peers UP-NO-IKE (keys come from OMP). */
export function showCryptoSession(r: Router): string {
  const lines = [
    'Crypto session current status',
    '',
    'Code: C - IKE Configuration mode, D - Dead Peer Detection',
    'K - Keepalives, N - NAT-traversal, T - cTCP encapsulation',
    'X - IKE Extended Authentication, F - IKE Fragmentation',
    'R - IKE Auto Reconnect, U - IKE Dynamic Route Update',
    'S - SIP VPN',
    '',
  ];
  for (const p of r.peers) {
    const active = p.sa === 'cleared' ? 0 : 2;
    lines.push(`Interface: ${p.def.tunnel}`);
    if (p.def.kind === 'classic') {
      lines.push(
        'Profile: IKEV2-PROFILE-THIRD-PARTY',
        'Session status: UP-ACTIVE',
        `Peer: ${p.def.peer} port 500`,
        '  Session ID: 1',
        `  IKEv2 SA: local ${p.def.local}/500 remote ${p.def.peer}/500 Active`,
        `  IPSEC FLOW: permit 47 host ${p.def.local} host ${p.def.peer}`,
        `        Active SAs: ${active}, origin: crypto map`,
        '',
      );
    } else {
      lines.push(
        `Session status: ${p.sa === 'cleared' ? 'DOWN' : 'UP-NO-IKE'}`,
        `Peer: ${p.def.peer} port ${p.def.remotePort}`,
        '  IPSEC FLOW: permit ip 0.0.0.0/0.0.0.0 0.0.0.0/0.0.0.0',
        `        Active SAs: ${active}, origin: crypto map`,
        '',
      );
    }
  }
  return lines.join('\n');
}

const RULE = '-'.repeat(72);

function qfpLine(code: number, name: string, packets: number): string {
  const head = `${String(code).padStart(9)}  ${name}`;
  return `${head}${String(packets).padStart(Math.max(1, 72 - head.length))}`;
}

/** Static drop counts the emulated device has besides the invalid-SPI drops (zeroed by `clear`). */
const BACKGROUND_DROPS: Record<number, number> = { 5: 1, 19: 342 };

/** `show platform hardware qfp active feature ipsec datapath drops [all]`: non-zero rows only unless `all`. */
export function showQfpDrops(r: Router, now: number, all: boolean): string {
  const counts = (code: number): number => {
    if (code === QFP_INVALID_SPI_TYPE) return r.invalidSpiDrops(now);
    return r.qfpResetAt > r.bootAt ? 0 : (BACKGROUND_DROPS[code] ?? 0);
  };
  const rows = QFP_DROP_TYPES.map(([code, name]) => ({ code, name, n: counts(code) })).filter(
    (x) => all || x.n > 0,
  );
  return [
    RULE,
    'Drop Type  Name                                     Packets',
    RULE,
    ...rows.map((x) => qfpLine(x.code, x.name, x.n)),
    '',
  ].join('\n');
}

/** `show crypto ikev2 sa`: one READY IKEv2 SA per classic peer (SD-WAN peers have none: OMP distributes keys). */
export function showIkev2Sa(r: Router, now: number): string {
  const lines = [
    ' IPv4 Crypto IKEv2  SA ',
    '',
    'Tunnel-id Local                 Remote                fvrf/ivrf            Status ',
  ];
  r.peers
    .filter((p) => p.def.kind === 'classic')
    .forEach((p, i) => {
      lines.push(
        `${String(i + 1).padEnd(10)}${`${p.def.local}/500`.padEnd(22)}${`${p.def.peer}/500`.padEnd(22)}${'none/none'.padEnd(21)}READY  `,
        '      Encr: AES-CBC, keysize: 256, PRF: SHA256, Hash: SHA256, DH Grp:19, Auth sign: PSK, Auth verify: PSK',
        `      Life/Active Time: 86400/${Math.floor((now - r.bootAt) / 1000) % 86_400} sec`,
      );
    });
  lines.push('', ' IPv6 Crypto IKEv2  SA ', '');
  return lines.join('\n');
}

/** `show crypto isakmp sa`: empty, the classic peer uses IKEv2. */
export function showIsakmpSa(): string {
  return [
    'IPv4 Crypto ISAKMP SA',
    'dst             src             state          conn-id status',
    '',
    'IPv6 Crypto ISAKMP SA',
    '',
  ].join('\n');
}
