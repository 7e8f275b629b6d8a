/**
 * A TextFSM template compiled once into plain rule tables (fsm.ts runs them).
 * The grammar and its checks follow Google's textfsm 1.1 (parser.py) line for line, so a template
 * python-textfsm accepts is accepted here and one it refuses is refused, with file:line:col, what is
 * wrong and how to fix it (RunbookError 'E_TEXTFSM_TEMPLATE').
 * - Values: `Value [Opt,Opt] Name (regex)` lines up to the first blank line; comments `#`.
 * - States: a name line, then rules (` ^regex [-> [LineOp[.RecordOp]] [State|"message"]]`) up to a
 *   blank line. `Start` is required; `End` and `EOF` must be empty; an empty `EOF` state suppresses
 *   the implicit Record at end of input.
 * - `${Name}` / `$Name` in a rule is the Value's regex as a capture group; `$$` is a literal `$`.
 */
import { RunbookError, formatPos, type SourcePos } from '../errors.js';
import { PyRegexError, translatePyRegex, type JsPattern } from './pyregex.js';

export type ValueOption = 'Filldown' | 'Fillup' | 'Key' | 'Required' | 'List';
export type LineOp = 'Next' | 'Continue' | 'Error';
export type RecordOp = 'NoRecord' | 'Record' | 'Clear' | 'Clearall';

const OPTIONS: readonly ValueOption[] = ['Filldown', 'Fillup', 'Key', 'Required', 'List'];
const LINE_OPS = ['Continue', 'Next', 'Error'];
const RECORD_OPS = ['Clear', 'Clearall', 'Record', 'NoRecord'];
const MAX_NAME_LEN = 48;

/** State index of a transition: a declared state, or one of these. */
export const STAY = -1;
export const TO_END = -2;
export const TO_EOF = -3;

export interface TfValue {
  name: string;
  /** Options in declaration order (the order matters for Required + List at record time). */
  options: ValueOption[];
  filldown: boolean;
  fillup: boolean;
  required: boolean;
  list: boolean;
  key: boolean;
  /** List values whose regex has named groups: each match becomes a record of those groups. */
  nested?: { re: RegExp; groups: (string | null)[] };
  pos: SourcePos;
}

export interface TfRule {
  /** Anchored at the start (Python's re.match). */
  re: RegExp;
  /** Per capture group number - 1: the index of the Value it assigns, or -1. */
  assign: Int32Array;
  /** True when some group assigns a Value (else `re.test` is enough). */
  assigns: boolean;
  /** Value captures inside a repeated group, recovered as Python keeps them (see Replay). */
  replays: Replay[];
  lineOp: LineOp;
  recordOp: RecordOp;
  /** A state index, STAY, TO_END or TO_EOF. */
  next: number;
  /** The text after `Error`, quotes included as python-textfsm prints it, or ''. */
  message: string;
  /** The rule as written (trimmed), for messages. */
  text: string;
  /** The regex without captures and its flags, for the state's dispatch regex (null: cannot join). */
  plain: { source: string; flags: string } | null;
  pos: SourcePos;
}

/**
 * How to recover a capture inside a repeated group when JS left it undefined: `span` is the rule's
 * regex with one more group around the repeated one (number `group`, 'd' flag for its indices);
 * `body` (sticky) matches one iteration, its capture `inner` being the Value's.
 */
export interface Replay {
  /** 1-based capture number in the rule's regex. */
  capture: number;
  span: RegExp;
  group: number;
  body: RegExp;
  inner: number;
}

/** Rules `from` (inclusive) to `to` (exclusive) of a state; `re` matches when one of them does. */
export interface Chunk {
  re: RegExp;
  from: number;
  to: number;
}

/** Rules per dispatch chunk. */
const CHUNK = 8;

export interface TfTemplate {
  file: string;
  values: TfValue[];
  /** Column names in order (Value names, as written). */
  header: string[];
  stateNames: string[];
  /** Rules per state index; state 0 is `Start`. */
  states: TfRule[][];
  /**
   * Per state, the rules in chunks of up to CHUNK, each with one regex that matches a line when some
   * rule of the chunk does (their regexes, captures made non-capturing, as alternatives): a line is
   * tested chunk by chunk, then rule by rule from the first chunk that matches, so most lines cost a
   * few tests instead of one per rule. Null for a state whose rules cannot be joined (mixed flags,
   * backreferences) or with few rules.
   */
  dispatch: (Chunk[] | null)[];
  /** An (empty) `EOF` state was declared: no implicit Record at end of input. */
  eofState: boolean;
}

function fail(pos: SourcePos, what: string, hint: string): never {
  throw new RunbookError('E_TEXTFSM_TEMPLATE', `${formatPos(pos)}: ${what}`, { hint });
}

