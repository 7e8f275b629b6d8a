import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSyslog } from '../../src/watch/syslog.js';
import { ciscoTagName, type SyslogMessage } from '../../src/watch/syslog-types.js';

function ok(input: string | Uint8Array, opts?: Parameters<typeof parseSyslog>[1]): SyslogMessage {
  const r = parseSyslog(input, opts);
  if (!r.ok) throw new Error(`expected ok, got ${r.error.code}: ${r.error.message}`);
  return r.message;
}

function err(input: string | Uint8Array): { code: string; offset: number } {
  const r = parseSyslog(input);
  if (r.ok) throw new Error(`expected an error, got ${JSON.stringify(r.message)}`);
  return { code: r.error.code, offset: r.error.offset };
}

const INV_SPI =
  "decaps: rec'd IPSEC packet has invalid spi for destaddr=10.10.10.1, prot=50, spi=0x241BBFF1(605913993), srcaddr=10.20.20.1, input interface=Tunnel10001";

describe('Cisco IOS XE form', () => {
  it('sequence number, origin-id hostname, * marker, msec stamp and zone', () => {
    const m = ok(`<189>123: edge1: *Dec  1 20:10:40.476 UTC: %CRYPTO-4-RECVD_PKT_INV_SPI: ${INV_SPI}`);
    expect(m).toMatchObject({
      format: 'cisco',
      pri: 189,
      facility: 23,
      severity: 4,
      sequence: 123,
      hostname: 'edge1',
      clock: 'not-authoritative',
      cisco: { facility: 'CRYPTO', severity: 4, mnemonic: 'RECVD_PKT_INV_SPI' },
      text: INV_SPI,
    });
    expect(m.time).toEqual({
      raw: 'Dec  1 20:10:40.476 UTC',
      month: 12,
      day: 1,
      hour: 20,
      minute: 10,
      second: 40,
      millisecond: 476,
      zone: 'UTC',
    });
    expect(ciscoTagName(m.cisco!)).toBe('CRYPTO-4-RECVD_PKT_INV_SPI');
  });

  it('without logging origin-id: no hostname', () => {
    const m = ok(`<189>124: *Dec  1 20:10:41.002 UTC: %CRYPTO-4-RECVD_PKT_INV_SPI: ${INV_SPI}`);
    expect(m.hostname).toBeUndefined();
    expect(m.sequence).toBe(124);
    expect(m.cisco?.mnemonic).toBe('RECVD_PKT_INV_SPI');
    expect(m.text).toBe(INV_SPI);
  });

  it('without sequence numbers, with a hostname and the . marker (NTP lost)', () => {
    const m = ok(
      '<187>edge7: .Jan 10 12:18:43.404 EDT: %LINK-3-UPDOWN: Interface Gi1, changed state to down',
    );
    expect(m).toMatchObject({
      hostname: 'edge7',
      clock: 'not-synchronized',
      severity: 3,
      cisco: { facility: 'LINK', severity: 3, mnemonic: 'UPDOWN' },
      text: 'Interface Gi1, changed state to down',
    });
    expect(m.sequence).toBeUndefined();
    expect(m.time?.zone).toBe('EDT');
  });

  it('synchronized clock (no marker), no msec, no zone, year in the stamp', () => {
    const m = ok('<189>9: Dec  1 2026 20:10:40: %SYS-5-CONFIG_I: Configured from console by admin on vty0');
    expect(m.clock).toBeUndefined();
    expect(m.time).toMatchObject({ year: 2026, month: 12, day: 1, second: 40 });
    expect(m.time?.millisecond).toBeUndefined();
    expect(m.time?.zone).toBeUndefined();
    expect(m.cisco).toEqual({ facility: 'SYS', severity: 5, mnemonic: 'CONFIG_I' });
  });

  it('an IP address as origin-id', () => {
    const m = ok('<189>5: 10.0.0.7: *Dec  1 20:10:40.476 UTC: %SYS-5-RESTART: System restarted --');
    expect(m.hostname).toBe('10.0.0.7');
  });

  it('uptime stamps (service timestamps log uptime)', () => {
    expect(ok('<189>45: 00:02:13: %SYS-5-CONFIG_I: Configured').time).toEqual({
      raw: '00:02:13',
      uptime: true,
    });
    expect(ok('<189>46: 1w2d: %SYS-5-CONFIG_I: Configured').time).toEqual({ raw: '1w2d', uptime: true });
  });

  it('no timestamps at all: sequence and tag only', () => {
    const m = ok('<189>77: %SYS-5-CONFIG_I: Configured from console');
    expect(m).toMatchObject({
      sequence: 77,
      cisco: { mnemonic: 'CONFIG_I' },
      text: 'Configured from console',
    });
  });

  it('the show logging buffer lines of the TechNote (no PRI, empty field after the stamp)', () => {
    for (const file of [
      'syslog-crypto-4-recvd-pkt-inv-spi__1.txt',
      'syslog-crypto-4-recvd-pkt-inv-spi__2.txt',
    ]) {
      const line = readFileSync(new URL(`../fixtures/outputs/${file}`, import.meta.url), 'utf8');
      const m = ok(line, { pri: 'optional' });
      expect(m.format).toBe('cisco');
      expect(m.pri).toBeUndefined();
      expect(m.cisco).toEqual({ facility: 'CRYPTO', severity: 4, mnemonic: 'RECVD_PKT_INV_SPI' });
      expect(m.text).toMatch(/^decaps: rec'd IPSEC packet has invalid spi for destaddr=/);
      expect(m.time?.zone).toBe('EDT');
      expect(m.time?.millisecond).toBeGreaterThan(0);
    }
  });

  it('the Cisco tag severity wins over the PRI severity', () => {
    expect(ok('<190>1: %CRYPTO-4-RECVD_PKT_INV_SPI: x').severity).toBe(4);
  });

  it('a facility with a digit or underscore', () => {
    expect(ok('<189>1: %IOSXE_RP_ALARM-6-INFO: ASSERT').cisco?.facility).toBe('IOSXE_RP_ALARM');
    expect(ok('<189>1: %C4K_IOSMODPORTMAN-4-POWERSUPPLYBAD: x').cisco?.facility).toBe('C4K_IOSMODPORTMAN');
  });
});

describe('RFC 3164', () => {
  it('RFC 3164 section 5.4 example 1', () => {
    const m = ok("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8");
    expect(m).toMatchObject({
      format: 'rfc3164',
      pri: 34,
      facility: 4,
      severity: 2,
      hostname: 'mymachine',
      appName: 'su',
      text: "'su root' failed for lonvick on /dev/pts/8",
      time: { month: 10, day: 11, hour: 22, minute: 14, second: 15 },
    });
  });

  it('a TAG with a PID and a space-padded day', () => {
    const m = ok('<13>Feb  5 17:32:18 10.0.0.99 sshd[4242]: Accepted publickey for ops');
    expect(m).toMatchObject({
      hostname: '10.0.0.99',
      appName: 'sshd',
      procId: '4242',
      text: 'Accepted publickey for ops',
    });
  });

  it('a Cisco tag inside an RFC 3164 message (rsyslog relaying a router)', () => {
    const m = ok(`<164>Dec  1 20:10:40 edge3 %CRYPTO-4-RECVD_PKT_INV_SPI: ${INV_SPI}`);
    expect(m.hostname).toBe('edge3');
    expect(m.cisco?.mnemonic).toBe('RECVD_PKT_INV_SPI');
  });

  it('no header after PRI: everything is text (RFC 3164 section 4.3.3)', () => {
    expect(ok('<13>hello world')).toMatchObject({ format: 'rfc3164', text: 'hello world', pri: 13 });
  });
});

describe('RFC 5424', () => {
  it('RFC 5424 example 1: NILVALUE structured data, BOM before the message', () => {
    const m = ok(
      "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \uFEFF'su root' failed for lonvick on /dev/pts/8",
    );
    expect(m).toMatchObject({
      format: 'rfc5424',
      pri: 34,
      hostname: 'mymachine.example.com',
      appName: 'su',
      msgId: 'ID47',
      text: "'su root' failed for lonvick on /dev/pts/8",
      time: { iso: '2003-10-11T22:14:15.003Z', millisecond: 3, zone: 'UTC' },
    });
    expect(m.procId).toBeUndefined();
    expect(m.structuredData).toBeUndefined();
  });

  it('the BOM arrives as UTF-8 bytes in a datagram', () => {
    const bytes = Buffer.concat([
      Buffer.from('<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - '),
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from("%% It's time to make the do-nuts."),
    ]);
    const m = ok(bytes);
    expect(m.text).toBe("%% It's time to make the do-nuts.");
    expect(m.procId).toBe('8710');
    expect(m.time?.zone).toBe('-07:00');
  });

  it('structured data with several elements and escapes', () => {
    const m = ok(
      '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high" note="a \\"quoted\\" \\] and \\\\"] An application event',
    );
    expect(m.structuredData).toEqual([
      { id: 'exampleSDID@32473', params: { iut: '3', eventSource: 'Application', eventID: '1011' } },
      { id: 'examplePriority@32473', params: { class: 'high', note: 'a "quoted" ] and \\' } },
    ]);
    expect(m.text).toBe('An application event');
  });

  it('structured data and no message', () => {
    const m = ok('<165>1 2003-10-11T22:14:15.003Z host app - - [meta sequenceId="1"]');
    expect(m.structuredData).toEqual([{ id: 'meta', params: { sequenceId: '1' } }]);
    expect(m.text).toBe('');
  });

  it('every header field NILVALUE', () => {
    const m = ok('<14>1 - - - - - - hello');
    expect(m).toMatchObject({ format: 'rfc5424', text: 'hello' });
    expect(m.time).toBeUndefined();
    expect(m.hostname).toBeUndefined();
  });

  it('an IOS XE message in RFC 5424 keeps its Cisco tag', () => {
    const m = ok(
      `<189>1 2026-12-01T20:10:40.476Z edge1 - - - [meta sequenceId="9"] %CRYPTO-4-RECVD_PKT_INV_SPI: ${INV_SPI}`,
    );
    expect(m.cisco?.mnemonic).toBe('RECVD_PKT_INV_SPI');
    expect(m.text).toBe(INV_SPI);
  });
});

describe('malformed input gives a typed error, never a throw', () => {
  it.each([
    ['', 'empty'],
    ['   \n', 'empty'],
    ['no pri here', 'no-pri'],
    ['<>1 - - - - - -', 'bad-pri'],
    ['<192>1 - - - - - - x', 'bad-pri'],
    ['<034>Oct 11 22:14:15 host su: x', 'bad-pri'],
    ['<abc>x', 'bad-pri'],
    ['<34>2 2003-10-11T22:14:15Z h a - - - x', 'bad-version'],
    ['<34>1 2003-10-11T22:14:15Z host', 'bad-header'],
    ['<34>1 2003-13-11T22:14:15Z h a - - - x', 'bad-timestamp'],
    ['<34>1 yesterday h a - - - x', 'bad-timestamp'],
    ['<34>1 - h a - - [unclosed a="1" x', 'bad-structured-data'],
    ['<34>1 - h a - - [id a=1] x', 'bad-structured-data'],
    ['<34>1 - h a - - [id a="1"]x', 'bad-structured-data'],
    ['<34>1 - h a - - nosd x', 'bad-structured-data'],
    ['<34>Oct 41 22:14:15 host su: x', 'bad-timestamp'],
    ['<34>Oct 11 22:14:15 host su: bell\u0007 rings', 'control-character'],
    ['<34>Oct 11 22:14:15 host su: one\ntwo', 'control-character'],
    ['<34>1 - h\u0001 a - - - x', 'control-character'],
  ])('%j -> %s', (input, code) => {
    expect(err(input).code).toBe(code);
  });

  it('invalid UTF-8 bytes', () => {
    expect(err(Buffer.from([0x3c, 0x31, 0x33, 0x3e, 0xff, 0xfe, 0x41])).code).toBe('encoding');
  });

  it('the error offset points at the problem', () => {
    expect(err('<34>1 - h a - - nosd x').offset).toBe('<34>1 - h a - - '.length);
  });

  it('a trailing newline (TCP newline framing, netcat) is not part of the message', () => {
    expect(ok('<13>1: %SYS-5-CONFIG_I: Configured\r\n').text).toBe('Configured');
  });

  it('random bytes never throw', () => {
    let seed = 7;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const alphabet = '<>0123456789 :-[]"=\\*.%ADecJanUTCedge1TZ\u00e9';
    for (let n = 0; n < 5000; n++) {
      const len = Math.floor(rnd() * 60);
      let s = rnd() < 0.5 ? '<189>' : '';
      for (let k = 0; k < len; k++) s += alphabet[Math.floor(rnd() * alphabet.length)];
      expect(() => parseSyslog(s)).not.toThrow();
    }
  });
});
