/**
 * A minimal terminal for reporter tests: a fake TTY stream whose writes are applied to a screen
 * (lines of text) honouring the sequences log-update uses: erase line, cursor up, cursor to column 1.
 * Colours and cursor show/hide are ignored.
 */
export class FakeTerminal {
  readonly lines: string[] = [''];
  private row = 0;
  private col = 0;
  raw = '';
  readonly isTTY = true;
  columns = 100;
  rows = 40;

  write(chunk: string | Uint8Array, ...rest: unknown[]): boolean {
    const s = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    this.raw += s;
    const re = /\x1b\[([?\d;]*)([A-Za-z])|\n|[^\x1b\n]+/gu;
    for (const m of s.matchAll(re)) {
      const tok = m[0];
      if (tok === '\n') {
        this.row++;
        this.col = 0;
        if (this.row >= this.lines.length) this.lines.push('');
      } else if (tok.startsWith('\x1b')) {
        const [, arg, op] = m;
        if (op === 'K') this.lines[this.row] = '';
        else if (op === 'A') this.row = Math.max(0, this.row - Number(arg || 1));
        else if (op === 'G') this.col = 0;
      } else {
        const line = this.lines[this.row]!.padEnd(this.col);
        this.lines[this.row] = line.slice(0, this.col) + tok + line.slice(this.col + tok.length);
        this.col += tok.length;
      }
    }
    const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    cb?.();
    return true;
  }

  /** The visible text, trailing empty lines dropped. */
  screen(): string {
    const lines = [...this.lines];
    while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
    return lines.map((l) => l.trimEnd()).join('\n');
  }
}
