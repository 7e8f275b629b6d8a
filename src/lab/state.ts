/**
 * One emulated edge's state and the recovery semantics of DOMAIN.md. No timers: every counter and
 * every BFD / control-connection state is computed from timestamps at read time, so an idle router
 * costs nothing. All methods take `now` (ms since epoch) so callers and tests control time.
 */
import { LOCAL_TLOCS, PEERS, brokenPeers, controllersOf, type PeerDef, type Scenario } from './topology.js';

/** Packets per second: encrypted while an SA exists, decrypted while healthy, dropped while broken. */
const ENCAPS_PPS = 50;
const DECAPS_PPS = 48;
const DROPS_PPS = 150;
const BOOT_AGO_MS = 3 * 86_400_000 + 4 * 3_600_000;
const BROKEN_AGO_MS = 10 * 60_000;
const CLEARED_AGO_MS = 2 * 60_000;
/** Port hopping walks through these TLOC ports. */
const HOP_PORTS = [12346, 12366, 12386, 12406, 12426];

export interface PeerState {
  peer: string;
  kind: 'classic' | 'sdwan';
  color?: string;
  tunnel: string;
  sa: 'ok' | 'invalid-spi' | 'cleared';
  bfd?: 'up' | 'down';
  spiIn: string;
  spiOut: string;
  encaps: number;
  decaps: number;
  /** SD-WAN only: the remote edge's system IP (the BFD session's key). */
  systemIp?: string;
}

export interface ControlState {
  color: string;
  peerType: string;
  systemIp: string;
  state: 'up' | 'connect';
}

export interface RouterState {
  name: string;
  scenario: Scenario;
  peers: PeerState[];
  qfpInvalidSpiDrops: number;
  /** Per local colour: a port hop happened since boot. */
  portHopped: Record<string, boolean>;
  controlConnections: ControlState[];
}

/** A period during which the peer sent ESP with an SPI the router does not know. */
interface BrokenSpan {
  from: number;
  to?: number;
  spi: number;
}

export interface Peer {
  def: PeerDef;
  sa: 'ok' | 'invalid-spi' | 'cleared';
  spiIn: number;
  spiOut: number;
  /** Counters at `encT` / `decT`; they grow from there by the rules above. */
  enc0: number;
  encT: number;
  dec0: number;
  decT: number;
  /** Data plane (and BFD) is up from this instant while the SA is ok; Infinity = not coming up. */
  upAt: number;
  /** BFD down transitions so far. */
  bfdDowns: number;
  spans: BrokenSpan[];
  saCreatedAt: number;
  connId: number;
}

export interface RouterOptions {
  name: string;
  scenario: Scenario;
  /** Position in the lab, used for per-router addresses (system IP, site id) and the PRNG seed. */
  index: number;
  bfdDelayMs: number;
  now: number;
}

export class Router {
  readonly name: string;
  readonly scenario: Scenario;
  readonly index: number;
  readonly bootAt: number;
  readonly bfdDelayMs: number;
  readonly peers: Peer[];
  /** Per colour: control connections up from this instant, flap count, hop count and last hop. */
  readonly ctl: Record<string, { upAt: number; flaps: number; hops: number; hopAt?: number }>;
  ompUpAt: number;
  qfpResetAt: number;
  /** Drop-ms accumulated by spans already ended since the last QFP clear. */
  private droppedMs = 0;
  logClearedAt = 0;
  private seed: number;
  private nextSdwanSpi = 256;
  private nextConnId = 2075;

  constructor(opts: RouterOptions) {
    const now = opts.now;
    this.name = opts.name;
    this.scenario = opts.scenario;
    this.index = opts.index;
    this.bfdDelayMs = opts.bfdDelayMs;
    this.bootAt = now - BOOT_AGO_MS;
    this.qfpResetAt = this.bootAt;
    this.ompUpAt = this.bootAt + 90_000;
    this.seed = hash(`${opts.name}/${opts.scenario}`);
    this.ctl = {};
    for (const t of LOCAL_TLOCS) this.ctl[t.color] = { upAt: this.bootAt + 60_000, flaps: 0, hops: 0 };
    const broken = brokenPeers(opts.scenario);
    this.peers = PEERS.map((def) => this.initialPeer(def, broken[def.peer], now));
  }

