/** IOS output filters after a pipe: `| include R`, `| exclude R`, `| begin R` (keywords abbreviable). */

export type Filter = (lines: string[]) => string[];

/**
 * Parse the text after the `|`. Returns the filter, or the offset (within `text`) of the token to
 * mark as invalid.
 */
export function parseFilter(text: string): Filter | number {
  const m = /^(\s*)(\S*)(\s*)(.*)$/.exec(text)!;
  const [, lead, word, , rest] = m as unknown as [string, string, string, string, string];
  const kind = ['include', 'exclude', 'begin'].filter(
    (k) => word.length > 0 && k.startsWith(word.toLowerCase()),
  );
  if (kind.length !== 1) return lead.length;
  const pattern = rest.trim();
  if (pattern === '') return text.length;
  let re: RegExp;
  try {
    re = new RegExp(pattern);
  } catch {
    return lead.length + word.length + 1;
  }
  switch (kind[0]) {
    case 'include':
      return (lines) => lines.filter((l) => re.test(l));
    case 'exclude':
      return (lines) => lines.filter((l) => !re.test(l));
    default:
      return (lines) => {
        const i = lines.findIndex((l) => re.test(l));
        return i < 0 ? [] : lines.slice(i);
      };
  }
}

/** Apply a filter to a command's output text (lines kept, trailing newline kept). */
export function filterOutput(output: string, filter: Filter): string {
  if (output === '') return output;
  const lines = filter(output.replace(/\n$/, '').split('\n'));
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
