/**
 * Syslog message parser: RFC 5424, RFC 3164 (BSD) and Cisco IOS / IOS XE's own form
 * (`<189>123: edge1: *Dec  1 20:10:40.476 UTC: %CRYPTO-4-RECVD_PKT_INV_SPI: decaps: ...`, with or
 * without `logging origin-id hostname`, sequence numbers, `*`/`.` clock markers, msec stamps and
 * time-zone names). A `%FAC-SEV-MNEMONIC:` part is parsed in every format.
 *
 * Contract: never throws. Bad input (empty, no PRI, bad PRI or version, bad structured data,
 * invalid UTF-8, control characters) gives `{ ok: false, error }` with a stable `code`.
 * No npm parser is maintained that reads Cisco's form, hence this one (issue 18).
 */

import { parse5424 } from './syslog-5424.js';
import {
  fail,
  validClock,
  withCiscoTag,
  CISCO_TAG,
  type DeviceTime,
  type ParseOptions,
  type ParseResult,
  type SyslogMessage,
} from './syslog-types.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Parse one syslog message (a datagram or a TCP frame). Never throws. */
export function parseSyslog(input: string | Uint8Array, opts: ParseOptions = {}): ParseResult {
  let text: string;
  if (typeof input === 'string') text = input;
  else {
    try {
      text = decoder.decode(input);
    } catch {
      return fail('encoding', 'not valid UTF-8', 0);
    }
  }
  text = text.replace(/[\r\n\0]+$/u, '');
  if (text.trim() === '') return fail('empty', 'empty message', 0);
  const bad = /[\u0000-\u0008\u000a-\u001f\u007f]/u.exec(text);
  if (bad) {
    const cc = bad[0].charCodeAt(0).toString(16).padStart(2, '0');
    return fail('control-character', `control character 0x${cc} in the message`, bad.index);
  }

  let pos = 0;
  let pri: number | undefined;
  if (text.startsWith('<')) {
    const m = /^<(\d{1,3})>/u.exec(text);
    if (!m) return fail('bad-pri', 'PRI must be <0> to <191>', 0);
    const value = Number(m[1]);
    if (value > 191 || (m[1]!.length > 1 && m[1]!.startsWith('0')))
      return fail('bad-pri', `PRI <${m[1]}> is out of range (0-191, no leading zeros)`, 1);
    pri = value;
    pos = m[0].length;
  } else if (opts.pri !== 'optional') {
    return fail('no-pri', 'the message does not start with <PRI>', 0);
  }
  const base = pri === undefined ? {} : { pri, facility: pri >> 3, severity: pri & 7 };
  const rest = text.slice(pos);

  // RFC 5424: VERSION SP right after PRI (Cisco's sequence number is followed by ':', not ' ')
  const version = /^(\d{1,2}) /u.exec(rest);
  if (version && pri !== undefined) {
    if (version[1] !== '1') return fail('bad-version', `unsupported syslog version ${version[1]}`, pos);
    return parse5424(rest.slice(version[0].length), pos + version[0].length, base);
  }
  return parseCisco(rest, base) ?? parse3164(rest, pos, base);
}

// ---------- RFC 3164 and Cisco ----------

const DATETIME =
  /^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +(\d{1,2})(?: (\d{4}))? (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?: ([A-Z][A-Z0-9+-]{0,9}))?/u;
const UPTIME = /^(?:\d+:\d{2}:\d{2}(?:\.\d{1,6})?|\d+[ywdh]\d+[wdhm](?:\d+[hm])?)/u;

/** A stamp at the start of `s` (marker excluded): its parts and length, or undefined. */
function legacyTime(s: string, allowZone: boolean): { time: DeviceTime; length: number } | undefined {
  const m = DATETIME.exec(s);
  if (m) {
    let length = m[0].length;
    let zone = m[8];
    if (zone && !allowZone) {
      length -= zone.length + 1;
      zone = undefined;
    }
    const [day, year, hour, minute, second] = [m[2], m[3], m[4], m[5], m[6]].map((x) =>
      x === undefined ? undefined : Number(x),
    );
    const month = MONTHS.indexOf(m[1]!) + 1;
    if (!validClock(month, day!, hour!, minute!, second!)) return undefined;
    return {
      length,
      time: {
        raw: s.slice(0, length),
        month,
        day,
        ...(year === undefined ? {} : { year }),
        hour,
        minute,
        second,
        ...(m[7] ? { millisecond: Math.floor(Number(`0.${m[7]}`) * 1000) } : {}),
        ...(zone ? { zone } : {}),
      },
    };
  }
  const u = UPTIME.exec(s);
  if (u) return { length: u[0].length, time: { raw: u[0], uptime: true } };
  return undefined;
}