/** Compile a JS RegExp from a translated pattern; a V8 refusal becomes a template error at `pos`. */
function jsRegex(p: JsPattern, pos: SourcePos, anchored: boolean): RegExp {
  try {
    return new RegExp(anchored ? `^(?:${p.source})` : p.source, p.flags);
  } catch (err) {
    return fail(pos, `invalid regular expression: ${(err as Error).message}`, 'fix the regex syntax');
  }
}

function translate(src: string, pos: SourcePos, map?: (offset: number) => number): JsPattern {
  try {
    return translatePyRegex(src);
  } catch (err) {
    if (!(err instanceof PyRegexError)) throw err;
    const col = pos.col + (map ? map(err.offset) : err.offset);
    return fail({ ...pos, col }, err.message, err.hint);
  }
}

function parseValue(line: string, pos: SourcePos): { value: TfValue; regex: string } {
  const tokens = line.split(' ');
  if (tokens.length < 3)
    fail(pos, 'expect at least 3 tokens on a Value line', 'write `Value [Options] Name (regex)`');
  let name: string;
  let regex: string;
  const options: ValueOption[] = [];
  let regexCol: number;
  if (!tokens[2]!.startsWith('(')) {
    for (const o of tokens[1]!.split(',')) {
      const opt = OPTIONS.find((x) => x === o);
      if (!opt) {
        fail(
          { ...pos, col: 7 },
          `unknown option "${o}"`,
          `options are ${OPTIONS.join(', ')}, comma-separated, no spaces`,
        );
      }
      if (options.includes(opt)) fail({ ...pos, col: 7 }, `duplicate option "${o}"`, 'name each option once');
      options.push(opt);
    }
    name = tokens[2]!;
    regex = tokens.slice(3).join(' ');
    regexCol = tokens[0]!.length + tokens[1]!.length + name.length + 4;
  } else {
    name = tokens[1]!;
    regex = tokens.slice(2).join(' ');
    regexCol = tokens[0]!.length + name.length + 3;
  }
  const namePos = { ...pos, col: line.indexOf(name, 6) + 1 };
  if (name.length > MAX_NAME_LEN)
    fail(namePos, `invalid Value name '${name}' or name too long`, 'use at most 48 characters');
  const count = (ch: string) => regex.split(ch).length - 1;
  if (!/^\(.*\)$/.test(regex) || count('(') !== count(')')) {
    fail(
      { ...pos, col: regexCol },
      `Value '${regex}' must be contained within a '()' pair`,
      'wrap the whole regex in one group, e.g. (\\S+); python-textfsm counts escaped parentheses too',
    );
  }
  const value: TfValue = {
    name,
    options,
    filldown: options.includes('Filldown'),
    fillup: options.includes('Fillup'),
    required: options.includes('Required'),
    list: options.includes('List'),
    key: options.includes('Key'),
    pos: namePos,
  };
  const regexPos = { ...pos, col: regexCol };
  const p = translate(regex, regexPos);
  if (value.list && p.groups.length > 1 && p.groups.some((g) => g !== null)) {
    value.nested = { re: jsRegex(p, regexPos, true), groups: p.groups };
  } else {
    jsRegex(p, regexPos, false);
  }
  return { value, regex };
}

/** Python string.Template.substitute over a rule; returns the text and an offset map back to it. */
function substitute(
  match: string,
  vars: Map<string, string>,
  pos: SourcePos,
): { text: string; map: (offset: number) => number } {
  if (vars.size === 0) return { text: match, map: (o) => o };
  const re = /\$(?:(\$)|([_a-z][_a-z0-9]*)|\{([_a-z][_a-z0-9]*)\}|())/gi;
  let text = '';
  let last = 0;
  const segments: { outStart: number; outEnd: number; src: number }[] = [];
  for (let m = re.exec(match); m; m = re.exec(match)) {
    const chunk = match.slice(last, m.index);
    segments.push({ outStart: text.length, outEnd: text.length + chunk.length, src: last });
    text += chunk;
    last = m.index + m[0].length;
    if (m[1] !== undefined) {
      segments.push({ outStart: text.length, outEnd: text.length + 1, src: m.index });
      text += '$';
      continue;
    }
    const name = m[2] ?? m[3];
    const col = { ...pos, col: pos.col + m.index };
    if (name === undefined) {
      fail(
        col,
        'invalid variable substitution: a lone `$`',
        'write `$$` for an end-of-line `$`, or ${Name} for a Value',
      );
    }
    const sub = vars.get(name);
    if (sub === undefined) {
      fail(
        col,
        `unknown Value '${name}' in substitution`,
        `declare Value ${name} or write $$ for a literal $`,
      );
    }
    segments.push({ outStart: text.length, outEnd: text.length + sub.length, src: m.index });
    text += sub;
  }
  segments.push({ outStart: text.length, outEnd: text.length + match.length - last, src: last });
  text += match.slice(last);
  const map = (o: number): number => {
    for (const s of segments) if (o >= s.outStart && o < s.outEnd) return s.src + (o - s.outStart);
    return match.length;
  };
  return { text, map };
}

