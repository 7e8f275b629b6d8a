/** "Did you mean" suggestions for misspelt names (fields, step ids, variables, flags), and name lists for messages. */

/**
 * The closest candidate to `word` (optimal string alignment distance, ignoring case), or undefined
 * when none is close: at most 1 edit for words of up to 3 letters, 2 up to 6, 3 beyond.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const w = word.toLowerCase();
  const limit = w.length <= 3 ? 1 : w.length <= 6 ? 2 : 3;
  let best: string | undefined;
  let bestDist = Infinity;
  for (const c of candidates) {
    const d = distance(w, c.toLowerCase());
    if (d < bestDist) {
      best = c;
      bestDist = d;
    }
  }
  return bestDist <= limit ? best : undefined;
}

/** A hint sentence: `did you mean 'peer'?`, or undefined. */
export function didYouMean(name: string, candidates: Iterable<string>): string | undefined {
  const c = closest(name, candidates);
  return c === undefined ? undefined : `did you mean '${c}'?`;
}

/** Names for a message, at most `max` of them, sorted: `a, b, c, ...`. */
export function listNames(names: Iterable<string>, max = 12): string {
  const sorted = [...names].sort();
  return sorted.length > max ? `${sorted.slice(0, max).join(', ')}, ...` : sorted.join(', ');
}

/** `'a', 'b' or 'c'` */
export function orList(items: readonly string[], quote = true): string {
  const q = items.map((s) => (quote ? `'${s}'` : s));
  if (q.length <= 1) return q.join('');
  return `${q.slice(0, -1).join(', ')} or ${q[q.length - 1]}`;
}

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions), two rows kept. */
function distance(a: string, b: string): number {
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, prev2[j - 2]! + 1);
      cur.push(v);
    }
    prev2 = prev;
    prev = cur;
  }
  return prev[b.length]!;
}
