/**
 * Python `re` syntax (as TextFSM templates are written) translated to a JavaScript RegExp source.
 * Contract: the result matches what Python's `re.match` would on the same single line (no newline
 * inside), or the translation is refused with the 0-based offset of the construct and a fix.
 * - `(?P<name>...)` becomes a plain capturing group; `groups[i]` is the name of capture group i+1
 *   (null for an unnamed one), so callers read captures by index and no `groups` object is built.
 *   Group numbering is unchanged, so `\1` keeps its meaning; `(?P=name)` becomes `(?:\N)`.
 * - `\A` -> `^`, `\Z` -> `$` (no `m` flag, so both anchor the whole string), `\a` -> `\x07`,
 *   `{,n}` -> `{0,n}`, a `]` first in a class is escaped, `(?#...)` comments are dropped.
 * - Global flags `(?i)`, `(?s)`, `(?m)` at the start become RegExp flags (Python 3.11 refuses them
 *   elsewhere); `(?a)` and `(?u)` are accepted (no-op here).
 * - Refused: atomic groups and possessive quantifiers, conditionals, scoped flags `(?i:...)`,
 *   verbose `(?x)`, `\N{...}`, `\U...`, unknown letter escapes (Python refuses those too).
 */

/** A translated pattern: JS source, flags and the name of each capture group by number - 1. */
export interface JsPattern {
  source: string;
  flags: string;
  groups: (string | null)[];
  /** Captures inside one repeated group (see RepeatedCapture). */
  repeated: RepeatedCapture[];
  /** `source` with every capture group made non-capturing (same matches), or null when it has backreferences. */
  plain: string | null;
}

/**
 * A capture group inside exactly one group repeated more than once, e.g. `(\w+)` in `((\w+)?\s)+`.
 * Python keeps the value of the last iteration in which the capture took part; JavaScript resets it
 * every iteration, so an iteration without it leaves it undefined. The runner replays the
 * iterations with `body` to recover Python's value (fsm.ts).
 */
export interface RepeatedCapture {
  /** 1-based capture number in `source`. */
  capture: number;
  /** Output offsets of the repeated group, from its `(` to the end of its quantifier. */
  start: number;
  end: number;
  /** Captures opened before `start` (the group inserted there to find its span is number this + 1). */
  before: number;
  /** JS source of one iteration, and the capture's 1-based number within it. */
  body: string;
  inner: number;
}

interface Node {
  start: number;
  end: number;
  /** Length of the opening, `(` or `(?:`. */
  open: number;
  capture: number | null;
  look: boolean;
  parent: Node | null;
  many: boolean;
  quantEnd: number;
  /** Captures opened before this group. */
  before: number;
}

function repeatedCaptures(nodes: Node[], source: string): RepeatedCapture[] {
  const out: RepeatedCapture[] = [];
  for (const node of nodes) {
    if (node.capture === null) continue;
    const many: Node[] = [];
    for (let p = node.parent; p; p = p.parent) if (p.many) many.push(p);
    const q = many[0];
    if (many.length !== 1 || !q) continue;
    const body = source.slice(q.start + q.open, q.end - 1);
    if (/\\[1-9]/.test(body)) continue;
    const first = q.before + (q.capture === null ? 1 : 2);
    out.push({
      capture: node.capture,
      start: q.start,
      end: q.quantEnd,
      before: q.before,
      body,
      inner: node.capture - first + 1,
    });
  }
  return out;
}

/** A construct we cannot translate; `offset` is 0-based in the Python source. */
export class PyRegexError extends Error {
  readonly offset: number;
  readonly hint: string;
  constructor(message: string, offset: number, hint: string) {
    super(message);
    this.offset = offset;
    this.hint = hint;
  }
}

