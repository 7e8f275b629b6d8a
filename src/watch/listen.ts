/**
 * Syslog listeners: UDP (one message per datagram) and TCP (RFC 6587: octet-counting
 * `LEN SP MSG` when a frame starts with a digit, else newline-delimited). Listeners only frame:
 * each whole message goes to `onMessage` as bytes with its sender; parsing is the caller's.
 *
 * Contract: nothing a sender does makes this throw. An oversized message, a bad octet count, a
 * socket error of one connection: `onDrop` with a reason, and the listener carries on.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { isIP, createServer, type Server, type Socket } from 'node:net';
import { RunbookError } from '../errors.js';

export type Transport = 'udp' | 'tcp';

export interface ListenAddress {
  transport: Transport;
  host: string;
  port: number;
}

export interface Sender {
  transport: Transport;
  /** Source address as the socket saw it (IPv4-mapped IPv6 unwrapped). */
  address: string;
  port: number;
}

export type DropReason = 'oversized' | 'bad-frame' | 'connection-error' | 'too-many-connections';

export interface ListenOptions {
  addresses: ListenAddress[];
  /** Largest message accepted, in bytes (default 8192, RFC 5425's recommended minimum is 2048). */
  maxMessageBytes?: number;
  /** Open TCP connections at once; more are refused (counted). Default 1000. */
  maxConnections?: number;
  onMessage(bytes: Buffer, from: Sender): void;
  onDrop(reason: DropReason, from: Sender, detail: string): void;
}

export interface Listener {
  /** The bound addresses (port 0 resolved), in the order given. */
  readonly bound: ListenAddress[];
  close(): Promise<void>;
}

export const DEFAULT_MAX_MESSAGE_BYTES = 8192;
const DEFAULT_SYSLOG_PORT = 514;

/**
 * `udp://127.0.0.1:5514`, `tcp://[::1]:6514`, `udp://0.0.0.0` (port 514). Throws E_USAGE with a
 * hint for anything else.
 */
export function parseListenUrl(url: string): ListenAddress {
  const m = /^(udp|tcp):\/\/(\[[0-9A-Fa-f:.]+\]|[^:/[\]]+)(?::(\d{1,5}))?\/?$/u.exec(url.trim());
  const host = m?.[2]?.replace(/^\[|\]$/gu, '');
  const port = m?.[3] === undefined ? DEFAULT_SYSLOG_PORT : Number(m[3]);
  if (!m || !host || isIP(host) === 0 || port > 65535) {
    throw new RunbookError('E_USAGE', `--listen ${url}: not a udp:// or tcp:// address to listen on`, {
      hint: 'write udp://ADDRESS:PORT or tcp://ADDRESS:PORT with an IP address, IPv6 in brackets: e.g. udp://127.0.0.1:5514, tcp://[::1]:5514',
    });
  }
  return { transport: m[1] as Transport, host, port };
}