/**
 * Cisco: `[SEQ: ][HOST: ][*|.]STAMP: [: ]%FAC-SEV-MNEM: text`, where the stamp may be absent
 * (`no service timestamps`) when a `%` tag follows. Undefined when `text` is not of this form.
 */
function parseCisco(text: string, base: Partial<SyslogMessage>): ParseResult | undefined {
  let i = 0;
  let sequence: number | undefined;
  let hostname: string | undefined;
  const seq = /^(\d{1,10}): /u.exec(text);
  // a number followed by ': ' is a sequence number unless it is the start of an uptime stamp
  if (seq && !legacyTime(text, false)?.time.uptime) {
    sequence = Number(seq[1]);
    i = seq[0].length;
  }
  const stampAt = (j: number): { marker?: string; time: DeviceTime; end: number } | undefined => {
    const marker = text[j] === '*' || text[j] === '.' ? text[j] : undefined;
    const k = j + (marker ? 1 : 0);
    const t = legacyTime(text.slice(k), true);
    if (!t || text.slice(k + t.length, k + t.length + 1) !== ':') return undefined;
    return { ...(marker ? { marker } : {}), time: t.time, end: k + t.length + 1 };
  };
  let stamp = stampAt(i);
  if (!stamp) {
    const host = /^(\S{1,255}?): /u.exec(text.slice(i));
    if (host && !host[1]!.startsWith('%')) {
      const after = i + host[0].length;
      const s = stampAt(after);
      if (s || text[after] === '%') {
        hostname = host[1];
        stamp = s;
        i = after;
      }
    }
  }
  if (stamp) i = stamp.end;
  else if (text[i] !== '%') return undefined;
  // `show logging` lines have an empty field after the stamp: `...UTC: : %CRYPTO-...`
  const body = text.slice(i).replace(/^ ?(?:: )?/u, '');
  if (!stamp && sequence === undefined && hostname === undefined && !CISCO_TAG.test(body)) return undefined;
  const out: SyslogMessage = {
    ...base,
    format: 'cisco',
    text: body,
    ...(stamp ? { time: stamp.time } : {}),
    ...(stamp?.marker === '*' ? { clock: 'not-authoritative' as const } : {}),
    ...(stamp?.marker === '.' ? { clock: 'not-synchronized' as const } : {}),
    ...(hostname ? { hostname } : {}),
    ...(sequence === undefined ? {} : { sequence }),
  };
  return { ok: true, message: withCiscoTag(out) };
}

/** RFC 3164: `Mmm dd hh:mm:ss HOST TAG[PID]: text` (a message without that header is all text). */
function parse3164(text: string, start: number, base: Partial<SyslogMessage>): ParseResult {
  const t = legacyTime(text, false);
  if (!t || t.time.uptime) {
    if (/^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) /u.test(text))
      return fail('bad-timestamp', 'the RFC 3164 timestamp must be Mmm dd hh:mm:ss', start);
    return { ok: true, message: withCiscoTag({ ...base, format: 'rfc3164', text: stripBom(text) }) };
  }
  let i = t.length;
  if (text[i] !== ' ') return fail('bad-header', 'a space must follow the RFC 3164 timestamp', start + i);
  i += 1;
  const host = /^([^\s:[\]]{1,255}) /u.exec(text.slice(i));
  let hostname: string | undefined;
  if (host && !/^[^\s[\]]+(?:\[\d+\])?:(?: |$)/u.test(text.slice(i))) {
    hostname = host[1];
    i += host[0].length;
  }
  const tag = CISCO_TAG.test(text.slice(i))
    ? null
    : /^([^\s:[\]]{1,48})(?:\[([^\]\s]{1,128})\])?: ?/u.exec(text.slice(i));
  const msg: SyslogMessage = { ...base, format: 'rfc3164', time: t.time, text: '' };
  if (hostname) msg.hostname = hostname;
  if (tag) {
    msg.appName = tag[1]!;
    if (tag[2]) msg.procId = tag[2];
    i += tag[0].length;
  }
  msg.text = stripBom(text.slice(i));
  return { ok: true, message: withCiscoTag(msg) };
}

function stripBom(s: string): string {
  return s.startsWith('\uFEFF') ? s.slice(1) : s;
}
