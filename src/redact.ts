/**
 * The one secret mask. Every place that hides a secret (events, journals, transcripts, run
 * records, plans, messages) writes MASK, and replaces secret text with `maskSecrets`.
 */

export const MASK = '********';

/** Every occurrence of each non-empty secret (longest first) replaced by MASK. */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of orderSecrets(secrets)) out = out.split(s).join(MASK);
  return out;
}

/** Distinct non-empty secrets, longest first (so a secret containing another is masked whole). */
export function orderSecrets(secrets: Iterable<string>): string[] {
  return [...new Set([...secrets].filter((s) => s.length > 0))].sort((a, b) => b.length - a.length);
}
