/** The lab's syslog sender speaks what the watcher parses, from each router's own address. */
import { afterEach, describe, expect, it } from 'vitest';
import { startLab, type Lab } from '../../src/lab/index.js';
import { startLabSyslog, type LabSyslog } from '../../src/lab/syslog.js';
import { listen, type Listener, type Sender } from '../../src/watch/listen.js';
import { parseSyslog } from '../../src/watch/syslog.js';

describe('lab syslog', () => {
  let lab: Lab | undefined;
  let sender: LabSyslog | undefined;
  let listener: Listener | undefined;
  afterEach(async () => {
    await sender?.close();
    await listener?.close();
    await lab?.close();
  });

  it.each(['udp', 'tcp'] as const)(
    'over %s: Cisco form with origin-id, one line per broken peer, from the router address',
    async (transport) => {
      lab = await startLab({
        scenario: ['mixed', 'healthy'],
        count: 2,
        port: 0,
        bind: '127.0.11.1',
        addressPerRouter: true,
      });
      expect(lab.routers.map((r) => r.host)).toEqual(['127.0.11.1', '127.0.11.2']);
      const got: [string, Sender][] = [];
      listener = await listen({
        addresses: [{ transport, host: '127.0.0.1', port: 0 }],
        onMessage: (b, from) => got.push([b.toString(), from]),
        onDrop: () => undefined,
      });
      sender = startLabSyslog(lab.routers, {
        target: `${transport}://127.0.0.1:${listener.bound[0]!.port}`,
        everyMs: 60_000,
      });
      await sender.tick();
      for (let i = 0; i < 200 && got.length < 4; i++) await new Promise((r) => setTimeout(r, 5));
      // mixed: two broken peers, sent by the first tick and the explicit one; healthy: nothing
      expect(got).toHaveLength(4);
      for (const [text, from] of got) {
        expect(from.address).toBe('127.0.11.1');
        const r = parseSyslog(text);
        expect(r.ok && r.message).toMatchObject({
          format: 'cisco',
          hostname: 'edge1',
          clock: 'not-authoritative',
          severity: 4,
          facility: 23,
          cisco: { mnemonic: 'RECVD_PKT_INV_SPI' },
        });
      }
      const peers = got.map(([t]) => /srcaddr=([0-9.]+)/.exec(t)![1]).sort();
      expect(peers).toEqual(['10.20.20.1', '10.20.20.1', '10.40.40.1', '10.40.40.1']);
      const seqs = got.map(([t]) => (parseSyslog(t) as { message: { sequence: number } }).message.sequence);
      expect(new Set(seqs).size).toBe(4);
    },
  );

  it('refuses a target off loopback', async () => {
    lab = await startLab({ scenario: 'healthy', port: 0 });
    expect(() => startLabSyslog(lab!.routers, { target: 'udp://192.0.2.1:514' })).toThrow(/loopback/);
  });
});
