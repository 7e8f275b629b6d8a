/**
 * Parsing as ntc-templates' `parse_output` does: templates from an index row, the first template's
 * table extended by the others' new columns (rows joined on the first template's Key values, or by
 * position when it has none, as clitable's TextTable.extend does), then one record per row with
 * lower-cased column names. Compiled templates and parsed indexes are cached by path.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RunbookError } from '../errors.js';
import { parseRows, type Cell, type ListItem } from './fsm.js';
import { parseIndex, type IndexFile } from './index-file.js';
import { compileTemplate, type TfTemplate } from './template.js';

/** One parsed record: lower-cased column name -> text, or a list for a List value. */
export type ParsedRecord = Record<string, Cell>;

const templates = new Map<string, { stamp: string; template: TfTemplate }>();
const indexes = new Map<string, IndexFile | null>();

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new RunbookError('E_TEXTFSM_TEMPLATE', `cannot read ${what} ${path}: ${(err as Error).message}`, {
      hint: 'check the path and the index entry that names it',
    });
  }
}

/** A compiled template from a file (cached until the file changes). */
export function loadTemplate(path: string): TfTemplate {
  let stamp = '';
  try {
    const st = statSync(path);
    stamp = `${st.mtimeMs}:${st.size}`;
  } catch {
    // unreadable: readText reports it
  }
  const hit = templates.get(path);
  if (hit && hit.stamp === stamp) return hit.template;
  const template = compileTemplate(readText(path, 'template'), path);
  templates.set(path, { stamp, template });
  return template;
}

/** The parsed `index` of a folder, or null when it has none (cached). */
export function loadIndex(dir: string): IndexFile | null {
  const path = join(dir, 'index');
  let idx = indexes.get(path);
  if (idx === undefined) {
    let text: string | null = null;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      text = null;
    }
    idx = text === null ? null : parseIndex(text, path);
    indexes.set(path, idx);
  }
  return idx;
}

interface Table {
  header: string[];
  rows: Cell[][];
}

function extend(table: Table, other: Table, keys: string[]): void {
  const add = other.header.filter((c) => !table.header.includes(c));
  if (add.length === 0) return;
  const from = add.map((c) => other.header.indexOf(c));
  const base = table.rows.map((r) => [...r, ...add.map((): Cell => '')]);
  if (keys.length === 0) {
    base.forEach((row, i) => {
      const o = other.rows[i];
      if (o) from.forEach((f, j) => (row[table.header.length + j] = o[f]!));
    });
  } else {
    const mine = keys.map((k) => table.header.indexOf(k));
    const theirs = keys.map((k) => other.header.indexOf(k));
    for (const row of base) {
      const o = other.rows.find((r) => mine.every((m, j) => sameCell(row[m]!, r[theirs[j]!]!)));
      if (o) from.forEach((f, j) => (row[table.header.length + j] = o[f]!));
    }
  }
  table.header = [...table.header, ...add];
  table.rows = base;
}

function sameCell(a: Cell | undefined, b: Cell | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Python's repr of a str, as str(dict) prints it. */
function pyRepr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = q;
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\' || ch === q) out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + q;
}

/** A List item as clitable's TextTable stores it: Python's str() of the item. */
function pyStr(item: ListItem): string {
  if (item === null) return 'None';
  if (typeof item === 'string') return item;
  const body = Object.entries(item).map(([k, v]) => `${pyRepr(k)}: ${v === null ? 'None' : pyRepr(v)}`);
  return `{${body.join(', ')}}`;
}

export interface ParseOptions {
  /**
   * true (default): cells exactly as ntc-templates' parse_output returns them (clitable turns every
   * List item into Python's str() of it: None -> 'None', a named-group record -> its repr).
   * false: List items stay as the engine made them (null, or a record of the named groups).
   */
  ntc?: boolean;
}

/** Parse text with one or more templates (clitable's ParseCmd) into ntc-templates records. */
export function parseWithTemplates(paths: string[], text: string, opts: ParseOptions = {}): ParsedRecord[] {
  const ntc = opts.ntc ?? true;
  let table: Table | undefined;
  let keys: string[] = [];
  for (const path of paths) {
    const t = loadTemplate(path);
    if (keys.length === 0) keys = t.values.filter((v) => v.key).map((v) => v.name);
    const next: Table = { header: t.header, rows: parseRows(t, text) };
    if (!table) table = next;
    else extend(table, next, keys);
  }
  if (!table) return [];
  return toRecords(table.header, table.rows, ntc);
}

/** Rows to records with lower-cased keys; `ntc`: List items as clitable stores them (see ParseOptions). */
export function toRecords(header: string[], rows: Cell[][], ntc: boolean): ParsedRecord[] {
  const names = header.map((h) => h.toLowerCase());
  return rows.map((row) => {
    const rec: ParsedRecord = {};
    names.forEach((k, i) => {
      const cell = row[i]!;
      rec[k] = ntc && Array.isArray(cell) ? cell.map(pyStr) : cell;
    });
    return rec;
  });
}
