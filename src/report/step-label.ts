/**
 * A step as an operator reads it in the log and the live display: its name (its id when it has
 * none) and the loop items it runs for, outermost first — `Clear the SA of this classic peer
 * [10.40.40.1, clear_sa]` — rather than its execution key (`per-peer[1]/decide/try[0]/...`).
 */
import type { Value } from '../expr/types.js';

/** A loop item in a few characters: a string or number, else its first string or number field. */
export function itemLabel(v: Value): string | undefined {
  const raw =
    typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint'
      ? String(v)
      : v !== null && typeof v === 'object' && !Array.isArray(v)
        ? Object.values(v)
            .find((x) => typeof x === 'string' || typeof x === 'number' || typeof x === 'bigint')
            ?.toString()
        : undefined;
  if (raw === undefined || raw === '') return undefined;
  return raw.length > 40 ? `${raw.slice(0, 39)}…` : raw;
}

/**
 * `title [item, item]`: `itemAt(prefix)` gives the label of the loop item of the step whose key is
 * `prefix` (each `/`-separated prefix of `key`, the step's own key included), if it had one.
 */
export function stepLabel(
  title: string,
  key: string,
  itemAt: (prefix: string) => string | undefined,
): string {
  const labels: string[] = [];
  const parts = key.split('/');
  for (let i = 1; i <= parts.length; i++) {
    const label = itemAt(parts.slice(0, i).join('/'));
    if (label) labels.push(label);
  }
  return labels.length ? `${title} [${labels.join(', ')}]` : title;
}

/**
 * Whether a skipped step is worth a line at the normal level: a skip a person chose (at an
 * approval) or a dry run's is; a step whose `when` did not hold is noise.
 */
export function notableSkip(message: string | undefined): boolean {
  return message !== undefined && /^(skipped at approval|dry-run)/.test(message);
}
