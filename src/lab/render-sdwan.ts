/**
 * Catalyst SD-WAN outputs: `show sdwan bfd sessions`, `show sdwan control connections`,
 * `show sdwan control local-properties`, `show sdwan omp peers`. Headers are copied from the real
 * captures in test/fixtures/outputs; rows are aligned under them.
 */
import type { Router } from './state.js';
import { LOCAL_TLOCS, OMP_PEERS, controllersOf } from './topology.js';

/** `d:hh:mm:ss`, the SD-WAN uptime format. */
export function sdwanUptime(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${Math.floor(s / 86_400)}:${pad(Math.floor(s / 3600) % 24)}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`;
}

/** Pad each value to its column width (the last column is not padded). */
function row(widths: number[], values: (string | number)[]): string {
  return values
    .map((v, i) => (i < widths.length ? String(v).padEnd(widths[i]!) : String(v)))
    .join('')
    .trimEnd();
}

const BFD_HEADER = [
  '                                    SOURCE TLOC      REMOTE TLOC                       DST PUBLIC       DST PUBLIC         DETECT      TX                              ',
  'SYSTEM IP        SITE ID  STATE       COLOR            COLOR            SOURCE IP        IP               PORT        ENCAP  MULTIPLIER  INTERVAL(msec)  UPTIME        TRANSITIONS',
  '-'.repeat(175),
];
const BFD_WIDTHS = [17, 9, 12, 17, 17, 17, 17, 12, 7, 12, 16, 14];

export function showBfdSessions(r: Router, now: number): string {
  const rows = r.peers
    .filter((p) => p.def.kind === 'sdwan')
    .map((p) => {
      const up = r.bfd(p, now) === 'up';
      return row(BFD_WIDTHS, [
        p.def.systemIp!,
        p.def.siteId!,
        up ? 'up' : 'down',
        p.def.color!,
        p.def.remoteColor!,
        p.def.local,
        p.def.peer,
        p.def.remotePort!,
        'ipsec',
        7,
        1000,
        up ? sdwanUptime(now - p.upAt) : 'NA',
        r.bfdTransitions(p, now),
      ]);
    });
  return [...BFD_HEADER, ...rows, ''].join('\n');
}

const CONTROL_HEADER = [
  '                                                                                       PEER                                          PEER                                          CONTROLLER ',
  'PEER    PEER PEER            SITE       DOMAIN PEER                                    PRIV  PEER                                    PUB                                           GROUP      ',
  'TYPE    PROT SYSTEM IP       ID         ID     PRIVATE IP                              PORT  PUBLIC IP                               PORT  ORGANIZATION            LOCAL COLOR     PROXY STATE UPTIME      ID         ',
  '-'.repeat(184),
];
const CONTROL_WIDTHS = [8, 5, 16, 11, 7, 40, 6, 40, 6, 24, 16, 6, 6, 12];
const ORGANIZATION = 'runbook-lab';

export function showControlConnections(r: Router, now: number): string {
  const rows = LOCAL_TLOCS.flatMap((t) => {
    const up = r.controlUp(t.color, now);
    return controllersOf(t.color).map((c) =>
      row(CONTROL_WIDTHS, [
        c.type,
        'dtls',
        c.systemIp,
        c.siteId,
        c.type === 'vmanage' ? 0 : 1,
        c.privateIp,
        c.port,
        c.publicIp,
        c.port,
        ORGANIZATION,
        t.color,
        'No',
        up ? 'up' : 'connect',
        up ? sdwanUptime(now - r.ctl[t.color]!.upAt) : '-',
        0,
      ]),
    );
  });
  return [...CONTROL_HEADER, ...rows, ''].join('\n');
}

const PROPS_TABLE_HEADER = [
  '                         PUBLIC          PUBLIC PRIVATE         PRIVATE                                 PRIVATE                        WAN   MAX   RESTRICT/           LAST         SPI TIME    NAT  VM          BIND',
  'INTERFACE                IPv4            PORT   IPv4            IPv6                                    PORT    VS/VM COLOR            STATE CNTRL CONTROL/     LR/LB  CONNECTION   REMAINING   TYPE CON REG     INTERFACE',
  '                                                                                                                                                   STUN                                              PRF IDs',
  '-'.repeat(218),
];
const PROPS_WIDTHS = [25, 16, 7, 16, 40, 8, 6, 17, 6, 6, 13, 7, 13, 12, 5, 4, 8];

function kv(key: string, value: string | number): string {
  return `${key.padEnd(34)}${value}`;
}

/** `show sdwan control local-properties`; `port-hopped TRUE` once any colour hopped. */
export function showLocalProperties(r: Router, now: number): string {
  const hops = Object.values(r.ctl);
  const lastHop = Math.max(r.bootAt, ...hops.map((c) => c.hopAt ?? 0));
  const rows = LOCAL_TLOCS.map((t) => {
    const up = r.controlUp(t.color, now);
    const port = r.tlocPort(t.color);
    return row(PROPS_WIDTHS, [
      t.iface,
      t.addr,
      port,
      t.addr,
      '::',
      port,
      up ? '2/1' : '0/0',
      t.color,
      up ? 'up' : 'down',
      2,
      'no/yes/no',
      'No/No',
      sdwanUptime(now - Math.min(now, r.ctl[t.color]!.upAt)),
      '0:00:11:41',
      'E',
      5,
      'Default',
      'N/A',
    ]);
  });
  return [
    kv('personality', 'vedge'),
    kv('sp-organization-name', ORGANIZATION),
    kv('organization-name', ORGANIZATION),
    kv('root-ca-chain-status', 'Installed'),
    kv('root-ca-crl-status', 'Not-Installed'),
    '',
    kv('certificate-status', 'Installed'),
    kv('certificate-validity', 'Valid'),
    kv('certificate-not-valid-before', 'Jul 13 14:33:15 2024 GMT'),
    kv('certificate-not-valid-after', 'Aug  9 20:58:26 2099 GMT'),
    '',
    kv('dns-name', 'vbond.lab.invalid'),
    kv('site-id', r.siteId()),
    kv('domain-id', 1),
    kv('protocol', 'dtls'),
    kv('tls-port', 0),
    kv('system-ip', r.systemIp()),
    kv('chassis-num/unique-id', `C8K-LAB-${String(r.index + 1).padStart(5, '0')}`),
    kv('serial-num', (0x0256d35f + r.index).toString(16).toUpperCase().padStart(8, '0')),
    kv('token', '-NA-'),
    kv('keygen-interval', '0:00:05:00'),
    kv('retry-interval', '0:00:00:16'),
    kv('no-activity-exp-interval', '0:00:00:20'),
    kv('dns-cache-ttl', '0:00:00:00'),
    kv('port-hopped', hops.some((c) => c.hops > 0) ? 'TRUE' : 'FALSE'),
    kv('time-since-last-port-hop', sdwanUptime(now - lastHop)),
    kv('embargo-check', 'success'),
    kv('device-role', 'edge-router'),
    kv('number-vbond-peers', 0),
    kv('number-active-wan-interfaces', LOCAL_TLOCS.length),
    '',
    '',
    ' NAT TYPE: E -- indicates End-point independent mapping',
    '           A -- indicates Address-port dependent mapping',
    '           N -- indicates Not learned',
    '           Note: Requires minimum two vbonds to learn the NAT type',
    '',
    ...PROPS_TABLE_HEADER,
    ...rows,
    '',
  ].join('\n');
}

const OMP_WIDTHS = [17, 8, 10, 10, 10, 9, 17];

/** `show sdwan omp peers`: OMP sessions to the vSmarts; `init` while they re-establish. */
export function showOmpPeers(r: Router, now: number): string {
  const up = r.ompUp(now);
  return [
    'R -> routes received',
    'I -> routes installed',
    'S -> routes sent',
    '',
    '                         DOMAIN    OVERLAY   SITE',
    'PEER             TYPE    ID        ID        ID        STATE    UPTIME           R/I/S',
    '-'.repeat(90),
    ...OMP_PEERS.map((p) =>
      row(OMP_WIDTHS, [
        p.peer,
        p.type,
        1,
        1,
        p.siteId,
        up ? 'up' : 'init',
        up ? sdwanUptime(now - r.ompUpAt) : '-',
        up ? p.ris : '0/0/0',
      ]),
    ),
    '',
  ].join('\n');
}
