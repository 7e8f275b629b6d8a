/**
 * The emulated edge's fixed topology and the scenarios that break parts of it.
 * Every router has the same peers (one classic IKE peer, three SD-WAN peers on two colours, two of
 * them to the same remote edge), so a broken tunnel always sits beside healthy ones.
 */

export type Scenario = 'classic' | 'sdwan' | 'sdwan-cleared' | 'healthy' | 'mixed';

export const SCENARIOS: readonly Scenario[] = ['classic', 'sdwan', 'sdwan-cleared', 'healthy', 'mixed'];

/** A local WAN transport (TLOC) of the edge. */
export interface LocalTloc {
  color: string;
  iface: string;
  /** SD-WAN tunnel interface riding on `iface` (named in logs as `input interface=`). */
  tunnel: string;
  addr: string;
}

export interface PeerDef {
  peer: string;
  kind: 'classic' | 'sdwan';
  tunnel: string;
  local: string;
  /** Physical interface carrying the tunnel (`ip mtu idb`). */
  iface: string;
  /** SD-WAN only: local TLOC colour, remote colour, remote system IP, site id and TLOC port. */
  color?: string;
  remoteColor?: string;
  systemIp?: string;
  siteId?: number;
  remotePort?: number;
}

export const LOCAL_TLOCS: readonly LocalTloc[] = [
  { color: 'biz-internet', iface: 'GigabitEthernet1', tunnel: 'Tunnel10001', addr: '10.10.10.1' },
  { color: 'mpls', iface: 'GigabitEthernet2', tunnel: 'Tunnel10002', addr: '10.10.11.1' },
];

export const PEERS: readonly PeerDef[] = [
  {
    peer: '10.40.40.1',
    kind: 'classic',
    tunnel: 'Tunnel100',
    local: '10.30.30.1',
    iface: 'GigabitEthernet3',
  },
  {
    peer: '10.20.20.1',
    kind: 'sdwan',
    tunnel: 'Tunnel10001',
    local: '10.10.10.1',
    iface: 'GigabitEthernet1',
    color: 'biz-internet',
    remoteColor: 'biz-internet',
    systemIp: '172.16.255.20',
    siteId: 200,
    remotePort: 12366,
  },
  {
    peer: '10.20.21.1',
    kind: 'sdwan',
    tunnel: 'Tunnel10002',
    local: '10.10.11.1',
    iface: 'GigabitEthernet2',
    color: 'mpls',
    remoteColor: 'mpls',
    systemIp: '172.16.255.20',
    siteId: 200,
    remotePort: 12346,
  },
  {
    peer: '10.20.30.1',
    kind: 'sdwan',
    tunnel: 'Tunnel10001',
    local: '10.10.10.1',
    iface: 'GigabitEthernet1',
    color: 'biz-internet',
    remoteColor: 'biz-internet',
    systemIp: '172.16.255.30',
    siteId: 300,
    remotePort: 12346,
  },
];

/** Controllers the edge keeps control connections to, per local colour. */
export const CONTROLLERS = [
  {
    type: 'vsmart',
    systemIp: '172.16.255.19',
    siteId: 100,
    privateIp: '10.0.5.19',
    publicIp: '198.51.100.19',
    port: 12346,
  },
  {
    type: 'vsmart',
    systemIp: '172.16.255.18',
    siteId: 100,
    privateIp: '10.0.5.18',
    publicIp: '198.51.100.18',
    port: 12346,
  },
  {
    type: 'vmanage',
    systemIp: '172.16.255.21',
    siteId: 100,
    privateIp: '10.0.5.21',
    publicIp: '198.51.100.21',
    port: 12746,
  },
] as const;

/** Control connections per local colour: both vSmarts on every colour, vManage on the first colour. */
export function controllersOf(color: string): (typeof CONTROLLERS)[number][] {
  return CONTROLLERS.filter((c) => c.type === 'vsmart' || color === LOCAL_TLOCS[0]!.color);
}

/** OMP sessions: to the vSmarts, with routes received/installed/sent. */
export const OMP_PEERS = [
  { peer: '172.16.255.19', type: 'vsmart', siteId: 100, ris: '6/4/3' },
  { peer: '172.16.255.18', type: 'vsmart', siteId: 100, ris: '6/0/3' },
] as const;

/** Colours the SD-WAN CLI accepts (any other word is invalid input). */
export const COLORS = [
  'default',
  'mpls',
  'metro-ethernet',
  'biz-internet',
  'public-internet',
  'lte',
  '3g',
  'red',
  'green',
  'blue',
  'gold',
  'silver',
  'bronze',
  'custom1',
  'custom2',
  'custom3',
  'private1',
  'private2',
  'private3',
  'private4',
  'private5',
  'private6',
] as const;

/** The initial SA state of each peer (by address) in a scenario; unlisted peers are healthy. */
export function brokenPeers(scenario: Scenario): Record<string, 'invalid-spi' | 'cleared'> {
  switch (scenario) {
    case 'classic':
      return { '10.40.40.1': 'invalid-spi' };
    case 'sdwan':
      return { '10.20.20.1': 'invalid-spi' };
    case 'sdwan-cleared':
      return { '10.20.20.1': 'cleared' };
    case 'mixed':
      return { '10.40.40.1': 'invalid-spi', '10.20.20.1': 'invalid-spi' };
    case 'healthy':
      return {};
  }
}
