/** Small text helpers shared by the reporters. */

/** `45ms`, `1.2s`, `2m05s`, `1h02m`. */
export function formatDuration(ms: number): string {
  if (ms < 100) return `${Math.max(0, Math.round(ms))}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** `HH:MM:SS` in local time. */
export function formatClock(at: number): string {
  const d = new Date(at);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** A command and its impact as one line: `clear crypto sa peer 10.0.0.2 [renegotiates the SA]`. */
export function withImpact(command: string, impact: string): string {
  return impact ? `${command} [${impact}]` : command;
}

/** Where something can be written: a Node stream or a test double. */
export interface TextSink {
  write(chunk: string): unknown;
}