export function formatListenAddress(a: ListenAddress): string {
  return `${a.transport}://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
}

function unmap(address: string | undefined): string {
  if (!address) return '?';
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

export async function listen(o: ListenOptions): Promise<Listener> {
  const max = o.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const closers: (() => Promise<void>)[] = [];
  const bound: ListenAddress[] = [];
  try {
    for (const a of o.addresses) {
      const b = a.transport === 'udp' ? await listenUdp(a, max, o) : await listenTcp(a, max, o);
      bound.push(b.address);
      closers.push(b.close);
    }
  } catch (err) {
    await Promise.all(closers.map((c) => c()));
    throw err;
  }
  return { bound, close: async () => void (await Promise.all(closers.map((c) => c()))) };
}

function bindError(a: ListenAddress, err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  const where = formatListenAddress(a);
  if (code === 'EADDRINUSE')
    return new RunbookError('E_USAGE', `cannot listen on ${where}: the port is in use`, {
      hint: 'stop the other syslog receiver (rsyslog, another watcher) or choose another port',
    });
  if (code === 'EACCES')
    return new RunbookError('E_USAGE', `cannot listen on ${where}: permission denied`, {
      hint: 'ports below 1024 need privileges: use e.g. 5514 and point the routers (logging host ... transport udp port 5514) at it',
    });
  if (code === 'EADDRNOTAVAIL')
    return new RunbookError('E_USAGE', `cannot listen on ${where}: no such address on this machine`, {
      hint: 'use an address of this machine, 0.0.0.0 or ::',
    });
  return err;
}

async function listenUdp(
  a: ListenAddress,
  max: number,
  o: ListenOptions,
): Promise<{ address: ListenAddress; close: () => Promise<void> }> {
  const socket: UdpSocket =
    isIP(a.host) === 6 ? createSocket({ type: 'udp6', ipv6Only: true }) : createSocket({ type: 'udp4' });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', (err) => reject(bindError(a, err)));
    socket.bind(a.port, a.host, () => resolve());
  });
  // after bind, an error (e.g. ICMP-induced) is logged as a drop, never thrown
  socket.on('error', (err) =>
    o.onDrop('connection-error', { transport: 'udp', address: a.host, port: 0 }, err.message),
  );
  socket.on('message', (msg, rinfo) => {
    const from: Sender = { transport: 'udp', address: unmap(rinfo.address), port: rinfo.port };
    if (msg.length > max) o.onDrop('oversized', from, `${msg.length} bytes > ${max}`);
    else o.onMessage(msg, from);
  });
  const port = socket.address().port;
  return {
    address: { ...a, port },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

async function listenTcp(
  a: ListenAddress,
  max: number,
  o: ListenOptions,
): Promise<{ address: ListenAddress; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const maxConnections = o.maxConnections ?? 1000;
  const server: Server = createServer((socket) => {
    const from: Sender = {
      transport: 'tcp',
      address: unmap(socket.remoteAddress),
      port: socket.remotePort ?? 0,
    };
    if (sockets.size >= maxConnections) {
      o.onDrop('too-many-connections', from, `${maxConnections} connections already open`);
      socket.destroy();
      return;
    }
    sockets.add(socket);
    const framer = new TcpFramer(max, {
      message: (bytes) => o.onMessage(bytes, from),
      drop: (reason, detail) => o.onDrop(reason, from, detail),
    });
    socket.on('data', (chunk: Buffer) => {
      if (!framer.push(chunk)) socket.destroy();
    });
    socket.on('end', () => {
      framer.end();
      socket.end();
    });
    socket.on('error', (err) => o.onDrop('connection-error', from, err.message));
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(bindError(a, err)));
    server.listen({ port: a.port, host: a.host, ipv6Only: isIP(a.host) === 6 }, () => resolve());
  });
  server.on('error', () => undefined);
  const addr = server.address();
  const port = addr && typeof addr === 'object' ? addr.port : a.port;
  return {
    address: { ...a, port },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * RFC 6587 framing of one TCP stream. Octet-counting when a frame starts with a digit
 * (`123 <PRI>...`), else non-transparent framing: a message ends at LF (a CR before it, or a NUL
 * terminator as some senders use, is dropped). Frames may switch between the two.
 */
export class TcpFramer {
  private buf: Buffer = Buffer.alloc(0);
  /** Octet-counting: bytes of the current frame still to skip (an oversized frame being dropped). */
  private skip = 0;
  /** Newline framing: discarding up to the next LF (an oversized line). */
  private discarding = false;

  constructor(
    private readonly max: number,
    private readonly out: {
      message(bytes: Buffer): void;
      drop(reason: DropReason, detail: string): void;
    },
  ) {}

  /** Feed bytes; false when the stream cannot be framed any more (close the connection). */
  push(chunk: Buffer): boolean {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, this.buf.length);
        this.skip -= n;
        this.buf = this.buf.subarray(n);
        if (this.skip > 0) return true;
      }
      if (this.buf.length === 0) return true;
      if (this.discarding) {
        const lf = this.buf.indexOf(0x0a);
        if (lf < 0) {
          this.buf = Buffer.alloc(0);
          return true;
        }
        this.discarding = false;
        this.buf = this.buf.subarray(lf + 1);
        continue;
      }
      const first = this.buf[0]!;
      if (first >= 0x31 && first <= 0x39) {
        // octet-counting: MSG-LEN is NONZERO-DIGIT *DIGIT, then SP
        const sp = this.buf.indexOf(0x20);
        const head = this.buf.subarray(0, sp < 0 ? Math.min(this.buf.length, 11) : sp).toString('latin1');
        if (!/^\d+$/u.test(head) || head.length > 10) {
          this.out.drop('bad-frame', `octet count '${head.slice(0, 12)}' is not a number`);
          return false;
        }
        if (sp < 0) return true; // count not complete yet
        const len = Number(head);
        const body = sp + 1;
        if (len > this.max) {
          this.out.drop('oversized', `${len} bytes > ${this.max}`);
          this.skip = len;
          this.buf = this.buf.subarray(body);
          continue;
        }
        if (this.buf.length < body + len) return true;
        this.out.message(Buffer.from(this.buf.subarray(body, body + len)));
        this.buf = this.buf.subarray(body + len);
        continue;
      }
      const lf = this.buf.indexOf(0x0a);
      if (lf < 0) {
        if (this.buf.length > this.max) {
          this.out.drop('oversized', `a line longer than ${this.max} bytes`);
          this.discarding = true;
          this.buf = Buffer.alloc(0);
        }
        return true;
      }
      let line = this.buf.subarray(0, lf);
      this.buf = this.buf.subarray(lf + 1);
      if (line.length > this.max) {
        this.out.drop('oversized', `${line.length} bytes > ${this.max}`);
        continue;
      }
      while (line.length > 0 && (line[line.length - 1] === 0x0d || line[line.length - 1] === 0x00))
        line = line.subarray(0, -1);
      if (line.length > 0) this.out.message(Buffer.from(line));
    }
  }

  /** End of stream: a last unterminated line is a message; a cut octet-counted frame is dropped. */
  end(): void {
    if (this.skip > 0) return;
    if (this.buf.length === 0 || this.discarding) return;
    const first = this.buf[0]!;
    if (first >= 0x31 && first <= 0x39) this.out.drop('bad-frame', 'the connection closed inside a frame');
    else this.out.message(Buffer.from(this.buf));
    this.buf = Buffer.alloc(0);
  }
}
