/**
 * Terminal text: turns the byte stream of an interactive PTY into plain lines.
 * ANSI/VT escape sequences are removed (when asked), `\r\n` becomes `\n`, a lone `\r` returns to the
 * start of the line (the rest of the line is cleared), and a backspace deletes the previous character
 * of the current line (IOS erases ` --More-- ` that way). Sequences split across chunks are held back
 * until complete.
 */

/** CSI, OSC (BEL or ST terminated), charset selection and two-byte escapes. */
const ANSI =
  /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()*+][0-9A-Za-z]|\x1b[@-Z\\-_=>78]|\x9b[0-?]*[ -/]*[@-~]/g;
/** An escape sequence that may still be incomplete is held back at most this long. */
const MAX_PENDING = 64;

/** Removes every complete ANSI escape sequence from `s`. */
export function stripAnsi(s: string): string {
  return s.replace(ANSI, '');
}

export class TerminalText {
  /** Text since the last `take()`. */
  text = '';
  /** The shortest length `text` had since `markLow()`: a backspace or `\r` may erase handled text. */
  low = 0;
  private pending = '';

  constructor(private readonly removeAnsi: boolean) {}

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
    this.append(s.replace(/\r+\n/g, '\n'));
  }

  /** Returns the text so far and starts afresh (held-back partial sequences are kept). */
  take(): string {
    const t = this.text;
    this.text = '';
    this.low = 0;
    return t;
  }

  markLow(): void {
    this.low = this.text.length;
  }

  /** The current (unterminated) last line. */
  lastLine(): string {
    return this.text.slice(this.text.lastIndexOf('\n') + 1);
  }

  private append(s: string): void {
    let out = this.text;
    let run = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 0x0d || c === 0x08 || c === 0x07 || c === 0x00) {
        out += s.slice(run, i);
        run = i + 1;
        if (c === 0x0d) out = out.slice(0, out.lastIndexOf('\n') + 1);
        else if (c === 0x08 && out.length > 0 && !out.endsWith('\n')) out = out.slice(0, -1);
        if (out.length < this.low) this.low = out.length;
      }
    }
    this.text = out + s.slice(run);
  }
}
