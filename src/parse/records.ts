/**
 * Records for runbook captures: the columns a template (or an index row's templates) yields, known
 * at validate time, and parsing that keeps List items as the engine makes them (a named-group List
 * item is a record, not its Python repr as ntc-templates' parse_output prints it).
 */
import { loadTemplate, parseWithTemplates, type ParsedRecord } from './clitable.js';

/** One column of a template's records: lower-cased name; List columns are lists of text or of records. */
export interface TextfsmColumn {
  name: string;
  list: boolean;
  /** For a List whose regex has named groups: those names (each item is a record of them). */
  groups?: string[];
}

/** Columns of the records `paths` yield together (later templates add columns), in order. */
export function templateColumns(paths: string[]): TextfsmColumn[] {
  const out: TextfsmColumn[] = [];
  for (const path of paths) {
    for (const v of loadTemplate(path).values) {
      const name = v.name.toLowerCase();
      if (out.some((c) => c.name === name)) continue;
      const groups = v.nested?.groups.filter((g): g is string => g !== null);
      out.push({ name, list: v.list, ...(groups ? { groups } : {}) });
    }
  }
  return out;
}

/** Parse for a runbook: unset plain List items are '' (a list of text stays a list of text). */
export function parseRecords(paths: string[], text: string): ParsedRecord[] {
  const records = parseWithTemplates(paths, text, { ntc: false });
  for (const r of records) {
    for (const [k, v] of Object.entries(r)) {
      if (Array.isArray(v)) r[k] = v.map((x) => (x === null ? '' : x));
    }
  }
  return records;
}
