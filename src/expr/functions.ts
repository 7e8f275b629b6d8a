/**
 * List functions runbook authors reach for that cel-js lacks, registered on every Environment as
 * methods so they are type-checked at validate time (`['a'].sum()` is a type error):
 * `list<T>.distinct()` (first occurrence kept, in order), `list<int>.sum()`, `list<int|string>.min()`
 * and `.max()` (an empty list is a run-time error naming the function), `list<int|string>.sort()`
 * (ascending, a new list), `list<list<T>>.flatten()` (one level). `join` is cel-js's own.
 */
import type { Environment } from '@marcbachmann/cel-js';

type Scalar = bigint | string;

/** A key equal for CEL-equal values (records by their fields), for distinct(). */
function keyOf(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x)) ?? String(v);
}

function extreme(name: 'min' | 'max') {
  return (xs: Scalar[]): Scalar => {
    if (xs.length === 0)
      throw new Error(`${name}() of an empty list (guard it: size(list) > 0 ? list.${name}() : fallback)`);
    return xs.reduce((a, b) => ((name === 'min' ? b < a : b > a) ? b : a));
  };
}

function sorted(xs: Scalar[]): Scalar[] {
  return [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Registers the runbook list functions on `env`. */
export function registerListFunctions(env: Environment): void {
  env.registerFunction('list<T>.distinct(): list<T>', (xs: unknown[]) => {
    const seen = new Set<string>();
    return xs.filter((x) => {
      const k = keyOf(x);
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  });
  env.registerFunction('list<int>.sum(): int', (xs: bigint[]) => xs.reduce((a, b) => a + b, 0n));
  for (const t of ['int', 'string']) {
    env.registerFunction(`list<${t}>.min(): ${t}`, extreme('min'));
    env.registerFunction(`list<${t}>.max(): ${t}`, extreme('max'));
    env.registerFunction(`list<${t}>.sort(): list<${t}>`, sorted);
  }
  env.registerFunction('list<list<T>>.flatten(): list<T>', (xs: unknown[][]) => xs.flat());
}
