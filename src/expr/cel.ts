/**
 * The CEL binding: declarations -> a cel-js Environment, runtime values in and out, AST helpers.
 *
 * Why CEL via @marcbachmann/cel-js (8.x): CEL is a small, side-effect-free, non-Turing-complete
 * language with a real spec (Kubernetes, Envoy and Google IAM use it). This implementation has zero
 * dependencies, is ESM, and its Environment type-checks an expression against declared variables
 * and record types at compile time, so a typo (`peerr`), an unknown record field (`decaps.nn`) or a
 * type error (`peer + 1` with an ipv4 peer) is a validation error at file:line:col, not a surprise
 * at run time. It is also fast (sub-microsecond evaluation). The other candidate, @bufbuild/cel, is
 * 0.x and pulls in the protobuf runtime.
 *
 * Mapping of declared types (decls.ts) to CEL:
 * - scalar string/ipv4/ipv6/enum -> `string`, int -> `int` (bigint), bool -> `bool`;
 * - list -> `list<T>`;
 * - map with fields -> a record type named after its shape, e.g. `{peer: ipv4; iface: string}`, whose
 *   fields are checked: reading an undeclared field is a type error. Values are plain objects
 *   converted to instances of a per-type class on the way in; null or missing fields are absent
 *   (`has(x.f)` is false). `has(x.f)` of an undeclared field is not refused by cel-js itself;
 *   `undeclaredHasFields` below catches it.
 * - a nullable map (optional capture) and dyn -> `dyn`: fields are not checked at validate time.
 */
import { Environment, serialize } from '@marcbachmann/cel-js';
import type { ASTNode } from '@marcbachmann/cel-js';
import { RunbookError } from '../errors.js';
import type { Value } from './types.js';
import type { DeclType, NameDecl } from './decls.js';
import { meterEnvironment, re2 } from './cost.js';
import { registerListFunctions } from './functions.js';

/**
 * Limits of one expression: its size when parsed (cel-js refuses more at validate time), and the
 * size of a result (text characters plus list and map entries), so an expression cannot build a
 * value that fills memory or the journal (`output + output + ...`, nested `map` macros).
 */
export const CEL_LIMITS = {
  maxAstNodes: 2_000,
  maxDepth: 32,
  maxListElements: 1_000,
  maxMapEntries: 1_000,
  maxCallArguments: 32,
} as const;
/** Characters of text plus entries in one expression result: 16 Mi. */
export const MAX_RESULT_SIZE = 16 * 1024 * 1024;

/** Words CEL reserves; a variable, capture or loop name cannot be one of them. */
const RESERVED = new Set([
  'true',
  'false',
  'null',
  'in',
  'as',
  'break',
  'const',
  'continue',
  'else',
  'for',
  'function',
  'if',
  'import',
  'let',
  'loop',
  'package',
  'namespace',
  'return',
  'var',
  'void',
  'while',
  '__proto__',
  'prototype',
]);
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Why `name` cannot be declared for expressions, or undefined when it can. */
export function nameProblem(name: string): string | undefined {
  if (!IDENT.test(name))
    return `'${name}' is not a valid name (letters, digits and _; not starting with a digit)`;
  if (RESERVED.has(name)) return `'${name}' is a reserved word in expressions`;
  return undefined;
}

/** A record type registered in one cel-js Environment. */
interface RecordType {
  ctor: new () => object;
  fields: Record<string, DeclType>;
}

/** A cel-js Environment built from NameDecls, with the value conversions it needs. */
export class CelBinding {
  readonly env: Environment;
  readonly decls: ReadonlyMap<string, NameDecl>;
  /** CEL type name -> record type, for field lookups in messages. */
  readonly records = new Map<string, RecordType>();
  private readonly ctors = new Set<Function>();

  constructor(decls: ReadonlyMap<string, NameDecl>) {
    this.decls = decls;
    this.env = new Environment({ limits: CEL_LIMITS });
    registerListFunctions(this.env);
    meterEnvironment(this.env);
    for (const decl of decls.values()) {
      this.env.registerVariable(decl.name, this.celType(decl.type));
    }
  }

  /** The CEL type string of a declared type, registering record types on the way. */
  celType(type: DeclType): string {
    switch (type.kind) {
      case 'scalar':
        return type.spec.type === 'int' ? 'int' : type.spec.type === 'bool' ? 'bool' : 'string';
      case 'list':
        return `list<${this.celType(type.items)}>`;
      case 'dyn':
        return 'dyn';
      case 'map':
        return type.nullable ? 'dyn' : this.registerRecord(type.fields);
    }
  }

  /** Record types by the JSON of their declared fields, so toCel finds the class of a DeclType. */
  private readonly byShape = new Map<string, string>();
  private readonly byFields = new WeakMap<object, string>();

