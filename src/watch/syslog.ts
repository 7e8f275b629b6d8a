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

/** Why a message was refused; stable, counted by the watcher. */
export type SyslogErrorCode =
  | 'empty'
  | 'encoding'
  | 'control-character'
  | 'no-pri'
  | 'bad-pri'
  | 'bad-version'
  | 'bad-header'
  | 'bad-timestamp'
  | 'bad-structured-data';

export interface SyslogParseError {
  code: SyslogErrorCode;
  message: string;
  /** Character offset in the decoded message where the problem is. */
  offset: number;
}

/** A device clock stamp as printed (RFC 3164 / Cisco), or an RFC 5424 timestamp. */
export interface DeviceTime {
  /** The stamp as it appeared, marker excluded. */
  raw: string;
  /** RFC 5424: the ISO 8601 timestamp as sent. */
  iso?: string;
  /** 1-12; absent for uptime stamps. */
  month?: number;
  day?: number;
  year?: number;
  hour?: number;
  minute?: number;
  second?: number;
  /** Milliseconds (`.476`), when the stamp has a fraction. */
  millisecond?: number;
  /** Time-zone name as printed (`UTC`, `EDT`, `CET`). */
  zone?: string;
  /** Cisco `service timestamps log uptime` (`1w2d:`, `00:01:23:`): time since boot, not a date. */
  uptime?: boolean;
}

/** One RFC 5424 SD-ELEMENT: `[id name="value" ...]`. */
export interface StructuredElement {
  id: string;
  params: Record<string, string>;
}

/** The `%FACILITY-SEVERITY-MNEMONIC:` part of a Cisco message. */
export interface CiscoTag {
  facility: string;
  severity: number;
  mnemonic: string;
}

export interface SyslogMessage {
  format: 'rfc5424' | 'rfc3164' | 'cisco';
  /** PRI value 0-191, when the message had one. */
  pri?: number;
  /** Syslog facility number (PRI / 8), 0-23. */
  facility?: number;
  /** Severity 0 (emergency) - 7 (debug): the Cisco tag's when present, else the PRI's. */
  severity?: number;
  time?: DeviceTime;
  /** Cisco clock marker: `*` the clock is not authoritative, `.` it was set but is not synchronized. */
  clock?: 'not-authoritative' | 'not-synchronized';
  hostname?: string;
  /** RFC 5424 APP-NAME or RFC 3164 TAG. */
  appName?: string;
  procId?: string;
  msgId?: string;
  structuredData?: StructuredElement[];
  /** Cisco `service sequence-numbers`. */
  sequence?: number;
  cisco?: CiscoTag;
  /** The message text: after the `%FAC-SEV-MNEMONIC: ` tag when there is one, BOM removed. */
  text: string;
}

export type ParseResult = { ok: true; message: SyslogMessage } | { ok: false; error: SyslogParseError };

export interface ParseOptions {
  /**
   * `required` (default): a message without `<PRI>` is refused (what arrives over the network).
   * `optional`: accept lines without PRI, e.g. `show logging` buffer lines.
   */
  pri?: 'required' | 'optional';
}

export const SEVERITY_NAMES = [
  'emergency',
  'alert',
  'critical',
  'error',
  'warning',
  'notice',
  'informational',
  'debug',
] as const;

export const FACILITY_NAMES = [
  'kern',
  'user',
  'mail',
  'daemon',
  'auth',
  'syslog',
  'lpr',
  'news',
  'uucp',
  'cron',
  'authpriv',
  'ftp',
  'ntp',
  'audit',
  'alert',
  'clock',
  'local0',
  'local1',
  'local2',
  'local3',
  'local4',
  'local5',
  'local6',
  'local7',
] as const;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const decoder = new TextDecoder('utf-8', { fatal: true });

const fail = (code: SyslogErrorCode, message: string, offset: number): ParseResult => ({
  ok: false,
  error: { code, message, offset },
});

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

// ---------- RFC 5424 ----------