const KEEP_LETTER_ESCAPES = new Set(['d', 'D', 's', 'S', 'w', 'W', 'b', 'B', 'n', 'r', 't', 'f', 'v']);
const GROUP_NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/** Translate a Python regex source. Throws PyRegexError for what has no JS equivalent. */
export function translatePyRegex(py: string): JsPattern {
  const groups: (string | null)[] = [];
  const byName = new Map<string, number>();
  let flags = '';
  let out = '';
  let i = 0;
  let inClass = false;
  /** True right after a quantifier (`*`, `+`, `?`, `{m,n}`), to spot a possessive `+`. */
  let afterQuantifier = false;
  /** Groups in opening order, and the stack of open ones. */
  const nodes: Node[] = [];
  const open: Node[] = [];
  /** The group that just closed: a quantifier after it applies to it. */
  let lastClosed: Node | null = null;
  /** A repeated group whose quantifier is being written: its quantEnd is set after it. */
  let quantTarget: Node | null = null;
  const endQuant = (): void => {
    if (quantTarget) quantTarget.quantEnd = out.length;
    quantTarget = null;
  };
  const n = py.length;
  while (i < n) {
    const c = py[i]!;
    const closed = lastClosed;
    lastClosed = null;
    const look = closed?.look ? closed.start : null;
    if (closed && !closed.look) {
      const q = /^(?:[*+]|\{\d*,\d*\}|\{(\d+)\})/.exec(py.slice(i, i + 24));
      if (q && !(q[1] !== undefined && Number(q[1]) <= 1) && !/^\{\d*,[01]\}/.test(q[0])) {
        closed.many = true;
        quantTarget = closed;
      }
    }
    if (look !== null) {
      // A quantified assertion: at least once is the assertion itself; possibly zero times, it or nothing.
      const q = /^(?:([*?])|(\+)|\{(\d*)(?:,\d*)?\})\??/.exec(py.slice(i, i + 24));
      if (q && (q[1] || q[2] || q[3] !== undefined)) {
        if (q[1] || q[3] === '' || q[3] === '0') {
          // may hold zero times: the assertion or nothing (its groups keep their numbers)
          out = `${out.slice(0, look)}(?:${out.slice(look)}|)`;
          for (const node of nodes) {
            if (node.start < look) continue;
            node.start += 3;
            node.end += 3;
          }
        }
        i += q[0].length;
        continue;
      }
    }
    if (c === '\\') {
      const esc = escape(py, i, inClass, groups.length);
      out += esc.out;
      i = esc.next;
      afterQuantifier = false;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      i++;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += '[';
      i++;
      if (py[i] === '^') {
        out += '^';
        i++;
      }
      if (py[i] === ']') {
        out += '\\]';
        i++;
      }
      afterQuantifier = false;
      continue;
    }
    if (c === '(') {
      const g = group(py, i, { groups, byName, atStart: out === '' });
      if (g.flags) flags += g.flags;
      if (g.out !== '') {
        const isCapture = g.out === '(';
        const node: Node = {
          start: out.length,
          end: -1,
          open: g.out.length,
          capture: isCapture ? groups.length : null,
          look: /^\(\?<?[=!]/.test(g.out),
          parent: open[open.length - 1] ?? null,
          many: false,
          quantEnd: -1,
          before: isCapture ? groups.length - 1 : groups.length,
        };
        nodes.push(node);
        open.push(node);
      }
      out += g.out;
      i = g.next;
      afterQuantifier = false;
      continue;
    }
    if (c === ')') {
      const g = open.pop();
      out += ')';
      i++;
      afterQuantifier = false;
      if (g) g.end = out.length;
      lastClosed = g ?? null;
      continue;
    }
    if (c === '*' || c === '+' || c === '?') {
      if (afterQuantifier && c === '+') {
        throw new PyRegexError(
          'possessive quantifier (a `+` after a quantifier) has no JavaScript equivalent',
          i,
          'drop the extra `+` (a greedy quantifier matches the same lines in almost every template)',
        );
      }
      out += c;
      i++;
      if (afterQuantifier && c === '?') {
        afterQuantifier = false; // lazy modifier
      } else {
        afterQuantifier = true;
        if (py[i] === '?') {
          out += '?';
          i++;
          afterQuantifier = false;
        }
      }
      endQuant();
      continue;
    }
    if (c === '{') {
      const q = /^\{(\d*)(,?)(\d*)\}/.exec(py.slice(i, i + 24));
      if (q && (q[1] !== '' || (q[2] === ',' && q[3] !== ''))) {
        out += `{${q[1] === '' ? '0' : q[1]}${q[2]}${q[3]}}`;
        i += q[0].length;
        afterQuantifier = true;
        if (py[i] === '?') {
          out += '?';
          i++;
          afterQuantifier = false;
        }
        endQuant();
        continue;
      }
      out += '\\{';
      i++;
      afterQuantifier = false;
      continue;
    }
    if (c === '}') {
      out += '\\}';
      i++;
      afterQuantifier = false;
      continue;
    }
    if (c === '/') {
      out += '\\/';
      i++;
      afterQuantifier = false;
      continue;
    }
    out += c;
    i++;
    afterQuantifier = false;
  }
  if (inClass) {
    throw new PyRegexError('unterminated character set `[`', py.lastIndexOf('['), 'close the set with `]`');
  }
  let plain: string | null = /\(\?:\\\d+\)/.test(out) ? null : out;
  if (plain !== null) {
    for (const node of [...nodes].reverse()) {
      if (node.capture !== null) plain = `${plain.slice(0, node.start)}(?:${plain.slice(node.start + 1)}`;
    }
  }
  return { source: out, flags, groups, repeated: repeatedCaptures(nodes, out), plain };
}

function escape(py: string, i: number, inClass: boolean, groupCount: number): { out: string; next: number } {
  const d = py[i + 1];
  if (d === undefined) {
    throw new PyRegexError('trailing backslash', i, 'escape it as `\\\\` or remove it');
  }
  if (d === 'A' || d === 'Z') {
    if (inClass) throw new PyRegexError(`bad escape \\${d} in a character set`, i, `remove \\${d}`);
    return { out: d === 'A' ? '^' : '$', next: i + 2 };
  }
  if (d === 'a') return { out: '\\x07', next: i + 2 };
  if (d === 'x') {
    if (!/^[0-9A-Fa-f]{2}$/.test(py.slice(i + 2, i + 4))) {
      throw new PyRegexError('incomplete escape \\x', i, 'write two hex digits, as in \\x41');
    }
    return { out: py.slice(i, i + 4), next: i + 4 };
  }
  if (d === 'u') {
    if (!/^[0-9A-Fa-f]{4}$/.test(py.slice(i + 2, i + 6))) {
      throw new PyRegexError('incomplete escape \\u', i, 'write four hex digits, as in \\u00e9');
    }
    return { out: py.slice(i, i + 6), next: i + 6 };
  }
  if (d >= '0' && d <= '9') {
    if (inClass || d === '0') {
      const oct = /^[0-7]{1,3}/.exec(py.slice(i + 1, i + 4))![0];
      return { out: `\\x${parseInt(oct, 8).toString(16).padStart(2, '0')}`, next: i + 1 + oct.length };
    }
    const num = /^\d{1,2}/.exec(py.slice(i + 1, i + 3))![0];
    if (Number(num) > groupCount) {
      throw new PyRegexError(`invalid group reference \\${num}`, i, 'refer only to a group opened before');
    }
    return { out: `(?:\\${num})`, next: i + 1 + num.length };
  }
  if (/[A-Za-z]/.test(d)) {
    if (KEEP_LETTER_ESCAPES.has(d) && !(inClass && (d === 'B' || d === 'b'))) {
      return { out: `\\${d}`, next: i + 2 };
    }
    if (inClass && d === 'b') return { out: '\\x08', next: i + 2 };
    throw new PyRegexError(
      `bad escape \\${d}`,
      i,
      d === 'N' || d === 'U'
        ? 'write the character itself or a \\uXXXX escape'
        : `Python refuses \\${d} too; write ${d} without the backslash`,
    );
  }
  return { out: `\\${d}`, next: i + 2 };
}

interface GroupCtx {
  groups: (string | null)[];
  byName: Map<string, number>;
  atStart: boolean;
}

function group(py: string, i: number, ctx: GroupCtx): { out: string; next: number; flags?: string } {
  if (py[i + 1] !== '?') {
    ctx.groups.push(null);
    return { out: '(', next: i + 1 };
  }
  const rest = py.slice(i + 2, i + 64);
  if (rest.startsWith('P<')) {
    const m = GROUP_NAME.exec(rest.slice(2));
    if (!m || rest[2 + m[0].length] !== '>') {
      throw new PyRegexError('bad group name in (?P<...>)', i, 'a group name is letters, digits and _');
    }
    if (ctx.byName.has(m[0])) {
      throw new PyRegexError(
        `redefinition of group name '${m[0]}'`,
        i,
        'give each group (and each ${Value} used in a rule) one occurrence',
      );
    }
    ctx.groups.push(m[0]);
    ctx.byName.set(m[0], ctx.groups.length);
    return { out: '(', next: i + 2 + 2 + m[0].length + 1 };
  }
  if (rest.startsWith('P=')) {
    const m = /^P=([A-Za-z_][A-Za-z0-9_]*)\)/.exec(rest);
    const idx = m ? ctx.byName.get(m[1]!) : undefined;
    if (!m || idx === undefined) {
      throw new PyRegexError('unknown group in (?P=name)', i, 'name a (?P<name>...) group opened before');
    }
    return { out: `(?:\\${idx})`, next: i + 2 + m[0].length };
  }
  if (rest.startsWith(':') || rest.startsWith('=') || rest.startsWith('!')) {
    return { out: py.slice(i, i + 3), next: i + 3 };
  }
  if (rest.startsWith('<=') || rest.startsWith('<!')) {
    return { out: py.slice(i, i + 4), next: i + 4 };
  }
  if (rest.startsWith('#')) {
    const end = py.indexOf(')', i);
    if (end < 0) throw new PyRegexError('unterminated comment (?#', i, 'close it with )');
    return { out: '', next: end + 1 };
  }
  if (rest.startsWith('>')) {
    throw new PyRegexError(
      'atomic group (?>...) has no JavaScript equivalent',
      i,
      'use a plain group (?:...); it matches the same lines unless the template relies on no backtracking',
    );
  }
  if (rest.startsWith('(')) {
    throw new PyRegexError('conditional group (?(...)...) is not supported', i, 'use an alternation (a|b)');
  }
  const fl = /^([aiLmsux]+)(-[imsx]+)?([:)])/.exec(rest);
  if (fl) {
    if (fl[3] === ':' || fl[2]) {
      throw new PyRegexError(
        `scoped flags (?${fl[1]}${fl[2] ?? ''}:...) are not supported`,
        i,
        'put global flags such as (?i) at the start of the regex instead',
      );
    }
    if (!ctx.atStart) {
      throw new PyRegexError(
        'global flags not at the start of the expression',
        i,
        'move (?i) to the very start of the rule or Value regex',
      );
    }
    let flags = '';
    for (const f of fl[1]!) {
      if (f === 'i' || f === 's' || f === 'm') flags += f;
      else if (f === 'x' || f === 'L') {
        throw new PyRegexError(
          `flag (?${f}) is not supported`,
          i,
          f === 'x' ? 'write the regex without verbose whitespace and comments' : 'remove (?L)',
        );
      }
    }
    return { out: '', next: i + 2 + fl[0].length, flags };
  }
  throw new PyRegexError(`unknown extension (?${py[i + 2] ?? ''}`, i, 'see Python re syntax');
}
