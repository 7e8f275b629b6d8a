/**
 * What the watcher decided about each message and event, as counters (`--stats-interval`) and as
 * one log line per decision. Lines are plain text, one per decision, prefixed with the ISO time.
 */
import type { DropReason, Sender } from './listen.js';
import type { SyslogErrorCode } from './syslog-types.js';

/** Every counter the watcher keeps; `stats` lines print them in this order. */
export const COUNTERS = [
  'received',
  'malformed',
  'oversized',
  'connection-errors',
  'unmatched',
  'matched',
  'unknown-host',
  'rejected',
  'throttled',
  'started',
  'finished',
  'failed',
] as const;
export type Counter = (typeof COUNTERS)[number];

export class Stats {
  private readonly counts = new Map<Counter, number>(COUNTERS.map((c) => [c, 0]));
  /** Malformed messages by parser error code; drops by listener reason. */
  readonly malformedBy = new Map<SyslogErrorCode | DropReason, number>();

  add(c: Counter, n = 1): void {
    this.counts.set(c, (this.counts.get(c) ?? 0) + n);
  }

  get(c: Counter): number {
    return this.counts.get(c) ?? 0;
  }

  addMalformed(code: SyslogErrorCode | DropReason): void {
    this.malformedBy.set(code, (this.malformedBy.get(code) ?? 0) + 1);
  }

  snapshot(): Record<Counter, number> {
    return Object.fromEntries(COUNTERS.map((c) => [c, this.get(c)])) as Record<Counter, number>;
  }

  /** `stats: received=12 malformed=1 (bad-pri=1) ...`. */
  line(extra: { running: number; queued: number }): string {
    const by = [...this.malformedBy].map(([k, v]) => `${k}=${v}`).join(' ');
    return `stats: ${COUNTERS.map((c) => `${c}=${this.get(c)}`).join(' ')}${by ? ` (${by})` : ''} running=${extra.running} queued=${extra.queued}`;
  }
}

/** `udp://127.0.0.2:51514`. */
export function formatSender(s: Sender): string {
  return `${s.transport}://${s.address.includes(':') ? `[${s.address}]` : s.address}:${s.port}`;
}

/** A message excerpt safe for one log line (parsed messages hold no control characters). */
export function excerpt(text: string, max = 160): string {
  const flat = text.replace(/[\u0000-\u001f\u007f]/gu, '?');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
