import { describe, expect, it } from 'vitest';
import { stripAnsi, TerminalText } from '../../src/transport/ansi.js';

describe('stripAnsi', () => {
  it('removes CSI, OSC and charset sequences, keeping the text', () => {
    expect(stripAnsi('\x1b[1;32mgreen\x1b[0m \x1b]0;title\x07x \x1b(Bdone\x1b[K')).toBe('green x done');
  });
});

describe('TerminalText', () => {
  const feed = (chunks: string[], strip = true): string => {
    const t = new TerminalText(strip);
    for (const c of chunks) t.write(c);
    return t.text;
  };

  it('joins CRLF split across chunks and keeps a sequence split across chunks out', () => {
    expect(feed(['line one\r', '\nline \x1b[3', '2mtwo\x1b[0m\r\n'])).toBe('line one\nline two\n');
  });

  it('treats a lone CR as a return to the start of the line', () => {
    expect(feed(['progress 10%\rprogress 99%\r\ndone'])).toBe('progress 99%\ndone');
    expect(feed(['echo\r\r\nnext'])).toBe('echo\nnext');
  });

  it('lets backspaces erase the current line only (IOS pager erase)', () => {
    expect(feed(['a\n --More-- ', '\b\b\b\b\b\b\b\b\b\b\b\b          \b\b\b\b\b\b\b\b\b\bb'])).toBe('a\nb');
  });

  it('records how far back an erase reached', () => {
    const t = new TerminalText(true);
    t.write('abc');
    t.markLow();
    t.write('\b\bZ');
    expect(t.text).toBe('aZ');
    expect(t.low).toBe(1);
  });

  it('keeps escape sequences when stripping is off', () => {
    expect(feed(['\x1b[1mx\r\n'], false)).toBe('\x1b[1mx\n');
  });
});