  /**
   * Registers a record type named after its declared shape, e.g. `{peer: ipv4; iface: string}`
   * (cel-js type names cannot hold commas); same-looking shapes that differ (enum values, patterns)
   * get a ` #2` suffix.
   */
  private registerRecord(fields: Record<string, DeclType>): string {
    const cached = this.byFields.get(fields);
    if (cached) return cached;
    const shape = JSON.stringify(fields);
    const known = this.byShape.get(shape);
    if (known) {
      this.byFields.set(fields, known);
      return known;
    }
    const celFields: Record<string, string> = {};
    const shown: string[] = [];
    for (const [k, t] of Object.entries(fields)) {
      celFields[k] = this.celType(t);
      shown.push(`${k}: ${t.kind === 'scalar' ? t.spec.type : celFields[k]}`);
    }
    let name = `{${shown.join('; ')}}`;
    for (let n = 2; this.records.has(name); n++) name = `{${shown.join('; ')}} #${n}`;
    const ctor = class {};
    Object.defineProperty(ctor, 'name', { value: name });
    this.env.registerType(name, { ctor, fields: celFields });
    this.records.set(name, { ctor, fields });
    this.byShape.set(shape, name);
    this.byFields.set(fields, name);
    this.ctors.add(ctor);
    return name;
  }

  /**
   * The evaluation context for a scope: declared names converted to what cel-js expects. `names`
   * (an expression's declared references) limits it to what the expression reads: converting the
   * whole scope (capture tables included) for every evaluation was most of a step's CEL time.
   */
  context(scope: Readonly<Record<string, Value>>, names?: readonly string[]): Record<string, unknown> {
    const ctx: Record<string, unknown> = {};
    for (const name of names ?? Object.keys(scope)) {
      const decl = this.decls.get(name);
      const value = Object.hasOwn(scope, name) ? scope[name] : undefined;
      if (decl && value !== undefined) ctx[name] = this.toCel(decl.type, value);
    }
    // `vars` is always there: when the scope does not carry it, it is made of the scope's own values.
    const vars = this.decls.get('vars');
    if (ctx['vars'] === undefined && vars?.type.kind === 'map' && (!names || names.includes('vars'))) {
      const present: Record<string, Value> = {};
      for (const k of Object.keys(vars.type.fields))
        if (scope[k] !== undefined && scope[k] !== null) present[k] = scope[k]!;
      ctx['vars'] = this.toCel(vars.type, present);
    }
    return ctx;
  }

  private toCel(type: DeclType, value: Value): unknown {
    switch (type.kind) {
      case 'scalar':
        return type.spec.type === 'int' && typeof value === 'number' && Number.isInteger(value)
          ? BigInt(value)
          : value;
      case 'list':
        return Array.isArray(value) ? value.map((v) => this.toCel(type.items, v)) : value;
      case 'dyn':
        return value;
      case 'map': {
        if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
        const out = (type.nullable ? {} : new (this.records.get(this.celType(type))!.ctor)()) as Record<
          string,
          unknown
        >;
        for (const [k, v] of Object.entries(value)) {
          if (v === null || v === undefined) continue;
          const ft = type.fields[k];
          out[k] = ft ? this.toCel(ft, v) : v;
        }
        return out;
      }
    }
  }

  /** The declared type matching a CEL type string of a result (records by name; unknown shapes are dyn). */
  declTypeOfCel(celType: string): DeclType {
    if (celType === 'int' || celType === 'string' || celType === 'bool')
      return { kind: 'scalar', spec: { type: celType } };
    const list = /^list<(.+)>$/.exec(celType);
    if (list) return { kind: 'list', items: this.declTypeOfCel(list[1]!) };
    const rec = this.records.get(celType);
    return rec ? { kind: 'map', fields: rec.fields } : { kind: 'dyn' };
  }

  /**
   * A cel-js result as a plain Value (record instances and Maps become objects). Throws E_EXPR when
   * the result is larger than MAX_RESULT_SIZE.
   */
  fromCel(v: unknown): Value {
    const budget = { left: MAX_RESULT_SIZE };
    return this.convert(v, budget);
  }

