import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RunbookError } from '../../src/errors.js';
import {
  listen,
  parseListenUrl,
  TcpFramer,
  type DropReason,
  type Listener,
  type Sender,
} from '../../src/watch/listen.js';

function framer(max = 64): { f: TcpFramer; got: string[]; drops: DropReason[] } {
  const got: string[] = [];
  const drops: DropReason[] = [];
  const f = new TcpFramer(max, {
    message: (b) => got.push(b.toString('utf8')),
    drop: (r) => drops.push(r),
  });
  return { f, got, drops };
}

describe('parseListenUrl', () => {
  it('udp and tcp, IPv4 and bracketed IPv6, default port 514', () => {
    expect(parseListenUrl('udp://127.0.0.1:5514')).toEqual({
      transport: 'udp',
      host: '127.0.0.1',
      port: 5514,
    });
    expect(parseListenUrl('tcp://[::1]:6514')).toEqual({ transport: 'tcp', host: '::1', port: 6514 });
    expect(parseListenUrl('udp://0.0.0.0')).toEqual({ transport: 'udp', host: '0.0.0.0', port: 514 });
  });

  it.each([
    'http://127.0.0.1:514',
    'udp://edge1:514',
    'udp://127.0.0.1:99999',
    'udp://::1:514',
    '127.0.0.1:514',
  ])('%s is a usage error with a hint', (url) => {
    try {
      parseListenUrl(url);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(RunbookError);
      expect((err as RunbookError).code).toBe('E_USAGE');
      expect((err as RunbookError).hint).toContain('udp://127.0.0.1:5514');
    }
  });
});

describe('TCP framing (RFC 6587)', () => {
  it('octet-counting, split across chunks at every byte', () => {
    const msg = '<189>1: %SYS-5-CONFIG_I: Configured';
    const stream = Buffer.from(`${msg.length} ${msg}${msg.length} ${msg}`);
    const { f, got, drops } = framer();
    for (const byte of stream) expect(f.push(Buffer.from([byte]))).toBe(true);
    expect(got).toEqual([msg, msg]);
    expect(drops).toEqual([]);
  });

  it('newline framing with CRLF and NUL terminators, a last line without LF at end of stream', () => {
    const { f, got } = framer();
    f.push(Buffer.from('<13>one\r\n<13>two\0\n\n<13>thr'));
    f.push(Buffer.from('ee\n<13>four'));
    f.end();
    expect(got).toEqual(['<13>one', '<13>two', '<13>three', '<13>four']);
  });

  it('frames may switch between octet-counting and newlines', () => {
    const { f, got } = framer();
    f.push(Buffer.from('5 <13>a<13>b\n7 <13>ccc'));
    expect(got).toEqual(['<13>a', '<13>b', '<13>ccc']);
  });

  it('an oversized octet-counted frame is skipped and the stream stays in sync', () => {
    const { f, got, drops } = framer(10);
    const big = `<13>${'x'.repeat(30)}`;
    f.push(Buffer.from(`${big.length} ${big.slice(0, 12)}`));
    f.push(Buffer.from(`${big.slice(12)}5 <13>a`));
    expect(drops).toEqual(['oversized']);
    expect(got).toEqual(['<13>a']);
  });

  it('an oversized line is discarded up to its newline', () => {
    const { f, got, drops } = framer(10);
    f.push(Buffer.from(`<13>${'y'.repeat(20)}`));
    f.push(Buffer.from('yyyy\n<13>ok\n'));
    expect(drops).toEqual(['oversized']);
    expect(got).toEqual(['<13>ok']);
  });

  it('a bad octet count closes the stream (it cannot be resynchronised)', () => {
    const { f, drops } = framer();
    expect(f.push(Buffer.from('12x <13>abc'))).toBe(false);
    expect(drops).toEqual(['bad-frame']);
  });

  it('a frame cut by the end of the stream is dropped, not delivered', () => {
    const { f, got, drops } = framer();
    f.push(Buffer.from('20 <13>short'));
    f.end();
    expect(got).toEqual([]);
    expect(drops).toEqual(['bad-frame']);
  });
});

describe('listen on loopback', () => {
  let listener: Listener | undefined;
  afterEach(async () => {
    await listener?.close();
    listener = undefined;
  });

  async function start(
    max = 100,
  ): Promise<{ got: [string, Sender][]; drops: [DropReason, Sender][]; l: Listener }> {
    const got: [string, Sender][] = [];
    const drops: [DropReason, Sender][] = [];
    listener = await listen({
      addresses: [
        parseListenUrl('udp://127.0.0.1:0'),
        parseListenUrl('tcp://127.0.0.1:0'),
        parseListenUrl('udp://[::1]:0'),
      ],
      maxMessageBytes: max,
      onMessage: (b, from) => got.push([b.toString(), from]),
      onDrop: (r, from) => drops.push([r, from]),
    });
    return { got, drops, l: listener };
  }

  const until = async (cond: () => boolean): Promise<void> => {
    for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  };

  it('UDP datagrams from a sender bound to its own loopback address; oversized ones are dropped', async () => {
    const { got, drops, l } = await start();
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.7', () => r()));
    const port = l.bound[0]!.port;
    sock.send('<189>1: %SYS-5-CONFIG_I: a', port, '127.0.0.1');
    sock.send(`<189>${'z'.repeat(200)}`, port, '127.0.0.1');
    sock.send('<189>2: %SYS-5-CONFIG_I: b', port, '127.0.0.1');
    await until(() => got.length >= 2 && drops.length >= 1);
    sock.close();
    expect(got.map(([m]) => m)).toEqual(['<189>1: %SYS-5-CONFIG_I: a', '<189>2: %SYS-5-CONFIG_I: b']);
    expect(got[0]![1]).toMatchObject({ transport: 'udp', address: '127.0.0.7' });
    expect(drops.map(([r]) => r)).toEqual(['oversized']);
  });

  it('UDP over IPv6 ::1', async () => {
    const { got, l } = await start();
    const sock = createSocket('udp6');
    sock.send('<13>v6', l.bound[2]!.port, '::1');
    await until(() => got.length >= 1);
    sock.close();
    expect(got[0]).toEqual(['<13>v6', expect.objectContaining({ address: '::1' })]);
  });

  it('TCP with both framings in one connection, and a broken connection does not stop the listener', async () => {
    const { got, drops, l } = await start();
    const port = l.bound[1]!.port;
    const bad = connect({ port, host: '127.0.0.1', localAddress: '127.0.0.9' });
    bad.write('99999999999999 <13>x');
    await until(() => drops.length >= 1);
    bad.destroy();
    const good = connect({ port, host: '127.0.0.1', localAddress: '127.0.0.8' });
    good.write('6 <13>ab<13>cd\n');
    good.end();
    await until(() => got.length >= 2);
    expect(drops[0]![0]).toBe('bad-frame');
    expect(got.map(([m, s]) => [m, s.transport, s.address])).toEqual([
      ['<13>ab', 'tcp', '127.0.0.8'],
      ['<13>cd', 'tcp', '127.0.0.8'],
    ]);
  });

  it('a port in use is a usage error naming the address', async () => {
    const { l } = await start();
    await expect(
      listen({ addresses: [l.bound[1]!], onMessage: () => undefined, onDrop: () => undefined }),
    ).rejects.toMatchObject({ code: 'E_USAGE', message: expect.stringContaining('in use') });
  });
});
