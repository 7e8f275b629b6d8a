/**
 * A CliTable `index` file (ntc-templates' format, read as python-textfsm's clitable does):
 * the first non-comment line is the header (Template, Hostname, Platform, Command); each later line
 * that does not start with `#` and has as many comma-separated fields as the header is a row (other
 * lines are dropped silently, as clitable does). Every field but Template is a regex matched at the
 * start of the attribute (Python's re.match); in Command, `abc[[xyz]]` means `abc(x(y(z)?)?)?`.
 * Several templates in one row are joined by `:`. Lookup: the first row whose fields all match.
 */
import { RunbookError, formatPos, type SourcePos } from '../errors.js';
import { PyRegexError, translatePyRegex } from './pyregex.js';

export interface IndexRow {
  /** Template file names, relative to the index's folder. */
  templates: string[];
  /** Column name -> anchored regex (empty fields are absent: they match anything). */
  match: Map<string, RegExp>;
  pos: SourcePos;
}

export interface IndexFile {
  file: string;
  header: string[];
  rows: IndexRow[];
}

/** The attributes a lookup matches: ntc-templates passes Platform and Command. */
export interface IndexQuery {
  Platform?: string;
  Command: string;
  Hostname?: string;
}

/** `sh[[ow]]` -> `sh(o(w)?)?`, clitable's completion syntax. */
export function expandCompletions(command: string): string {
  return command.replace(
    /\[\[(.+?)\]\]/g,
    (_, word: string) => `(${[...word].join('(')}${')?'.repeat(word.length)}`,
  );
}

/** Parse index text; `file` names it in errors. A bad regex is RunbookError E_TEXTFSM_TEMPLATE. */
export function parseIndex(text: string, file: string): IndexFile {
  const lines = text.split(/\r\n|\r|\n/);
  let n = 0;
  let header: string[] = [];
  while (n < lines.length) {
    const h = lines[n++]!.split('#')[0]!.trim();
    if (h) {
      header = h.split(',').map((x) => x.trim());
      break;
    }
  }
  if (!header.includes('Template')) {
    throw new RunbookError(
      'E_TEXTFSM_TEMPLATE',
      `${file}:${n}:1: index file does not have a 'Template' column`,
      {
        hint: 'the first line of an index is `Template, Hostname, Platform, Command`',
      },
    );
  }
  const rows: IndexRow[] = [];
  for (; n < lines.length; n++) {
    const line = lines[n]!;
    if (line.startsWith('#')) continue;
    const raw = line.split(',');
    if (raw.length !== header.length) continue;
    const fields = raw.map((f) => f.trim());
    const pos: SourcePos = { file, line: n + 1, col: 1 };
    const row: IndexRow = { templates: [], match: new Map(), pos };
    let offset = 0;
    fields.forEach((f, i) => {
      const col = header[i]!;
      const fieldCol = offset + (raw[i]!.length - raw[i]!.trimStart().length) + 1;
      offset += raw[i]!.length + 1;
      if (col === 'Template') {
        row.templates = f.split(':');
        return;
      }
      const src = col === 'Command' ? expandCompletions(f) : f;
      if (!src) return;
      try {
        const p = translatePyRegex(src);
        row.match.set(col, new RegExp(`^(?:${p.source})`, p.flags));
      } catch (err) {
        const at = {
          ...pos,
          col: fieldCol + (err instanceof PyRegexError && col !== 'Command' ? err.offset : 0),
        };
        throw new RunbookError(
          'E_TEXTFSM_TEMPLATE',
          `${formatPos(at)}: bad regex in ${col}: ${(err as Error).message}`,
          {
            hint: err instanceof PyRegexError ? err.hint : 'fix the regex (a comma inside a field splits it)',
          },
        );
      }
    });
    rows.push(row);
  }
  return { file, header, rows };
}

/** The first row matching every attribute given (columns the index lacks are ignored). */
export function findRow(index: IndexFile, query: IndexQuery): IndexRow | undefined {
  const attrs = Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined);
  return index.rows.find((row) =>
    attrs.every(([k, v]) => {
      const re = row.match.get(k);
      return re === undefined || re.test(v);
    }),
  );
}