  private initialPeer(def: PeerDef, broken: 'invalid-spi' | 'cleared' | undefined, now: number): Peer {
    const upSince = this.bootAt + 120_000;
    const p: Peer = {
      def,
      sa: 'ok',
      spiIn: this.newSpi(def),
      spiOut: this.newSpi(def),
      enc0: 0,
      encT: upSince,
      dec0: 0,
      decT: upSince,
      upAt: upSince,
      bfdDowns: 0,
      spans: [],
      saCreatedAt: upSince,
      connId: this.connIdPair(),
    };
    if (broken === undefined) return p;
    const brokeAt = now - BROKEN_AGO_MS;
    this.settle(p, brokeAt);
    p.sa = 'invalid-spi';
    p.upAt = Infinity;
    p.bfdDowns = def.kind === 'sdwan' ? 1 : 0;
    p.spans.push({ from: brokeAt, spi: this.newSpi(def) });
    if (broken === 'cleared') this.clearSa(p, now - CLEARED_AGO_MS);
    return p;
  }

  // ---- time-derived readings ----

  encaps(p: Peer, now: number): number {
    return p.enc0 + (p.sa === 'cleared' ? 0 : Math.floor(((now - p.encT) * ENCAPS_PPS) / 1000));
  }

  decaps(p: Peer, now: number): number {
    if (p.sa !== 'ok') return p.dec0;
    return p.dec0 + Math.floor((Math.max(0, now - Math.max(p.decT, p.upAt)) * DECAPS_PPS) / 1000);
  }

  bfd(p: Peer, now: number): 'up' | 'down' {
    return p.sa === 'ok' && now >= p.upAt ? 'up' : 'down';
  }

  /** BFD transitions as the device counts them: every down and every up since boot. */
  bfdTransitions(p: Peer, now: number): number {
    return p.bfdDowns * 2 - (p.bfdDowns > 0 && this.bfd(p, now) === 'down' ? 1 : 0);
  }

  controlUp(color: string, now: number): boolean {
    return now >= (this.ctl[color]?.upAt ?? Infinity);
  }

  ompUp(now: number): boolean {
    return now >= this.ompUpAt;
  }

  /** IN_US_V4_PKT_SA_NOT_FOUND_SPI since the last QFP clear: grows while any SA is broken. */
  invalidSpiDrops(now: number): number {
    let ms = this.droppedMs;
    for (const p of this.peers) {
      const open = p.spans.at(-1);
      if (open && open.to === undefined) ms += now - Math.max(open.from, this.qfpResetAt);
    }
    return Math.floor((ms * DROPS_PPS) / 1000);
  }

  /** INV_SPI spans of every peer, for the log. */
  brokenSpans(): { def: PeerDef; from: number; to?: number; spi: number }[] {
    return this.peers.flatMap((p) => p.spans.map((s) => ({ def: p.def, ...s })));
  }

  tlocPort(color: string): number {
    return HOP_PORTS[(this.ctl[color]?.hops ?? 0) % HOP_PORTS.length]!;
  }

  systemIp(): string {
    return `172.16.${Math.floor(this.index / 250) % 250}.${(this.index % 250) + 1}`;
  }

  siteId(): number {
    return 1000 + this.index;
  }

  // ---- recovery commands (DOMAIN.md) ----

  /** `clear crypto sa [peer X]`: classic peers renegotiate a new SA; SD-WAN SAs are deleted for good. */
  clearCryptoSa(peer: string | undefined, now: number): void {
    for (const p of this.peers) {
      if (peer !== undefined && p.def.peer !== peer) continue;
      if (p.def.kind === 'classic') this.newSa(p, now, now);
      else if (p.sa !== 'cleared') this.clearSa(p, now);
    }
  }

  /** `request platform software sdwan security ipsec-rekey`: fixes invalid-SPI SD-WAN SAs, not cleared ones. */
  rekey(now: number): void {
    for (const p of this.peers) {
      if (p.def.kind !== 'sdwan' || p.sa === 'cleared') continue;
      if (p.sa === 'invalid-spi') this.newSa(p, now, now + this.bfdDelayMs);
      else this.rotateSpis(p, now);
    }
  }

  /** `request platform software sdwan port_hop <color>`: new port and SAs for that colour; flaps its BFD and control. */
  portHop(color: string, now: number): void {
    const c = this.ctl[color];
    if (!c) return;
    c.hops += 1;
    c.hopAt = now;
    this.flapControl(color, now);
    for (const p of this.peers) if (p.def.color === color) this.newSa(p, now, now + this.bfdDelayMs);
  }

  /** `clear sdwan omp all`: OMP sessions restart, every SD-WAN SA is rebuilt and every BFD session flaps. */
  clearOmp(now: number): void {
    this.ompUpAt = now + this.bfdDelayMs;
    for (const p of this.peers) if (p.def.kind === 'sdwan') this.newSa(p, now, now + this.bfdDelayMs);
  }

