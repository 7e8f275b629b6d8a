/**
 * Secret redaction for everything the executor hands out (events, records, approval requests):
 * every occurrence of a secret variable's value, or of a connection secret (SSH password, key
 * passphrase, an answer typed at a prompt, an enable secret) in any string becomes `********`, so a
 * device that echoes one and a capture that picks it up still record only the mask; a value bound
 * to a secret name is masked whatever its type.
 */
import type { Value } from '../expr/types.js';
import type { VarDecl } from '../runbook/model.js';
import { MASK, orderSecrets } from '../redact.js';

export interface Redactor {
  /** Names of secret vars. */
  readonly names: ReadonlySet<string>;
  text(s: string): string;
  /** The value with secret text masked in every string: a copy where anything was masked, else the value itself. */
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

/**
 * `extra`: more secret text (passwords, enable secrets, decrypted vault values, answers typed at a
 * prompt) to mask wherever it appears; each list is read live (the transport adds a password typed
 * at a prompt while it connects).
 */
export function makeRedactor(
  decls: readonly VarDecl[],
  vars: Record<string, Value>,
  ...extra: (readonly string[])[]
): Redactor {
  const names = new Set(decls.filter((d) => d.secret).map((d) => d.name));
  const fromVars = [...names].flatMap((n) => secretStrings(vars[n]));
  let secrets: string[] = [];
  let seenExtra = -1;
  const list = (): string[] => {
    const n = extra.reduce((k, l) => k + l.length, 0);
    if (n !== seenExtra) {
      seenExtra = n;
      secrets = orderSecrets([...fromVars, ...extra.flat()]);
    }
    return secrets;
  };
  const text = (s: string): string => {
    let out = s;
    for (const secret of list()) if (out.includes(secret)) out = out.split(secret).join(MASK);
    return out;
  };
  // copy on write: a value with no secret text in it comes back as it is (most events, every output)
  const deep = (v: unknown): unknown => {
    if (typeof v === 'string') return text(v);
    if (Array.isArray(v)) {
      let out: unknown[] | undefined;
      for (let i = 0; i < v.length; i++) {
        const x = deep(v[i]);
        if (x !== v[i]) (out ??= v.slice())[i] = x;
      }
      return out ?? v;
    }
    if (v !== null && typeof v === 'object') {
      let out: Record<string, unknown> | undefined;
      for (const [k, x] of Object.entries(v)) {
        const y = deep(x);
        if (y !== x) (out ??= { ...v })[k] = y;
      }
      return out ?? v;
    }
    return v;
  };
  const bindings = (map: Record<string, Value>): Record<string, Value> => {
    if (names.size === 0 && list().length === 0) return map;
    const out: Record<string, Value> = {};
    for (const [k, x] of Object.entries(map)) out[k] = names.has(k) ? MASK : (deep(x) as Value);
    return out;
  };
  return { names, text, deep: <T>(v: T) => (list().length === 0 ? v : (deep(v) as T)), bindings };
}