const ACTION1 = /^\s+(Continue|Next|Error)(?:\.(Clear|Clearall|Record|NoRecord))?(?:\s+(\w+|".*"))?$/;
const ACTION2 = /^\s+(Clear|Clearall|Record|NoRecord)(?:\s+(\w+|".*"))?$/;
const ACTION3 = /^(?:\s+(\w+|".*"))?$/;

interface RawRule {
  rule: Omit<TfRule, 'next'>;
  target: string;
}

function parseRule(
  line: string,
  pos: SourcePos,
  vars: Map<string, string>,
  valueIndex: Map<string, number>,
): RawRule {
  const lead = line.length - line.trimStart().length;
  const stripped = line.trim();
  const rulePos = { ...pos, col: lead + 1 };
  const ma = /^(.*)\s->(.*)/.exec(stripped);
  const match = ma ? ma[1]! : stripped;
  const sub = substitute(match, vars, rulePos);
  const p = translate(sub.text, rulePos, sub.map);
  const re = jsRegex(p, rulePos, true);
  const assign = new Int32Array(p.groups.length);
  let assigns = false;
  p.groups.forEach((g, i) => {
    const v = g === null ? undefined : valueIndex.get(g);
    assign[i] = v ?? -1;
    if (v !== undefined) assigns = true;
  });
  const replays = p.repeated
    .filter((r) => assign[r.capture - 1]! >= 0)
    .map((r): Replay => {
      const shift = (src: string) =>
        src.replace(/\(\?:\\(\d+)\)/g, (_, k: string) => `(?:\\${Number(k) > r.before ? Number(k) + 1 : k})`);
      const src = `${p.source.slice(0, r.start)}(${p.source.slice(r.start, r.end)})${p.source.slice(r.end)}`;
      return {
        capture: r.capture,
        span: new RegExp(`^(?:${shift(src)})`, `${p.flags}d`),
        group: r.before + 1,
        body: new RegExp(r.body, `${p.flags}y`),
        inner: r.inner,
      };
    });
  let lineOp: LineOp = 'Next';
  let recordOp: RecordOp = 'NoRecord';
  let target = '';
  if (ma) {
    const action = ma[2]!;
    const actionPos = { ...pos, col: lead + ma[1]!.length + 4 + (action.length - action.trimStart().length) };
    const a1 = ACTION1.exec(action);
    const a2 = a1 ? null : ACTION2.exec(action);
    const a3 = a1 || a2 ? null : ACTION3.exec(action);
    if (a1) {
      lineOp = a1[1] as LineOp;
      recordOp = (a1[2] ?? 'NoRecord') as RecordOp;
      target = a1[3] ?? '';
    } else if (a2) {
      recordOp = a2[1] as RecordOp;
      target = a2[2] ?? '';
    } else if (a3) {
      target = a3[1] ?? '';
    } else {
      fail(
        actionPos,
        `badly formatted rule action '${action.trim()}'`,
        'write `-> [Next|Continue|Error][.Record|.NoRecord|.Clear|.Clearall] [State]`, a space after ->',
      );
    }
    if (lineOp === 'Continue' && target) {
      fail(actionPos, `action 'Continue' with new state ${target}`, 'Continue cannot change state; use Next');
    }
    if (lineOp !== 'Error' && target && !/^\w/.test(target)) {
      fail(actionPos, 'alphanumeric characters only in state names', 'a quoted message goes with Error only');
    }
  }
  return {
    rule: {
      re,
      assign,
      assigns,
      replays,
      lineOp,
      recordOp,
      message: lineOp === 'Error' ? target : '',
      text: stripped,
      plain: p.plain === null ? null : { source: p.plain, flags: p.flags },
      pos: rulePos,
    },
    target: lineOp === 'Error' ? '' : target,
  };
}