  private convert(v: unknown, budget: { left: number }): Value {
    const spend = (n: number): void => {
      budget.left -= n;
      if (budget.left < 0)
        throw new RunbookError(
          'E_EXPR',
          `an expression result is larger than ${MAX_RESULT_SIZE} characters and entries; runbook refuses to keep it`,
          {
            hint: 'select what you need from the output (a capture, `matches`, `size(...)`) instead of copying it whole',
          },
        );
    };
    if (v === null || v === undefined) return null;
    spend(1);
    switch (typeof v) {
      case 'string':
        spend(v.length);
        return v;
      case 'bigint':
      case 'number':
      case 'boolean':
        return v;
      case 'object':
        break;
      default:
        return String(v);
    }
    if (Array.isArray(v)) return v.map((x) => this.convert(x, budget));
    if (v instanceof Map) {
      const out: Record<string, Value> = {};
      for (const [k, x] of v) out[String(k)] = this.convert(x, budget);
      return out;
    }
    if (v instanceof Date) return v.toISOString();
    if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
    const proto = Object.getPrototypeOf(v) as object | null;
    if (proto === Object.prototype || proto === null || this.ctors.has((v as object).constructor)) {
      const out: Record<string, Value> = {};
      for (const [k, x] of Object.entries(v as object)) out[k] = this.convert(x, budget);
      return out;
    }
    // cel-js wrappers: UnsignedInteger {value}, Optional, Type
    if ('value' in (v as object) && typeof (v as { value: unknown }).value !== 'function') {
      const inner = (v as { value: unknown }).value;
      return typeof inner === 'number' ? BigInt(inner) : this.convert(inner, budget);
    }
    return String(v);
  }
}

/** Names bound inside the expression by macros (`events.map(e, ...)`) or `cel.bind(x, ...)`. */
function boundNames(ast: ASTNode, out = new Set<string>()): Set<string> {
  walk(ast, (node) => {
    if (node.op === 'rcall') {
      const [, , args] = node.args;
      const first = args[0];
      if (first && first.op === 'id' && args.length >= 2) out.add(first.args);
    }
  });
  return out;
}

/** Calls `visit` on every node of the AST, parents first. */
export function walk(node: ASTNode, visit: (n: ASTNode) => void): void {
  visit(node);
  const children: ASTNode[] = [];
  const collect = (x: unknown): void => {
    if (Array.isArray(x)) x.forEach(collect);
    else if (x && typeof x === 'object' && 'op' in x) children.push(x as ASTNode);
  };
  if (node.op !== 'value' && node.op !== 'id') collect(node.args);
  for (const c of children) walk(c, visit);
}

/**
 * Top-level identifiers the expression reads that are declared. A macro variable that shadows a
 * declared name counts as a read of it (over-approximation, harmless for placeholders).
 */
export function declaredRefs(ast: ASTNode, declared: (name: string) => boolean): string[] {
  const refs = new Set<string>();
  walk(ast, (node) => {
    if (node.op === 'id' && declared(node.args)) refs.add(node.args);
  });
  return [...refs];
}

/** `has(x.f)` calls whose field is not declared, found by checking the select itself. */
export function undeclaredHasFields(ast: ASTNode, binding: CelBinding): { node: ASTNode; message: string }[] {
  const bound = boundNames(ast);
  const found: { node: ASTNode; message: string }[] = [];
  walk(ast, (node) => {
    if (node.op !== 'call' || node.args[0] !== 'has') return;
    const arg = node.args[1][0];
    if (!arg || arg.op !== '.') return;
    let root: ASTNode = arg;
    while (root.op === '.') root = root.args[0];
    if (root.op !== 'id' || bound.has(root.args) || !binding.decls.has(root.args)) return;
    const res = binding.env.check(serialize(arg));
    if (!res.valid && res.error && res.error.code === 'no_such_key')
      found.push({ node: arg, message: res.error.summary });
  });
  return found;
}

/**
 * The declared DeclType of a name path: a bare name, `.field` of a record, `[i]` of a list
 * (`events[0].peer` is the ipv4 it was declared as). Undefined for any other expression.
 */
export function declTypeOf(ast: ASTNode, decls: ReadonlyMap<string, NameDecl>): DeclType | undefined {
  if (ast.op === 'id') return decls.get(ast.args)?.type;
  if (ast.op === '.') {
    const parent = declTypeOf(ast.args[0], decls);
    if (parent?.kind === 'map') return parent.fields[ast.args[1]];
  }
  if (ast.op === '[]') {
    const parent = declTypeOf(ast.args[0], decls);
    if (parent?.kind === 'list') return parent.items;
  }
  return undefined;
}

/**
 * Literal patterns of `matches()` calls (already renamed by renameMatches: `nodes`) that are not
 * valid RE2 (CEL's regex syntax: no lookarounds or backreferences): refused at validate time.
 */
export function invalidMatchesPatterns(nodes: readonly ASTNode[]): { start: number; message: string }[] {
  const found: { start: number; message: string }[] = [];
  for (const node of nodes) {
    const pattern: ASTNode | undefined =
      node.op === 'rcall' ? node.args[2][0] : node.op === 'call' ? node.args[1][1] : undefined;
    if (!pattern || pattern.op !== 'value' || typeof pattern.args !== 'string') continue;
    try {
      re2(pattern.args);
    } catch (err) {
      found.push({ start: (pattern as { start?: number }).start ?? 0, message: (err as Error).message });
    }
  }
  return found;
}
