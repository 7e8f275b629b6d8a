/**
 * The output-bench section of bench/results.md: bench/output.ts writes it, bench/run.ts (which
 * rewrites the rest of the file) keeps it.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export const START = '<!-- output-bench -->';
export const END = '<!-- /output-bench -->';

/** The section as it is in the file, or undefined. */
export function readSection(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  const text = readFileSync(path, 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  return a >= 0 && b > a ? text.slice(a, b + END.length) : undefined;
}

/** Replaces the section in the file (appends it when absent). */
export function writeSection(path: string, section: string): void {
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  const next =
    a >= 0 && b > a
      ? text.slice(0, a) + section + text.slice(b + END.length)
      : `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(path, next);
}
