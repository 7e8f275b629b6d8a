/**
 * Typed values: checking and converting variables, defaults and captured text to their declared
 * scalar types, and formatting values for messages. Every check here is what stands between
 * untrusted text (`--var`, device output) and a command line.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { parse as parseYaml } from 'yaml';
import { RunbookError } from '../errors.js';
import { gateProblem, type ValueGates } from '../platforms/gates.js';
import type { ScalarSpec, VarDecl } from './types.js';
import type { DeclType, NameDecl } from './decls.js';
import type { Value } from './types.js';

/** Control characters (C0, DEL) and newlines: never allowed in a typed string or a rendered command. */
export const CONTROL_CHARS = /[\x00-\x1f\x7f]/;

const INT_TEXT = /^[+-]?\d+$/;
const BOOL_TEXT: Record<string, boolean> = { true: true, false: false, yes: true, no: false };

/** The value quoted for a message, with control characters made visible. */
export function quoteForMessage(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value).replace(/^"|"$/g, "'");
  if (typeof value === 'bigint') return value.toString();
  try {
    return (
      JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? String(value)
    );
  } catch {
    return String(value);
  }
}

function invalid(what: string, message: string, hint: string): never {
  throw new RunbookError('E_VAR_INVALID', `${what}: ${message}`, { hint });
}

/** A `pattern` compiled to match a whole value. Throws E_VAR_INVALID when the pattern is not a valid regex. */
export function wholePattern(pattern: string): RegExp {
  try {
    return new RegExp(`^(?:${pattern})$`);
  } catch (err) {
    throw new RunbookError('E_VAR_INVALID', `invalid pattern /${pattern}/: ${(err as Error).message}`, {
      hint: 'write a JavaScript regular expression; it must match the whole value',
    });
  }
}

/**
 * Check/convert a value to a scalar type: ints become bigint (accept number/bigint/decimal string),
 * bools accept true/false/yes/no strings, ipv4/ipv6 are validated with node:net (no leading zeros:
 * '010.1.1.1' is refused), enum must be one of `values`, string must match `pattern` entirely if
 * given; no string ever contains a control character or newline.
 * Throws RunbookError('E_VAR_INVALID') whose message starts with `what`.
 */
export function checkScalar(spec: ScalarSpec, value: unknown, what: string): Value {
  const shown = quoteForMessage(value);
  switch (spec.type) {
    case 'int': {
      if (typeof value === 'bigint') return value;
      if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
      if (typeof value === 'string' && INT_TEXT.test(value.trim())) return BigInt(value.trim());
      return invalid(what, `${shown} is not an integer`, 'give a whole number in decimal, e.g. 42');
    }
    case 'bool': {
      if (typeof value === 'boolean') return value;
      const b = typeof value === 'string' ? BOOL_TEXT[value.trim().toLowerCase()] : undefined;
      if (b !== undefined) return b;
      return invalid(what, `${shown} is not a boolean`, 'use true or false (yes/no are accepted)');
    }
    case 'ipv4':
      if (typeof value === 'string' && isIPv4(value)) return value;
      return invalid(
        what,
        `${shown} is not an IPv4 address`,
        'write four decimal octets without leading zeros, e.g. 10.20.20.1',
      );
    case 'ipv6':
      if (typeof value === 'string' && isIPv6(value)) return value;
      return invalid(what, `${shown} is not an IPv6 address`, 'write an IPv6 address, e.g. 2001:db8::1');
    case 'enum': {
      const values = spec.values ?? [];
      if (typeof value === 'string' && values.includes(value)) return value;
      return invalid(what, `${shown} is not one of ${values.join(', ')}`, `use one of: ${values.join(', ')}`);
    }
    case 'string': {
      if (typeof value !== 'string') {
        return invalid(what, `${shown} is not a string`, 'quote the value in YAML, e.g. "8080"');
      }
      if (CONTROL_CHARS.test(value)) {
        return invalid(
          what,
          `${shown} contains a newline or control character`,
          'give a single line of printable text',
        );
      }
      if (spec.pattern !== undefined && !wholePattern(spec.pattern).test(value)) {
        return invalid(
          what,
          `${shown} does not match the pattern /${spec.pattern}/`,
          `give a value that matches /${spec.pattern}/ entirely`,
        );
      }
      return value;
    }
  }
}

/** The scalar spec of a scalar VarDecl, or of a list's items. */
export function scalarSpecOf(decl: VarDecl): ScalarSpec {
  if (decl.type === 'list') return decl.items ?? { type: 'string' };
  const spec: ScalarSpec = { type: decl.type };
  if (decl.pattern !== undefined) spec.pattern = decl.pattern;
  if (decl.values !== undefined) spec.values = decl.values;
  if (decl.maxLength !== undefined) spec.maxLength = decl.maxLength;
  if (decl.allowLeadingDash) spec.allowLeadingDash = true;
  return spec;
}

