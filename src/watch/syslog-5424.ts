/**
 * RFC 5424 syslog: the header after `<PRI>1 `, STRUCTURED-DATA and the message (see syslog.ts for
 * the contract: never throws, refusals carry a stable code and an offset).
 */
import {
  fail,
  validClock,
  withCiscoTag,
  type DeviceTime,
  type ParseResult,
  type StructuredElement,
  type SyslogMessage,
  type SyslogParseError,
} from './syslog-types.js';

/** `full` is the message after `<PRI>1 `; it starts at offset `start` of the whole message. */
export function parse5424(full: string, start: number, base: Partial<SyslogMessage>): ParseResult {
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
