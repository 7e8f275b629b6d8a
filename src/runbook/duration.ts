/** Durations of the runbook format: `500ms`, `30s`, `2m`, `1h`, or a plain number of seconds. */

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
const DURATION = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)$/;

/** Milliseconds of a schema-valid duration (rounded to whole ms), or undefined when it is not one. */
export function durationMs(value: unknown): number | undefined {
  if (typeof value === 'number')
    return Number.isFinite(value) && value >= 0 ? Math.round(value * 1000) : undefined;
  if (typeof value !== 'string') return undefined;
  const m = DURATION.exec(value.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS]);
}
