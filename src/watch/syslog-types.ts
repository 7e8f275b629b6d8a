/**
 * The parsed form of a syslog message and the parts every format shares (see syslog.ts): refusal
 * codes, the message record, facility and severity names, the `%FAC-SEV-MNEMONIC:` tag.
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

/** A refusal at `offset`. */
export const fail = (code: SyslogErrorCode, message: string, offset: number): ParseResult => ({
  ok: false,
  error: { code, message, offset },
});

/** A plausible clock (the day is not checked against the month). */
export function validClock(
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59 && second <= 60;
}

export const CISCO_TAG = /^%([A-Z][A-Z0-9_]*(?:-[A-Z][A-Z0-9_]*)*)-([0-7])-([A-Z][A-Z0-9_]*): ?/u;

/** Lift a leading `%FAC-SEV-MNEMONIC:` out of the text (its severity wins over the PRI's). */
export function withCiscoTag(msg: SyslogMessage): SyslogMessage {
  const m = CISCO_TAG.exec(msg.text);
  if (!m) return msg;
  const cisco: CiscoTag = { facility: m[1]!, severity: Number(m[2]), mnemonic: m[3]! };
  return { ...msg, cisco, severity: cisco.severity, text: msg.text.slice(m[0].length) };
}

/** `CRYPTO-4-RECVD_PKT_INV_SPI`, the tag as Cisco documents it. */
export function ciscoTagName(tag: CiscoTag): string {
  return `${tag.facility}-${tag.severity}-${tag.mnemonic}`;
}
