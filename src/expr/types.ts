/**
 * Runtime values and the contracts of compiled expressions and templates.
 * Implementation: src/expr (CEL via @marcbachmann/cel-js). CEL integers are bigint.
 */
import type { SourcePos } from '../errors.js';
import type { ValueGates } from '../platforms/gates.js';

/** A value visible to expressions: CEL-compatible (int is bigint; ipv4/ipv6 are validated strings). */
export type Value = string | bigint | number | boolean | null | Value[] | { [key: string]: Value };

/**
 * Names visible to expressions and templates, by name.
 * Runbook vars are visible directly (`peer`) and in the `vars` map (`has(vars.peer)` for optional ones);
 * captures, `set` results and `for_each` loop variables are visible directly; `host` is
 * `{name, address, port, platform}`; inside `expect.expression` and `retry.until`, `output` is the
 * step's command output (string), `exit_code` its exit status (int, or -1 for shell sessions) and
 * `attempt` the number of the try (int, 1 for the first).
 */
export type Scope = Readonly<Record<string, Value>>;

/** A CEL expression compiled (parsed and type-checked) at validate time. */
export interface CompiledExpr {
  readonly source: string;
  readonly pos: SourcePos;
  /** Names the expression reads (top-level identifiers). */
  readonly refs: readonly string[];
  /** Evaluate against a scope; throws RunbookError E_EXPR with the position on failure. */
  evaluate(scope: Scope): Value;
}

/**
 * Value gates of the platform(s) (src/platforms/gates.ts): `unsafe` characters (the profiles'
 * `unsafeValue`), ASCII-only, leading dash. A value failing one is refused (E_TEMPLATE) before
 * anything is sent; the length limit and the control/bidi ban apply to every command render.
 */
export interface RenderOptions extends ValueGates {
  /** For messages shown to people (never commands): values may contain newlines. Default false. */
  multiline?: boolean;
}

/** A command or message with `{{ expr }}` parts, compiled at validate time. */
export interface Template {
  readonly source: string;
  readonly pos: SourcePos;
  /** Names the template's expressions read. */
  readonly refs: readonly string[];
  /** True when the template has no `{{ }}` parts. */
  readonly isStatic: boolean;
  /**
   * Render for sending to a device: every part must evaluate to a scalar that satisfies its declared
   * type; a newline or control character anywhere is refused (RunbookError E_TEMPLATE) before
   * anything is sent.
   */
  render(scope: Scope, opts?: RenderOptions): string;
  /**
   * Like `render` (same checks), but parts that read a secret name become `********`: the form
   * journals, transcripts, reports and events show.
   */
  renderMasked(scope: Scope): string;
  /** Render for a plan: parts whose names are not in `known` become `<expr>` placeholders. */
  renderPlaceholders(known: Scope): string;
}

/** Scalar types a variable, a capture group or a list item can have. */
export type ScalarType = 'string' | 'int' | 'bool' | 'ipv4' | 'ipv6' | 'enum';
export type VarType = ScalarType | 'list';

export interface ScalarSpec {
  type: ScalarType;
  /** For string: an anchored-by-us regular expression the value must match entirely. */
  pattern?: string;
  /** For enum: allowed values. */
  values?: string[];
  /** Longest value put into a command (default DEFAULT_MAX_LENGTH, 256). */
  maxLength?: number;
  /** A value may start with `-` where the platform refuses that (an option is meant). */
  allowLeadingDash?: boolean;
}

export interface VarDecl {
  name: string;
  type: VarType;
  description?: string;
  required: boolean;
  /** Already checked against the type. */
  default?: Value;
  pattern?: string;
  values?: string[];
  /** `max_length`: longest value put into a command (default 256). */
  maxLength?: number;
  /** `allow_leading_dash`: the value may start with `-` (an option is meant). */
  allowLeadingDash?: boolean;
  /** For list: the type of each item. */
  items?: ScalarSpec;
  /** Never written to output, journals or transcripts. */
  secret: boolean;
  pos: SourcePos;
}
