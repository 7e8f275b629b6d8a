/** Regex safety checks shared by runbook validation (regexes in steps) and CEL (`matches` patterns). */

/**
 * Why a regex may take exponential time (catastrophic backtracking), or undefined: a group that
 * holds an unbounded quantifier (`+`, `*`, `{n,}`) and is itself repeated without bound, as in
 * `(a+)+`, `(\\w+\\s?)*` or `(?:x*y?)+`. Found by one pass over the source (escapes and character
 * classes skipped); bounded repeats (`(\\d+\\.){3}`) and optional groups (`(...)?`) are fine.
 */
export function nestedQuantifier(source: string): string | undefined {
  /** Per open group: its start, and whether it holds an unbounded quantifier. */
  const groups: { start: number; unbounded: boolean }[] = [{ start: 0, unbounded: false }];
  const unboundedAt = (i: number): number => {
    const c = source[i];
    if (c === '*' || c === '+') return 1;
    if (c === '{') {
      const m = /^\{\d*,\}/.exec(source.slice(i, i + 12));
      if (m) return m[0].length;
    }
    return 0;
  };
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      i++;
      if (unboundedAt(i + 1)) groups[groups.length - 1]!.unbounded = true;
      continue;
    }
    if (c === '[') {
      for (i++; i < source.length && source[i] !== ']'; i++) if (source[i] === '\\') i++;
      if (unboundedAt(i + 1)) groups[groups.length - 1]!.unbounded = true;
      continue;
    }
    if (c === '(') {
      groups.push({ start: i, unbounded: false });
      continue;
    }
    if (c === ')' && groups.length > 1) {
      const g = groups.pop()!;
      const outer = unboundedAt(i + 1);
      if (outer && g.unbounded)
        return `the group at offset ${g.start} (${source.slice(g.start, i + 1 + outer)}) repeats a repeat: on a long line that does not match, it can take exponential time`;
      if (g.unbounded || outer) groups[groups.length - 1]!.unbounded = true;
      continue;
    }
    if (unboundedAt(i)) groups[groups.length - 1]!.unbounded = true;
  }
  return undefined;
}