  /** `clear sdwan control connections`: every control connection, OMP session and BFD session flaps. */
  clearControl(now: number): void {
    for (const color of Object.keys(this.ctl)) this.flapControl(color, now);
    this.clearOmp(now);
  }

  /** `show platform hardware qfp active feature ipsec datapath drops clear`. */
  clearQfp(now: number): void {
    this.droppedMs = 0;
    this.qfpResetAt = now;
  }

  clearLogging(now: number): void {
    this.logClearedAt = now;
  }

  // ---- internals ----

  /** Fold the counters grown so far into the base values (call before any change). */
  private settle(p: Peer, now: number): void {
    p.enc0 = this.encaps(p, now);
    p.encT = now;
    p.dec0 = this.decaps(p, now);
    p.decT = now;
  }

  private endSpan(p: Peer, now: number): void {
    const open = p.spans.at(-1);
    if (!open || open.to !== undefined) return;
    open.to = now;
    this.droppedMs += Math.max(0, now - Math.max(open.from, this.qfpResetAt));
  }

  /** Replace the SA with a fresh one (new SPIs, counters from 0); data plane up at `upAt`. */
  private newSa(p: Peer, now: number, upAt: number): void {
    if (p.def.kind === 'sdwan' && this.bfd(p, now) === 'up') p.bfdDowns += 1;
    this.endSpan(p, now);
    p.sa = 'ok';
    p.spiIn = this.newSpi(p.def);
    p.spiOut = this.newSpi(p.def);
    p.enc0 = 0;
    p.encT = now;
    p.dec0 = 0;
    p.decT = now;
    p.upAt = upAt;
    p.saCreatedAt = now;
    p.connId = this.connIdPair();
  }

  private rotateSpis(p: Peer, now: number): void {
    this.settle(p, now);
    p.spiIn = this.newSpi(p.def);
    p.spiOut = this.newSpi(p.def);
    p.saCreatedAt = now;
  }

  /** SD-WAN SA deleted: no SPIs, counters 0, BFD down; the remote keeps sending with the old SPI. */
  private clearSa(p: Peer, now: number): void {
    if (this.bfd(p, now) === 'up') p.bfdDowns += 1;
    const open = p.spans.at(-1);
    if (!open || open.to !== undefined) p.spans.push({ from: now, spi: p.spiIn });
    p.sa = 'cleared';
    p.spiIn = 0;
    p.spiOut = 0;
    p.enc0 = 0;
    p.encT = now;
    p.dec0 = 0;
    p.decT = now;
    p.upAt = Infinity;
  }

  private flapControl(color: string, now: number): void {
    const c = this.ctl[color];
    if (!c) return;
    c.upAt = now + this.bfdDelayMs;
    c.flaps += 1;
  }

  /** SD-WAN SPIs are small sequential numbers (as in `show sdwan ipsec local-sa`); IKE SPIs are random 32-bit. */
  private newSpi(def: PeerDef): number {
    if (def.kind === 'sdwan') return this.nextSdwanSpi++;
    this.seed = (this.seed + 0x6d2b79f5) | 0;
    let t = Math.imul(this.seed ^ (this.seed >>> 15), 1 | this.seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0 || 1;
  }

  private connIdPair(): number {
    this.nextConnId += 2;
    return this.nextConnId;
  }

  snapshot(now: number): RouterState {
    const portHopped: Record<string, boolean> = {};
    for (const [color, c] of Object.entries(this.ctl)) portHopped[color] = c.hops > 0;
    return {
      name: this.name,
      scenario: this.scenario,
      peers: this.peers.map((p) => ({
        peer: p.def.peer,
        kind: p.def.kind,
        ...(p.def.color ? { color: p.def.color } : {}),
        tunnel: p.def.tunnel,
        sa: p.sa,
        ...(p.def.kind === 'sdwan' ? { bfd: this.bfd(p, now), systemIp: p.def.systemIp } : {}),
        spiIn: spiText(p.spiIn),
        spiOut: spiText(p.spiOut),
        encaps: this.encaps(p, now),
        decaps: this.decaps(p, now),
      })),
      qfpInvalidSpiDrops: this.invalidSpiDrops(now),
      portHopped,
      controlConnections: LOCAL_TLOCS.flatMap((t) =>
        controllersOf(t.color).map((c) => ({
          color: t.color,
          peerType: c.type,
          systemIp: c.systemIp,
          state: this.controlUp(t.color, now) ? ('up' as const) : ('connect' as const),
        })),
      ),
    };
  }
}

/** IOS prints SPIs as `0x<HEX>(<decimal>)`, upper-case hex without padding. */
export function spiText(spi: number): string {
  return `0x${spi.toString(16).toUpperCase()}(${spi})`;
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h | 0;
}
