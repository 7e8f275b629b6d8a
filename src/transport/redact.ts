/** Safe quoting of device bytes for error messages (secrets masked with the one mask, src/redact.ts). */
import { maskSecrets as redact } from '../redact.js';

export { maskSecrets as redact } from '../redact.js';

/** The last `max` characters of `text`, redacted and quoted with control characters escaped. */
export function quoteTail(text: string, secrets: readonly string[], max = 200): string {
  if (text.length === 0) return '(nothing)';
  const clean = redact(text, secrets);
  const tail = clean.length > max ? clean.slice(-max) : clean;
  return (clean.length > max ? '...' : '') + JSON.stringify(tail);
}

/** A rolling window of the last bytes received, for timeout messages. */
export class Tail {
  private buf = '';
  constructor(private readonly size = 512) {}
  push(s: string): void {
    this.buf = (this.buf + s).slice(-this.size);
  }
  get text(): string {
    return this.buf;
  }
  clear(): void {
    this.buf = '';
  }
}

/**
 * What an SSH server sent before login, for connect/auth messages: the readable identification
 * text (`SSH-2.0-...`, and any pre-banner lines), then only a count of the binary packet bytes.
 */
export class WireTail {
  private text = '';
  private binary = 0;
  private identDone = false;
  push(chunk: Buffer): void {
    if (this.identDone) {
      this.binary += chunk.length;
      return;
    }
    const s = chunk.toString('latin1');
    const m = /SSH-[^\n]*\n/.exec(this.text + s);
    if (m) {
      const all = this.text + s;
      const end = m.index + m[0].length;
      this.text = all.slice(0, end).slice(-512);
      this.binary += all.length - end;
      this.identDone = true;
    } else {
      this.text = (this.text + s).slice(-512);
    }
  }
  /** Quoted text (escaped, redacted by the caller) followed by the binary count. */
  describe(quote: (s: string) => string): string {
    if (this.text === '' && this.binary === 0) return '(nothing)';
    return `${quote(this.text)}${this.binary > 0 ? ` and ${this.binary} bytes of SSH packets` : ''}`;
  }
}
