/**
 * Declared types of the names visible to expressions and templates.
 * The compiler builds NameDecls from vars, captures, `set`, loop variables and `host`;
 * ExprEnv (env.ts) turns them into CEL declarations so expressions are type-checked at validate time.
 */
import type { CompiledExpr, ScalarSpec } from './types.js';

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

/** A compiled CEL expression with what validation knows of its result. */
export interface CompiledCel extends CompiledExpr {
  /** CEL type of the result, e.g. 'bool', 'int', 'list<string>', 'dyn'. */
  readonly type: string;
  /**
   * Declared type of the result: exact for a bare name or a record field chain (an ipv4 stays ipv4),
   * else derived from the CEL type (ipv4/enum become string). For `set` and `for_each` items.
   */
  readonly declType: DeclType;
  /** Scalar spec of the value when the expression is a name path (`peer`, `vars.peer`, `events[0].peer`) declared scalar. */
  readonly scalar?: ScalarSpec;
  /** Refs that are secret. */
  readonly secretRefs: readonly string[];
}