/** Compile template text. `file` is used in positions and messages. */
export function compileTemplate(text: string, file: string): TfTemplate {
  if (!text) fail({ file, line: 1, col: 1 }, 'empty template', 'a template starts with Value lines');
  const lines = text.split(/\r\n|\r|\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  let n = 0;
  const at = (col = 1): SourcePos => ({ file, line: n, col });
  const comment = /^\s*#/;
  const values: TfValue[] = [];
  const vars = new Map<string, string>();
  const valueIndex = new Map<string, number>();
  while (n < lines.length) {
    const line = lines[n++]!.trimEnd();
    if (!line) break;
    if (comment.test(line)) continue;
    if (line.startsWith('Value ')) {
      const { value, regex } = parseValue(line, at());
      if (valueIndex.has(value.name)) {
        fail(
          value.pos,
          `duplicate declarations for Value '${value.name}'`,
          'give each Value a distinct name',
        );
      }
      valueIndex.set(value.name, values.length);
      values.push(value);
      vars.set(value.name, regex.replace(/^\(/, `(?P<${value.name}>`));
    } else if (values.length === 0) {
      fail(at(), 'no Value definitions found', 'a template starts with `Value Name (regex)` lines');
    } else {
      fail(
        at(),
        'expected a blank line after the last Value entry',
        'end the Value block with an empty line',
      );
    }
  }
  const stateNames: string[] = [];
  const raw: RawRule[][] = [];
  const statePos: SourcePos[] = [];
  while (n < lines.length) {
    let name = '';
    while (n < lines.length) {
      const line = lines[n++]!.trimEnd();
      if (!line || comment.test(line)) continue;
      if (
        !/^\w+$/.test(line) ||
        line.length > MAX_NAME_LEN ||
        LINE_OPS.includes(line) ||
        RECORD_OPS.includes(line)
      ) {
        fail(
          at(),
          `invalid state name: '${line}'`,
          line.trimStart().startsWith('^')
            ? 'a rule must follow a state name line with no blank line between'
            : 'a state name is letters, digits and _ (at most 48), not an action name',
        );
      }
      if (stateNames.includes(line)) fail(at(), `duplicate state name: '${line}'`, 'merge the two states');
      name = line;
      break;
    }
    if (!name) break;
    stateNames.push(name);
    statePos.push(at());
    const rules: RawRule[] = [];
    raw.push(rules);
    while (n < lines.length) {
      const line = lines[n++]!.trimEnd();
      if (!line) break;
      if (comment.test(line)) continue;
      if (!(line.startsWith(' ^') || line.startsWith('  ^') || line.startsWith('\t^'))) {
        fail(
          at(),
          "missing white space or caret ('^') before rule",
          'indent each rule by one or two spaces and start it with ^',
        );
      }
      rules.push(parseRule(line, at(), vars, valueIndex));
    }
  }
  return link({ file, values, stateNames, raw, statePos });
}

function link(t: {
  file: string;
  values: TfValue[];
  stateNames: string[];
  raw: RawRule[][];
  statePos: SourcePos[];
}): TfTemplate {
  const startIdx = t.stateNames.indexOf('Start');
  if (startIdx < 0)
    fail(
      { file: t.file, line: 1, col: 1 },
      "missing state 'Start'",
      'add a Start state: the FSM begins there',
    );
  for (const special of ['End', 'EOF']) {
    const i = t.stateNames.indexOf(special);
    if (i >= 0 && t.raw[i]!.length > 0) {
      fail(
        t.statePos[i]!,
        `non-empty '${special}' state`,
        `leave ${special} empty, or name the state differently`,
      );
    }
  }
  const eofState = t.stateNames.includes('EOF');
  // Start first; End and EOF are not states to run.
  const order = [startIdx, ...t.stateNames.map((_, i) => i).filter((i) => i !== startIdx)].filter(
    (i) => t.stateNames[i] !== 'End' && t.stateNames[i] !== 'EOF',
  );
  const stateNames = order.map((i) => t.stateNames[i]!);
  const states = order.map((i, si) =>
    t.raw[i]!.map(({ rule, target }): TfRule => {
      let next = STAY;
      if (target === 'End') next = TO_END;
      else if (target === 'EOF') next = TO_EOF;
      else if (target) {
        next = stateNames.indexOf(target);
        if (next < 0) {
          fail(
            rule.pos,
            `state '${target}' not found, referenced in state '${stateNames[si]}'`,
            `declare a state ${target} or fix the name (states: ${stateNames.join(', ')})`,
          );
        }
      }
      return { ...rule, next };
    }),
  );
  return {
    file: t.file,
    values: t.values,
    header: t.values.map((v) => v.name),
    stateNames,
    states,
    dispatch: states.map(dispatchRegex),
    eofState,
  };
}

function dispatchRegex(rules: TfRule[]): Chunk[] | null {
  if (rules.length < 4) return null;
  const plains = rules.map((r) => r.plain);
  const flags = plains[0]?.flags;
  if (plains.some((p) => p === null || p.flags !== flags)) return null;
  const chunks: Chunk[] = [];
  for (let from = 0; from < rules.length; from += CHUNK) {
    const to = Math.min(rules.length, from + CHUNK);
    const alts = plains.slice(from, to).map((p) => `(?:${p!.source})`);
    try {
      chunks.push({ re: new RegExp(`^(?:${alts.join('|')})`, flags), from, to });
    } catch {
      return null;
    }
  }
  return chunks;
}
