/**
 * Secret redaction for everything the executor hands out (events, records, approval requests):
 * every occurrence of a secret variable's value in any string becomes `********`, and a value bound
 * to a secret name is masked whatever its type.
 */
import type { Value } from '../expr/types.js';
import type { VarDecl } from '../runbook/model.js';
import { MASK, orderSecrets } from '../redact.js';

export interface Redactor {
  /** Names of secret vars. */
  readonly names: ReadonlySet<string>;
  text(s: string): string;
  /** Deep copy with secret text masked in every string. */
  deep<T>(v: T): T;
  /** A name -> value map (scope, captures): values of secret names masked, secret text masked. */
  bindings(map: Record<string, Value>): Record<string, Value>;
}

function secretStrings(v: Value | undefined): string[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v.flatMap(secretStrings);
  if (typeof v === 'object') return Object.values(v).flatMap(secretStrings);
  return [String(v)];
}

/** `extra`: more secret text (passwords, enable secrets, decrypted vault values) to mask wherever it appears. */
export function makeRedactor(
  decls: readonly VarDecl[],
  vars: Record<string, Value>,
  extra: readonly string[] = [],
): Redactor {
  const names = new Set(decls.filter((d) => d.secret).map((d) => d.name));
  const secrets = orderSecrets([...[...names].flatMap((n) => secretStrings(vars[n])), ...extra]);
  const text = (s: string): string => {
    let out = s;
    for (const secret of secrets) out = out.split(secret).join(MASK);
    return out;
  };
  const deep = (v: unknown): unknown => {
    if (typeof v === 'string') return secrets.length ? text(v) : v;
    if (Array.isArray(v)) return v.map(deep);
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = deep(x);
      return out;
    }
    return v;
  };
  const bindings = (map: Record<string, Value>): Record<string, Value> => {
    if (names.size === 0) return map;
    const out: Record<string, Value> = {};
    for (const [k, x] of Object.entries(map)) out[k] = names.has(k) ? MASK : (deep(x) as Value);
    return out;
  };
  return { names, text, deep: <T>(v: T) => (secrets.length === 0 ? v : (deep(v) as T)), bindings };
}
