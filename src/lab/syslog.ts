/**
 * The lab's routers as syslog senders: each router sends its `%CRYPTO-4-RECVD_PKT_INV_SPI` lines
 * (one per broken peer, repeated every `everyMs` while the peer stays broken, as IOS rate-limits
 * the message) to a syslog target in Cisco's form
 * `<188>SEQ: edge1: *Dec  1 20:10:40.476 UTC: %CRYPTO-4-RECVD_PKT_INV_SPI: ...`, from the
 * router's own address (its `host`; see LabOptions.addressPerRouter). Only loopback targets.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, isIP, type Socket } from 'node:net';
import { RunbookError } from '../errors.js';
import { isLoopback, type LabRouter } from './index.js';
import { logTime } from './render-system.js';
import { PEERS } from './topology.js';

export interface LabSyslogOptions {
  /** `udp://127.0.0.1:5514` or `tcp://127.0.0.1:5514` (TCP frames are octet-counted). */
  target: string;
  /** Repeat interval of a broken peer's line, in ms. Default 30 000 (the lab's log buffer rate). */
  everyMs?: number;
  /** Include the hostname (`logging origin-id hostname`). Default true. */
  originId?: boolean;
  /** Clock for the stamps; default Date.now. */
  now?: () => number;
}

export interface LabSyslog {
  /** Messages sent so far. */
  sent(): number;
  /** Send one round now (every broken peer of every router once). */
  tick(): Promise<void>;
  close(): Promise<void>;
}

const LOCAL7 = 23;

function parseTarget(url: string): { transport: 'udp' | 'tcp'; host: string; port: number } {
  const m = /^(udp|tcp):\/\/(\[[0-9A-Fa-f:.]+\]|[0-9.]+):(\d{1,5})$/u.exec(url.trim());
  const host = m?.[2]?.replace(/^\[|\]$/gu, '');
  if (!m || !host || isIP(host) === 0 || Number(m[3]) > 65535 || !isLoopback(host))
    throw new RunbookError('E_USAGE', `--syslog ${url}: not a loopback udp:// or tcp:// target`, {
      hint: 'the lab only sends to loopback, e.g. --syslog udp://127.0.0.1:5514',
    });
  return { transport: m[1] as 'udp' | 'tcp', host, port: Number(m[3]) };
}

/** The router's INV_SPI syslog lines for its currently broken peers. */
function invSpiMessages(r: LabRouter, o: { seq: () => number; now: number; originId: boolean }): string[] {
  const out: string[] = [];
  // a mock device model without the INV_SPI plug-in has no tunnels to log about
  if (r.scenario === undefined) return out;
  for (const p of r.state().peers) {
    if (p.sa === 'ok') continue;
    const def = PEERS.find((d) => d.peer === p.peer);
    if (!def) continue;
    const iface = def.kind === 'sdwan' ? `, input interface=${def.tunnel}` : '';
    const pri = LOCAL7 * 8 + 4;
    out.push(
      `<${pri}>${o.seq()}: ${o.originId ? `${r.name}: ` : ''}*${logTime(o.now)}: %CRYPTO-4-RECVD_PKT_INV_SPI: decaps: rec'd IPSEC packet has invalid spi for destaddr=${def.local}, prot=50, spi=${p.spiIn}, srcaddr=${def.peer}${iface}`,
    );
  }
  return out;
}

export function startLabSyslog(routers: readonly LabRouter[], o: LabSyslogOptions): LabSyslog {
  const target = parseTarget(o.target);
  const now = o.now ?? Date.now;
  const originId = o.originId ?? true;
  let sent = 0;
  let closed = false;
  const seqs = new Map<string, number>();
  const udp = new Map<string, UdpSocket>();
  const tcp = new Map<string, Socket>();

  const socketFor = async (r: LabRouter): Promise<(msg: string) => Promise<void>> => {
    if (target.transport === 'udp') {
      let s = udp.get(r.name);
      if (!s) {
        s = createSocket(isIP(r.host) === 6 ? 'udp6' : 'udp4');
        s.on('error', () => undefined);
        const sock = s;
        await new Promise<void>((res) => sock.bind(0, r.host, () => res()));
        udp.set(r.name, s);
      }
      const sock = s;
      return (msg) => new Promise<void>((res) => sock.send(msg, target.port, target.host, () => res()));
    }
    let c = tcp.get(r.name);
    if (!c || c.destroyed) {
      c = connect({ host: target.host, port: target.port, localAddress: r.host });
      c.on('error', () => undefined);
      tcp.set(r.name, c);
    }
    const conn = c;
    return (msg) =>
      new Promise<void>((res) => {
        const bytes = Buffer.from(msg, 'utf8');
        conn.write(`${bytes.length} ${msg}`, () => res());
      });
  };

  // rounds never overlap (one socket per router, sequence numbers in order)
  let chain: Promise<void> = Promise.resolve();
  const tick = (): Promise<void> => (chain = chain.then(round, round));
  const round = async (): Promise<void> => {
    const at = now();
    for (const r of routers) {
      if (closed) return;
      const seq = (): number => {
        const n = (seqs.get(r.name) ?? 0) + 1;
        seqs.set(r.name, n);
        return n;
      };
      const lines = invSpiMessages(r, { seq, now: at, originId });
      if (lines.length === 0) continue;
      const send = await socketFor(r);
      for (const line of lines) {
        await send(line);
        sent += 1;
      }
    }
  };

  void tick();
  const timer = setInterval(() => void tick(), o.everyMs ?? 30_000);
  timer.unref();
  return {
    sent: () => sent,
    tick,
    close: async () => {
      closed = true;
      clearInterval(timer);
      await Promise.all([...udp.values()].map((s) => new Promise<void>((res) => s.close(() => res()))));
      for (const c of tcp.values()) c.end();
    },
  };
}
