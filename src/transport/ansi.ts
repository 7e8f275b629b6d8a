/**
 * Terminal text: turns the byte stream of an interactive PTY into plain lines.
 * ANSI/VT escape sequences are removed (when asked), `\r\n` becomes `\n`, a lone `\r` returns to the
 * start of the line (the rest of the line is cleared), and a backspace deletes the previous character
 * of the current line (IOS erases ` --More-- ` that way). Sequences split across chunks are held back
 * until complete.
 *
 * Linear time and memory in the size of the stream, whatever its shape (200 MB of short lines or one
 * 20 MB line): finished lines are kept as pieces and never searched again, only the current line can
 * change, and its end is read through `tail(max)` (bounded work per chunk). `text` joins everything
 * once, when a command is done.
 */

/** CSI, OSC (BEL or ST terminated), charset selection and two-byte escapes. */
const ANSI =
  /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()*+][0-9A-Za-z]|\x1b[@-Z\\-_=>78]|\x9b[0-?]*[ -/]*[@-~]/g;
/** An escape sequence that may still be incomplete is held back at most this long. */
const MAX_PENDING = 64;
/** Characters that edit the current line (CR, backspace) or are dropped (BEL, NUL). */
const EDIT = /[\r\b\x07\x00]/g;

/** Removes every complete ANSI escape sequence from `s`. */
export function stripAnsi(s: string): string {
  return s.replace(ANSI, '');
}

export class TerminalText {
  /** Finished text (each piece ends at a line end); never changes until `take()`. */
  private done: string[] = [];
  private doneLen = 0;
  /** The current, unterminated line, as pieces whose lengths do not increase (amortised merging). */
  private cur: string[] = [];
  private curLen = 0;
  /** The shortest length the text had since `markLow()`: a backspace or `\r` may erase handled text. */
  low = 0;
  private pending = '';

  constructor(private readonly removeAnsi: boolean) {}

  /** Length of the text since the last `take()`. */
  get length(): number {
    return this.doneLen + this.curLen;
  }

  /** Offset (in `text`) where the current line starts. */
  get lineStart(): number {
    return this.doneLen;
  }

  /** Text since the last `take()` (joins the pieces: call it once a command is done). */
  get text(): string {
    const all = this.done.join('') + this.cur.join('');
    this.done = all.length > this.curLen ? [all.slice(0, this.doneLen)] : [];
    this.cur = this.curLen > 0 ? [all.slice(this.doneLen)] : [];
    return all;
  }

  write(chunk: string): void {
    let s = this.pending + chunk;
    this.pending = '';
    if (this.removeAnsi) {
      s = stripAnsi(s);
      const esc = s.lastIndexOf('\x1b');
      if (esc >= 0 && s.length - esc < MAX_PENDING) {
        this.pending = s.slice(esc);
        s = s.slice(0, esc);
      } else if (esc >= 0) {
        s = s.slice(0, esc) + s.slice(esc + 1);
      }
    }
    if (s.endsWith('\r')) {
      this.pending = '\r' + this.pending;
      s = s.slice(0, -1);
    }
    this.apply(s.replace(/\r+\n/g, '\n'));
  }

  /** Returns the text so far and starts afresh (held-back partial sequences are kept). */
  take(): string {
    const t = this.text;
    this.done = [];
    this.doneLen = 0;
    this.cur = [];
    this.curLen = 0;
    this.low = 0;
    return t;
  }

  markLow(): void {
    this.low = this.length;
  }

  /**
   * The end of the current line from offset `from` on (at least the line start), or undefined when
   * that part is longer than `max` (a long line is output, never a prompt or a question).
   */
  tail(from: number, max: number): string | undefined {
    const start = Math.max(from, this.doneLen);
    const want = this.length - start;
    if (want <= 0) return '';
    if (want > max) return undefined;
    let s = '';
    for (let i = this.cur.length - 1; i >= 0 && s.length < want; i--) s = this.cur[i]! + s;
    return s.slice(s.length - want);
  }

  /** Removes the last `n` characters of the current line (an answered pager prompt). */
  cutLine(n: number): void {
    let left = Math.min(n, this.curLen);
    while (left > 0) {
      const last = this.cur[this.cur.length - 1]!;
      if (last.length <= left) {
        this.cur.pop();
        this.curLen -= last.length;
        left -= last.length;
      } else {
        this.cur[this.cur.length - 1] = last.slice(0, last.length - left);
        this.curLen -= left;
        left = 0;
      }
    }
    this.lowered();
  }

  private apply(s: string): void {
    EDIT.lastIndex = 0;
    let run = 0;
    for (let m = EDIT.exec(s); m; m = EDIT.exec(s)) {
      this.add(s.slice(run, m.index));
      run = m.index + 1;
      const c = s.charCodeAt(m.index);
      if (c === 0x0d) {
        this.cur = [];
        this.curLen = 0;
        this.lowered();
      } else if (c === 0x08 && this.curLen > 0) {
        this.cutLine(1);
      }
    }
    this.add(s.slice(run));
  }

  /** Appends plain text (it may hold line ends). */
  private add(s: string): void {
    if (s.length === 0) return;
    const nl = s.lastIndexOf('\n');
    if (nl >= 0) {
      this.done.push(this.cur.join('') + s.slice(0, nl + 1));
      this.doneLen += this.curLen + nl + 1;
      this.cur = [];
      this.curLen = 0;
      s = s.slice(nl + 1);
      if (s.length === 0) return;
    }
    this.cur.push(s);
    this.curLen += s.length;
    // keep piece lengths non-increasing: merging costs O(n log n) in all, and tail() reads few pieces
    while (
      this.cur.length > 1 &&
      this.cur[this.cur.length - 2]!.length <= this.cur[this.cur.length - 1]!.length
    ) {
      const b = this.cur.pop()!;
      this.cur[this.cur.length - 1] += b;
    }
  }

  private lowered(): void {
    if (this.length < this.low) this.low = this.length;
  }
}
