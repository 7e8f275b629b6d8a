/**
 * `{{ expr }}` templates: commands and messages with CEL parts. Rendering for a device is the last
 * gate before text reaches a CLI: every part must be a scalar that still satisfies its declared
 * type, and no newline or control character can get through.
 */
import { RunbookError, ValidationError, formatPos } from '../errors.js';
import type { Diagnostic, SourcePos } from '../errors.js';
import type { CompiledCel } from './decls.js';
import type { Scope, Template, Value, RenderOptions } from './types.js';
import { gateProblem } from '../platforms/gates.js';
import { CONTROL_CHARS, checkScalar, formatValue, quoteForMessage } from './values.js';

/** What replaces a secret-derived part in masked renders. */
import { MASK } from '../redact.js';

type Part = { kind: 'text'; text: string } | { kind: 'expr'; raw: string; expr: CompiledCel; pos: SourcePos };

/** A piece of a template source: literal text, or a `{{ }}` part with its offsets. */
export type RawPart =
  | { kind: 'text'; text: string }
  /** raw: `{{ x }}` as written; start: offset of `{{`; inner: the trimmed expression; innerStart: its offset. */
  | { kind: 'expr'; raw: string; start: number; inner: string; innerStart: number };

/** Split a template source into parts; `}}` inside a quoted string does not close a part. */
export function splitTemplate(source: string): RawPart[] | { error: string; offset: number } {
  const out: RawPart[] = [];
  let i = 0;
  let textStart = 0;
  while (i < source.length) {
    const open = source.indexOf('{{', i);
    if (open < 0) break;
    let j = open + 2;
    let quote: string | undefined;
    let close = -1;
    while (j < source.length) {
      const c = source[j]!;
      if (quote) {
        if (c === '\\') j++;
        else if (c === quote) quote = undefined;
      } else if (c === '"' || c === "'") {
        quote = c;
      } else if (c === '}' && source[j + 1] === '}') {
        close = j;
        break;
      }
      j++;
    }
    if (close < 0) return { error: "'{{' without a closing '}}'", offset: open };
    if (open > textStart) out.push({ kind: 'text', text: source.slice(textStart, open) });
    const inner = source.slice(open + 2, close);
    const lead = inner.length - inner.trimStart().length;
    if (inner.trim() === '') return { error: "empty '{{ }}'", offset: open };
    out.push({
      kind: 'expr',
      raw: source.slice(open, close + 2),
      start: open,
      inner: inner.trim(),
      innerStart: open + 2 + lead,
    });
    i = textStart = close + 2;
  }
  if (textStart < source.length) out.push({ kind: 'text', text: source.slice(textStart) });
  return out;
}

function partPos(pos: SourcePos, source: string, offset: number): SourcePos {
  return source.includes('\n') ? pos : { ...pos, col: pos.col + offset };
}

/** Build a Template; `compile` compiles one part's expression (throws ValidationError). */
export function buildTemplate(
  source: string,
  pos: SourcePos,
  compile: (expr: string, pos: SourcePos) => CompiledCel,
): Template {
  const split = splitTemplate(source);
  if (!Array.isArray(split)) {
    const d: Diagnostic = {
      pos: partPos(pos, source, split.offset),
      message: `template error: ${split.error} in ${quoteForMessage(source)}`,
      hint: 'write {{ name }} or {{ expression }}; a literal {{ is not supported',
    };
    throw new ValidationError([d]);
  }
  const diagnostics: Diagnostic[] = [];
  const parts: Part[] = [];
  for (const p of split) {
    if (p.kind === 'text') {
      parts.push(p);
      continue;
    }
    try {
      parts.push({
        kind: 'expr',
        raw: p.raw,
        expr: compile(p.inner, partPos(pos, source, p.innerStart)),
        pos: partPos(pos, source, p.start),
      });
    } catch (err) {
      if (err instanceof ValidationError) diagnostics.push(...err.diagnostics);
      else throw err;
    }
  }
  if (diagnostics.length > 0) throw new ValidationError(diagnostics);
  const exprs = parts.filter((p): p is Extract<Part, { kind: 'expr' }> => p.kind === 'expr');
  const refs = [...new Set(exprs.flatMap((p) => p.expr.refs))];

  const renderPart = (
    p: Extract<Part, { kind: 'expr' }>,
    scope: Scope,
    opts: RenderOptions = {},
    atWordStart = false,
  ): string => {
    const multiline = opts.multiline ?? false;
    const value = p.expr.evaluate(scope);
    const secret = p.expr.secretRefs.length > 0;
    const refuse = (why: string, hint: string): never => {
      throw new RunbookError(
        'E_TEMPLATE',
        `${formatPos(p.pos)}: template part ${p.raw} ${why}; nothing was sent`,
        { hint },
      );
    };
    const shown = secret ? '(secret value withheld)' : quoteForMessage(value);
    if (value === null)
      refuse(
        'is null',
        'make sure the value exists (has(...)) before this step runs, or guard the step with when:',
      );
    if (typeof value === 'object') {
      refuse(
        `is a ${Array.isArray(value) ? 'list' : 'map'}, not a single value: ${shown}`,
        'pick one item, e.g. {{ peers[0] }}, or iterate with for_each',
      );
    }
    if (typeof value === 'number') refuse(`is a fractional number ${shown}`, 'convert it with int(...)');
    if (p.expr.scalar) {
      try {
        checkScalar(p.expr.scalar, value, 'value');
      } catch (err) {
        if (!(err instanceof RunbookError)) throw err;
        const why = err.message.replace(/^value: /, '');
        refuse(
          `is not a valid ${p.expr.scalar.type}: ${secret ? why.replace(quoteForMessage(value), '(secret value)') : why}`,
          err.hint ?? 'fix the value',
        );
      }
    }
    const text = String(value);
    if (CONTROL_CHARS.test(multiline ? text.replace(/\n/g, '') : text)) {
      refuse(
        `contains a newline or control character: ${shown}`,
        'the value must be a single line of printable text; check where it came from (--var or a capture)',
      );
    }
    if (!multiline) {
      // a leading `-` only matters where the value starts a word (an option); `--x={{ v }}` is fine
      const gates = atWordStart ? opts : { ...opts, refuseLeadingDash: false };
      const scalar = p.expr.scalar;
      const problem = gateProblem(text, gates, {
        ...(scalar?.maxLength !== undefined ? { maxLength: scalar.maxLength } : {}),
        ...(scalar?.allowLeadingDash ? { allowLeadingDash: true } : {}),
      });
      if (problem) refuse(`${problem.why}: ${shown}`, problem.hint);
    }
    return text;
  };

  const template: Template = {
    source,
    pos,
    refs,
    isStatic: exprs.length === 0,
    render(scope: Scope, opts?: RenderOptions): string {
      let out = '';
      for (const p of parts)
        out += p.kind === 'text' ? p.text : renderPart(p, scope, opts, /(^|\s)$/.test(out));
      return out;
    },
    renderMasked(scope: Scope): string {
      return parts
        .map((p) => (p.kind === 'text' ? p.text : p.expr.secretRefs.length > 0 ? MASK : renderPart(p, scope)))
        .join('');
    },
    renderPlaceholders(known: Scope): string {
      return parts
        .map((p) => {
          if (p.kind === 'text') return p.text;
          const placeholder = `<${p.expr.source}>`;
          if (p.expr.secretRefs.length > 0 || !p.expr.refs.every((r) => known[r] !== undefined))
            return placeholder;
          try {
            return formatValue(p.expr.evaluate(known) as Value);
          } catch {
            return placeholder;
          }
        })
        .join('');
    },
  };
  return Object.freeze(template);
}
