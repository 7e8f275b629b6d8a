/**
 * A host's results table (steps' `result:` rows) as cells of text, shared by the summary,
 * `runbook runs`, and the HTML and markdown reports (each escapes the cells its own way).
 *
 * Cells: a list is its items joined by `, `, null (or a column the row lacks) is empty, an int is
 * its digits, a bool `true`/`false`. Control characters (a device's escape sequences, newlines)
 * become `�`/` `, so a cell is always one line of plain text. When the rows come from more than one
 * step, a first column `step` names the row's step key.
 */
import { resultColumns, type TimelineResult } from '../engine/timeline.js';
import type { Value } from '../expr/types.js';

export interface ResultsTable {
  columns: string[];
  /** One array of cells per row, in `columns` order. */
  rows: string[][];
  /** Per column: every value it holds is a number (renderers align it right). */
  numeric: boolean[];
}

/** The rows of a host as reported (`--json` `results` / `resultColumns`). */
export interface ResultRows {
  results: readonly { step: string; key: string; fields: Record<string, Value> }[];
  resultColumns: readonly string[];
}

/** A timeline's rows as reported: `{step, key, fields}` each, and the column order. */
export function resultRows(results: readonly TimelineResult[]): {
  results: { step: string; key: string; fields: Record<string, Value> }[];
  resultColumns: string[];
} {
  return {
    results: results.map((r) => ({ step: r.stepId, key: r.key, fields: r.fields })),
    resultColumns: resultColumns(results),
  };
}

/** The host's table, or undefined when it recorded no row. */
export function resultsTable(h: ResultRows): ResultsTable | undefined {
  if (h.results.length === 0) return undefined;
  const steps = new Set(h.results.map((r) => r.step));
  const withStep = steps.size > 1;
  const columns = [...(withStep ? ['step'] : []), ...h.resultColumns];
  const rows = h.results.map((r) => [
    ...(withStep ? [clean(r.key)] : []),
    ...h.resultColumns.map((c) => cellText(r.fields[c])),
  ]);
  const numeric = [
    ...(withStep ? [false] : []),
    ...h.resultColumns.map((c) => {
      const values = h.results.map((r) => r.fields[c]).filter((v) => v !== undefined && v !== null);
      return values.length > 0 && values.every((v) => typeof v === 'number' || typeof v === 'bigint');
    }),
  ];
  return { columns, rows, numeric };
}

export function cellText(v: Value | undefined): string {
  if (v === undefined || v === null) return '';
  if (Array.isArray(v)) return v.map(cellText).join(', ');
  if (typeof v === 'object') return clean(JSON.stringify(v));
  return clean(String(v));
}

function clean(s: string): string {
  return s.replace(/\r?\n|\t/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f]/g, '\uFFFD');
}

/** Longest cell the text summary shows (the JSON and reports keep the whole value). */
const TEXT_CELL = 48;

/** The widest table the text summary lays out as columns; a wider one is shown a row at a time. */
export const TEXT_WIDTH = 120;

/**
 * The table as aligned text lines (each prefixed by `indent`), long cells cut with `…`. A table
 * wider than `width` (with its indent) is shown as one block per row instead — its first cell, then
 * each other column as `name  value` below it, values whole — so it never wraps into noise.
 */
export function formatResultsText(
  t: ResultsTable,
  indent: string,
  maxCell = TEXT_CELL,
  width = Infinity,
): string[] {
  const cut = (s: string): string => (s.length > maxCell ? `${s.slice(0, maxCell - 1)}…` : s);
  const cells = [t.columns, ...t.rows].map((r) => r.map(cut));
  const widths = t.columns.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const total = indent.length + widths.reduce((a, b) => a + b, 0) + 2 * Math.max(0, widths.length - 1);
  if (total > width && t.columns.length > 1) return formatRowBlocks(t, indent);
  return cells.map((r, n) =>
    `${indent}${r.map((c, i) => (n > 0 && t.numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ')}`.trimEnd(),
  );
}

/** `peer 10.20.20.1` then `  kind   SD-WAN ...` per other column (empty cells left out). */
function formatRowBlocks(t: ResultsTable, indent: string): string[] {
  const nameWidth = Math.max(...t.columns.slice(1).map((c) => c.length));
  const out: string[] = [];
  for (const r of t.rows) {
    out.push(`${indent}${t.columns[0]} ${r[0] ?? ''}`.trimEnd());
    t.columns.forEach((c, i) => {
      if (i > 0 && r[i]) out.push(`${indent}  ${c.padEnd(nameWidth)}  ${r[i]}`);
    });
  }
  return out;
}