/** Declared type of a VarDecl for the env. */
export function varDeclType(decl: VarDecl): DeclType {
  const spec = scalarSpecOf(decl);
  return decl.type === 'list' ? { kind: 'list', items: { kind: 'scalar', spec } } : { kind: 'scalar', spec };
}

/**
 * NameDecls of the runbook vars: each var by its name, plus `vars`, a record of all of them whose
 * absent fields are the optional vars without a value (`has(vars.peer)`). Reading `vars.nope` is a
 * validate-time error.
 */
export function runbookVarDecls(vars: VarDecl[]): NameDecl[] {
  const fields: Record<string, DeclType> = {};
  const decls: NameDecl[] = [];
  for (const v of vars) {
    fields[v.name] = varDeclType(v);
    decls.push({ name: v.name, type: fields[v.name]!, ...(v.secret ? { secret: true } : {}) });
  }
  decls.push({
    name: 'vars',
    type: { kind: 'map', fields },
    ...(vars.some((v) => v.secret) ? { secret: true } : {}),
  });
  return decls;
}

/** Scope entries for var values: each present var by name, plus `vars` holding the same values. */
export function varsScope(values: Readonly<Record<string, Value>>): Record<string, Value> {
  const present: Record<string, Value> = {};
  for (const [k, v] of Object.entries(values)) if (v !== undefined && v !== null) present[k] = v;
  return { ...present, vars: { ...present } };
}

/**
 * The value gates (src/platforms/gates.ts) on a checked scalar: the length limit and the
 * control/bidi ban always, and the platform's `gates` (unsafe characters, ASCII-only, leading dash).
 */
function gated(spec: ScalarSpec, value: Value, what: string, gates: ValueGates): Value {
  const allow = {
    ...(spec.maxLength !== undefined ? { maxLength: spec.maxLength } : {}),
    ...(spec.allowLeadingDash ? { allowLeadingDash: true } : {}),
  };
  const problem = gateProblem(String(value), gates, allow);
  if (problem) return invalid(what, `${quoteForMessage(value)} ${problem.why}`, problem.hint);
  return value;
}

/**
 * Check a default or any JS value against a VarDecl (list items checked), then the value gates of
 * the runbook's platform (`gates`; the universal ones when not given).
 */
export function checkVarValue(decl: VarDecl, value: unknown, gates: ValueGates = {}): Value {
  const what = `variable '${decl.name}'`;
  const spec = scalarSpecOf(decl);
  if (decl.type !== 'list') return gated(spec, checkScalar(spec, value, what), what, gates);
  if (!Array.isArray(value)) {
    return invalid(what, `${quoteForMessage(value)} is not a list`, 'give a list, e.g. [a, b]');
  }
  return value.map((item, i) => {
    const w = `${what} item ${i + 1}`;
    return gated(spec, checkScalar(spec, item, w), w, gates);
  });
}

/**
 * Parse a `--var name=value` string for a declared var. list: comma-separated (`a,b`), or a YAML/JSON
 * flow list (`[a, b]`); an empty string is an empty list. bool: true/false/yes/no. Then the value
 * gates (`gates`: the runbook platform's), before anything connects.
 */
export function parseVarValue(decl: VarDecl, raw: string, gates: ValueGates = {}): Value {
  const what = `--var ${decl.name}`;
  if (decl.type !== 'list')
    return gated(scalarSpecOf(decl), checkScalar(scalarSpecOf(decl), raw, what), what, gates);
  const text = raw.trim();
  let items: unknown[];
  if (text.startsWith('[')) {
    let parsed: unknown;
    try {
      // failsafe schema: every scalar stays a string; checkScalar converts ints and bools.
      parsed = parseYaml(text, { schema: 'failsafe' });
    } catch (err) {
      return invalid(
        what,
        `${quoteForMessage(raw)} is not a valid list: ${(err as Error).message.split('\n')[0]}`,
        'write a list as a,b or [a, b]',
      );
    }
    if (!Array.isArray(parsed))
      return invalid(what, `${quoteForMessage(raw)} is not a valid list`, 'write a list as a,b or [a, b]');
    items = parsed;
  } else {
    items = text === '' ? [] : text.split(',').map((s) => s.trim());
  }
  const spec = scalarSpecOf(decl);
  return items.map((item, i) => {
    if (item === '' || item === null)
      return invalid(what, `item ${i + 1} is empty`, 'remove the extra comma');
    return gated(spec, checkScalar(spec, item, `${what} item ${i + 1}`), `${what} item ${i + 1}`, gates);
  });
}

/** JSON-safe form of a Value: bigint -> number when safe, else its decimal string. */
export function toJson(value: Value): unknown {
  if (typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (Array.isArray(value)) return value.map(toJson);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toJson(v);
    return out;
  }
  return value;
}

/** Format a value for messages and placeholders: strings raw, lists as [a, b], maps as {k: v}. */
export function formatValue(value: Value): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `[${value.map(formatValue).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([k, v]) => `${k}: ${formatValue(v)}`)
      .join(', ')}}`;
  }
  return String(value);
}
