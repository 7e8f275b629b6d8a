/**
 * Declared types of the names visible to expressions and templates.
 * The compiler builds NameDecls from vars, captures, `set`, loop variables and `host`;
 * ExprEnv (env.ts) turns them into CEL declarations so expressions are type-checked at validate time.
 */
import type { ScalarSpec } from '../runbook/model.js';

/** Declared type of a name visible to expressions. */
export type DeclType =
  /** string/int/bool/ipv4/ipv6/enum; ipv4, ipv6 and enum are CEL strings, int is a CEL int (bigint). */
  | { kind: 'scalar'; spec: ScalarSpec }
  /** e.g. a list var, or a capture in `all` mode (list of map). */
  | { kind: 'list'; items: DeclType }
  /**
   * A record with known fields, e.g. a capture in first/last mode: {group: value}.
   * Reading a field that is not declared is a validate-time error; a field whose value is null or
   * missing (an optional group that did not match) reads as absent: test it with `has(x.field)`.
   * `nullable`: the whole value may be null (an optional capture that did not match); such a name is
   * declared `dyn` in CEL so `x == null` type-checks, at the cost of unchecked field names.
   */
  | { kind: 'map'; fields: Record<string, DeclType>; nullable?: boolean }
  | { kind: 'dyn' };

export interface NameDecl {
  name: string;
  type: DeclType;
  /** The value is never shown: placeholders, masked renders and error messages withhold it. */
  secret?: boolean;
}

/** A short human form of a declared type, e.g. `list<{peer: ipv4, iface: string}>`. */
export function describeDeclType(type: DeclType): string {
  switch (type.kind) {
    case 'scalar':
      return type.spec.type;
    case 'list':
      return `list<${describeDeclType(type.items)}>`;
    case 'map': {
      const body = Object.entries(type.fields)
        .map(([k, t]) => `${k}: ${describeDeclType(t)}`)
        .join(', ');
      return `{${body}}${type.nullable ? ' or null' : ''}`;
    }
    case 'dyn':
      return 'dyn';
  }
}
