/** Helpers over command output text: normalisation, lines, and regexes as captures and matchers use them. */
import { RunbookError } from '../errors.js';

/** CRLF and lone CR line ends become LF, so `$` with the 'm' flag ends a line. */
export function normalizeOutput(output: string): string {
  return output.replace(/\r\n?/g, '\n');
}

export interface Lines {
  text: string[];
  /** Indexes of the lines that the span [offset, offset+length) touches (at least one). */
  indexesOf(offset: number, length: number): number[];
}

export function linesOf(text: string): Lines {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  const lineAt = (offset: number): number => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  return {
    text: text.split('\n'),
    indexesOf(offset, length) {
      const first = lineAt(offset);
      const last = length > 0 ? lineAt(offset + length - 1) : first;
      return Array.from({ length: last - first + 1 }, (_, i) => first + i);
    },
  };
}

/** The regex with 'm' added to the runbook's flags (and 'g' when `global`). */
export function compileRegex(source: string, flags: string, opts: { global: boolean }, what: string): RegExp {
  const set = new Set([...flags.replace(/[gy]/g, ''), 'm', ...(opts.global ? ['g'] : [])]);
  try {
    return new RegExp(source, [...set].join(''));
  } catch (err) {
    throw new RunbookError('E_STEP_FAILED', `${what}: invalid regex /${source}/: ${(err as Error).message}`, {
      hint: 'fix the regex; runbook validate reports it with its position',
    });
  }
}