/** `full` is the message after `<PRI>1 `; it starts at offset `start` of the whole message. */
function parse5424(full: string, start: number, base: Partial<SyslogMessage>): ParseResult {
  let i = 0;
  const fields: string[] = [];
  for (let k = 0; k < 5; k++) {
    const sp = full.indexOf(' ', i);
    if (sp < 0) return fail('bad-header', 'RFC 5424 header is cut short', start + i);
    fields.push(full.slice(i, sp));
    i = sp + 1;
  }
  const [ts, host, app, proc, msgId] = fields as [string, string, string, string, string];
  const nil = (v: string): string | undefined => (v === '-' ? undefined : v);
  let at = start;
  for (const [name, value, max] of [
    ['TIMESTAMP', ts, 64],
    ['HOSTNAME', host, 255],
    ['APP-NAME', app, 48],
    ['PROCID', proc, 128],
    ['MSGID', msgId, 32],
  ] as const) {
    if (value === '' || value.length > max || !/^[\x21-\x7e]+$/u.test(value))
      return fail('bad-header', `${name} must be 1-${max} printable ASCII characters or -`, at);
    at += value.length + 1;
  }
  let time: DeviceTime | undefined;
  if (ts !== '-') {
    const t = isoTime(ts);
    if (!t) return fail('bad-timestamp', `'${ts}' is not an RFC 5424 timestamp`, start);
    time = t;
  }
  let structuredData: StructuredElement[] | undefined;
  if (full[i] === '-') {
    i += 1;
  } else if (full[i] === '[') {
    const sd = parseStructuredData(full, i);
    if ('error' in sd) return { ok: false, error: { ...sd.error, offset: start + sd.error.offset } };
    structuredData = sd.elements;
    i = sd.end;
  } else {
    return fail('bad-structured-data', 'STRUCTURED-DATA must be - or [id ...]', start + i);
  }
  if (i < full.length && full[i] !== ' ')
    return fail('bad-structured-data', 'a space must follow STRUCTURED-DATA', start + i);
  let msg = full.slice(i + 1);
  if (msg.startsWith('\uFEFF')) msg = msg.slice(1);
  const out: SyslogMessage = {
    ...base,
    format: 'rfc5424',
    text: msg,
    ...(time ? { time } : {}),
    ...(nil(host) ? { hostname: host } : {}),
    ...(nil(app) ? { appName: app } : {}),
    ...(nil(proc) ? { procId: proc } : {}),
    ...(nil(msgId) ? { msgId } : {}),
    ...(structuredData ? { structuredData } : {}),
  };
  return { ok: true, message: withCiscoTag(out) };
}

function isoTime(ts: string): DeviceTime | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}:\d{2})$/u.exec(ts);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as number[];
  if (!validClock(month!, day!, hour!, minute!, second!)) return undefined;
  return {
    raw: ts,
    iso: ts,
    year,
    month,
    day,
    hour,
    minute,
    second,
    ...(m[7] ? { millisecond: Math.floor(Number(`0.${m[7]}`) * 1000) } : {}),
    zone: m[8] === 'Z' ? 'UTC' : m[8],
  };
}

function validClock(month: number, day: number, hour: number, minute: number, second: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59 && second <= 60;
}

type SdResult = { elements: StructuredElement[]; end: number } | { error: SyslogParseError };

/** `[id k="v" ...][...]` from `text[i]`; PARAM-VALUE escapes `\"`, `\\`, `\]`. */
function parseStructuredData(text: string, i: number): SdResult {
  const elements: StructuredElement[] = [];
  const err = (message: string, offset: number): SdResult => ({
    error: { code: 'bad-structured-data', message, offset },
  });
  const NAME = /[^\s="\]]{1,32}/uy;
  while (text[i] === '[') {
    i += 1;
    NAME.lastIndex = i;
    const id = NAME.exec(text);
    if (!id) return err('SD-ID missing after [', i);
    i += id[0].length;
    const params: Record<string, string> = {};
    while (text[i] === ' ') {
      i += 1;
      NAME.lastIndex = i;
      const name = NAME.exec(text);
      if (!name) return err(`bad PARAM-NAME in [${id[0]}]`, i);
      i += name[0].length;
      if (text.slice(i, i + 2) !== '="') return err(`PARAM ${name[0]} must be name="value"`, i);
      i += 2;
      let value = '';
      for (;;) {
        const c = text[i];
        if (c === undefined) return err(`unterminated value of ${name[0]} in [${id[0]}]`, i);
        if (c === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\' || text[i + 1] === ']')) {
          value += text[i + 1];
          i += 2;
          continue;
        }
        if (c === '"') break;
        value += c;
        i += 1;
      }
      i += 1;
      params[name[0]] = value;
    }
    if (text[i] !== ']') return err(`[${id[0]}] is not closed with ]`, i);
    i += 1;
    elements.push({ id: id[0], params });
  }
  return { elements, end: i };
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

const CISCO_TAG = /^%([A-Z][A-Z0-9_]*(?:-[A-Z][A-Z0-9_]*)*)-([0-7])-([A-Z][A-Z0-9_]*): ?/u;

/** Lift a leading `%FAC-SEV-MNEMONIC:` out of the text (its severity wins over the PRI's). */
function withCiscoTag(msg: SyslogMessage): SyslogMessage {
  const m = CISCO_TAG.exec(msg.text);
  if (!m) return msg;
  const cisco: CiscoTag = { facility: m[1]!, severity: Number(m[2]), mnemonic: m[3]! };
  return { ...msg, cisco, severity: cisco.severity, text: msg.text.slice(m[0].length) };
}

/** `CRYPTO-4-RECVD_PKT_INV_SPI`, the tag as Cisco documents it. */
export function ciscoTagName(tag: CiscoTag): string {
  return `${tag.facility}-${tag.severity}-${tag.mnemonic}`;
}
