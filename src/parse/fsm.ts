/**
 * Runs a compiled TextFSM template over text: python-textfsm 1.1's ParseText, same results.
 * Input is split as Python's str.splitlines does. Each line goes through the current state's rules
 * in order; the first match assigns its Values, applies its record operation, then its line
 * operation (Next: next line, from the top of the new state; Continue: the next rule, same line;
 * Error: stop with RunbookError 'E_TEXTFSM_ERROR' naming the rule and the input line).
 * At end of input a record is appended unless the FSM reached `End` or the template has an `EOF`
 * state. Rows are arrays in header order: '' for an unset value, a list for a List value.
 */
import { RunbookError, formatPos } from '../errors.js';
import { TO_END, TO_EOF, type Replay, type TfRule, type TfTemplate, type TfValue } from './template.js';

/** A List item: the matched text, or a record of the List regex's named groups. */
export type ListItem = string | null | Record<string, string | null>;
export type Cell = string | ListItem[];
export type Row = Cell[];

const RARE_BREAKS = /[\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/;
const ALL_BREAKS = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/;

/** Python's str.splitlines(): no trailing empty line after a final line break. */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = RARE_BREAKS.test(text) ? text.split(ALL_BREAKS) : text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Per-run state of one Value (python-textfsm's TextFSMValue and its options). */
interface Slot {
  def: TfValue;
  value: string | null | ListItem[];
  /** Filldown: the last assigned value. */
  kept: string | null;
  /** List: items collected for the current record. */
  items: ListItem[];
}

function truthy(v: Cell | null): boolean {
  return v !== null && v.length > 0;
}

class Run {
  readonly slots: Slot[];
  readonly rows: Row[] = [];
  constructor(readonly t: TfTemplate) {
    this.slots = t.values.map((def) => ({ def, value: null, kept: null, items: [] }));
  }

  assign(index: number, text: string | null): void {
    const s = this.slots[index]!;
    s.value = text;
    const d = s.def;
    if (d.filldown) s.kept = text;
    if (d.fillup && text) {
      for (let r = this.rows.length - 1; r >= 0; r--) {
        const row = this.rows[r]!;
        if (truthy(row[index]!)) break;
        row[index] = text;
      }
    }
    if (d.list) {
      if (d.nested && text !== null) {
        const m = d.nested.re.exec(text);
        if (m) {
          const rec: Record<string, string | null> = {};
          d.nested.groups.forEach((g, i) => {
            if (g !== null) rec[g] = m[i + 1] ?? null;
          });
          s.items.push(rec);
          return;
        }
      }
      s.items.push(text);
    }
  }

  clear(): void {
    for (const s of this.slots) {
      s.value = null;
      if (s.def.filldown) s.value = s.kept;
      else if (s.def.list) s.items = [];
    }
  }

  clearAll(): void {
    for (const s of this.slots) {
      s.value = null;
      s.kept = null;
      s.items = [];
    }
  }

  append(): void {
    if (this.slots.length === 0) return;
    const row: Row = [];
    let empty = 0;
    for (const s of this.slots) {
      for (const o of s.def.options) {
        if (o === 'List') s.value = s.items.slice();
        else if (o === 'Required' && !truthy(s.value)) {
          this.clear();
          return;
        }
      }
      const v = s.value;
      if (v === null || (Array.isArray(v) && v.length === 0)) empty++;
      row.push(v ?? '');
    }
    if (empty === row.length) return;
    this.rows.push(row);
    this.clear();
  }

  error(rule: TfRule, line: string, lineNo: number): never {
    const what = rule.message ? `Error ${rule.message}` : 'Error';
    throw new RunbookError(
      'E_TEXTFSM_ERROR',
      `${formatPos(rule.pos)}: template rule \`${rule.text}\` raised ${what} on input line ${lineNo}: ${JSON.stringify(line)}`,
      {
        hint: 'the output has a line the template refuses: check the command and platform, or fix the template',
      },
    );
  }

  run(text: string): Row[] {
    const lines = splitLines(text);
    const states = this.t.states;
    let rules = states[0]!;
    let ended = 0;
    const dispatch = this.t.dispatch;
    let state = 0;
    for (let ln = 0; ln < lines.length && ended === 0; ln++) {
      const line = lines[ln]!;
      let r = 0;
      const chunks = dispatch[state];
      if (chunks) {
        let c = 0;
        while (c < chunks.length && !chunks[c]!.re.test(line)) c++;
        if (c === chunks.length) continue;
        r = chunks[c]!.from;
      }
      for (; r < rules.length; r++) {
        const rule = rules[r]!;
        if (rule.assigns) {
          const m = rule.re.exec(line);
          if (m === null) continue;
          const assign = rule.assign;
          if (rule.replays.length > 0) replay(rule.replays, m, line);
          for (let g = 0; g < assign.length; g++) {
            const v = assign[g]!;
            if (v >= 0) this.assign(v, m[g + 1] ?? null);
          }
        } else if (!rule.re.test(line)) continue;
        const op = rule.recordOp;
        if (op === 'Record') this.append();
        else if (op === 'Clear') this.clear();
        else if (op === 'Clearall') this.clearAll();
        if (rule.lineOp === 'Error') this.error(rule, line, ln + 1);
        if (rule.lineOp === 'Continue') continue;
        const next = rule.next;
        if (next >= 0) {
          rules = states[next]!;
          state = next;
        } else if (next === TO_END || next === TO_EOF) ended = next;
        break;
      }
    }
    if (ended !== TO_END && !this.t.eofState) this.append();
    return this.rows;
  }
}

/**
 * Python's value for captures inside a repeated group that JS left undefined: the last iteration
 * in which the capture took part. Iterations are replayed with the body regex from the group's
 * start; when they do not tile the group's span exactly, the JS value (undefined) stands.
 */
function replay(replays: Replay[], m: RegExpExecArray, line: string): void {
  for (const r of replays) {
    if (m[r.capture] !== undefined) continue;
    const span = r.span.exec(line)?.indices?.[r.group];
    if (!span) continue;
    const [start, end] = span;
    let last: string | undefined;
    let p = start;
    while (p < end) {
      r.body.lastIndex = p;
      const it = r.body.exec(line);
      if (!it || it[0].length === 0 || p + it[0].length > end) break;
      if (it[r.inner] !== undefined) last = it[r.inner];
      p += it[0].length;
    }
    if (p === end && last !== undefined) m[r.capture] = last;
  }
}

/** Parse text with a compiled template: rows in header order (see Row). */
export function parseRows(t: TfTemplate, text: string): Row[] {
  return new Run(t).run(text);
}
