/**
 * Records as a text table for people (`runbook parse --format table`): one column per key in the
 * first record's order, lists joined by `, `, columns padded to their widest cell.
 */
import type { ParsedRecord } from './clitable.js';

function cellText(v: ParsedRecord[string] | undefined): string {
  if (v === undefined) return '';
  if (typeof v === 'string') return v;
  return v.map((x) => (x === null ? '' : typeof x === 'string' ? x : JSON.stringify(x))).join(', ');
}

export function recordsTable(records: ParsedRecord[]): string {
  if (records.length === 0) return '(no records)\n';
  const keys = Object.keys(records[0]!);
  const rows = [keys.map((k) => k.toUpperCase()), ...records.map((r) => keys.map((k) => cellText(r[k])))];
  const widths = keys.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return (
    rows
      .map((r) =>
        r
          .map((c, i) => (i < r.length - 1 ? c.padEnd(widths[i]!) : c))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}
