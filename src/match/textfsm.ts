/**
 * TextFSM captures: the output parsed into records (src/parse), typed by column. A column typed
 * other than string reads '' (TextFSM's unset value) as null, i.e. absent: test it with
 * `has(r.col)`. List columns are lists (of text, typed per item, or of records for a List regex
 * with named groups). A template `Error` fails the step (RunbookError E_TEXTFSM_ERROR).
 */
import { RunbookError, formatPos } from '../errors.js';
import type { DeclType } from '../expr/decls.js';
import type { Value } from '../expr/types.js';
import { checkScalar, quoteForMessage } from '../expr/values.js';
import type { ParsedRecord } from '../parse/clitable.js';
import { parseRecords, type TextfsmColumn } from '../parse/records.js';
import type { ScalarSpec } from '../expr/types.js';
import type { CaptureSpec } from './types.js';

function columnSpec(spec: CaptureSpec, col: string): ScalarSpec {
  return { type: spec.types[col] ?? 'string' };
}

/** list<{column: type}> of a TextFSM capture. */
export function textfsmDeclType(spec: CaptureSpec, columns: TextfsmColumn[]): DeclType {
  const fields: Record<string, DeclType> = {};
  for (const c of columns) {
    const scalar: DeclType = { kind: 'scalar', spec: columnSpec(spec, c.name) };
    if (!c.list) fields[c.name] = scalar;
    else if (!c.groups) fields[c.name] = { kind: 'list', items: scalar };
    else {
      const item: Record<string, DeclType> = {};
      for (const g of c.groups) item[g] = { kind: 'scalar', spec: { type: 'string' } };
      fields[c.name] = { kind: 'list', items: { kind: 'map', fields: item } };
    }
  }
  return { kind: 'list', items: { kind: 'map', fields } };
}

function typed(spec: CaptureSpec, col: string, text: string, row: number): Value {
  const s = columnSpec(spec, col);
  if (s.type !== 'string' && text === '') return null;
  try {
    return checkScalar(s, text, `column '${col}'`);
  } catch (err) {
    if (!(err instanceof RunbookError)) throw err;
    throw new RunbookError(
      'E_STEP_FAILED',
      `${formatPos(spec.pos)}: capture '${spec.name}': record ${row + 1} column '${col}' is ${quoteForMessage(text)}, which is not a valid ${s.type}`,
      {
        hint: "the template matched something this type does not allow; change the column's type or the template",
      },
    );
  }
}

function record(spec: CaptureSpec, r: ParsedRecord, row: number): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const [col, cell] of Object.entries(r)) {
    if (typeof cell === 'string') out[col] = typed(spec, col, cell, row);
    else out[col] = cell.map((item) => (typeof item === 'string' ? typed(spec, col, item, row) : item));
  }
  return out;
}

/** The typed records of `text` (already normalized) for a TextFSM capture. */
export function textfsmValues(spec: CaptureSpec, templates: string[], text: string): Value {
  return parseRecords(templates, text).map((r, i) => record(spec, r, i));
}
