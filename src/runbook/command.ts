/**
 * Compile a `run` step: the command template, its read-only/`changes` status, matchers,
 * captures, retry, dialogs. `expect.expression` and `retry.until` see `output`, `exit_code`
 * and this step's own captures; later steps see the captures.
 */
import type { NameDecl } from '../expr/decls.js';
import { splitTemplate } from '../expr/template.js';
import { CONTROL_CHARS } from '../expr/values.js';
import { captureDeclType, namedGroups } from '../match/capture.js';
import { nestedQuantifier } from '../regex.js';
import { classifyCommand } from '../platforms/readonly.js';
import { bindProblem, expr, isRecord, template, type CompileCtx, type Common } from './ctx.js';
import { durationMs } from './duration.js';
import type {
  CaptureMode,
  CaptureSpec,
  CommandStep,
  DialogAnswer,
  Matcher,
  RetrySpec,
  ScalarType,
} from './model.js';
import { RESULT_DECLS } from './scope.js';
import { withCaptureOptions } from './capture-options.js';
import { compileTextfsmCapture } from './textfsm.js';
import type { DocPath } from './source.js';
import { subject } from './where.js';

type Raw = Record<string, unknown>;

/** Regex flags when a capture or regex matcher gives none: `^`/`$` match at each line. */
export const DEFAULT_FLAGS = 'm';
/** Wait between retry attempts when `delay` is not given. */
export const DEFAULT_RETRY_DELAY_MS = 1000;

export function compileCommand(
  ctx: CompileCtx,
  raw: Raw,
  path: DocPath,
  common: Common,
): CommandStep | undefined {
  const { doc } = ctx;
  let ok = true;
  const source = raw.run as string;
  const run = template(ctx, source, [...path, 'run']);
  if (!run) ok = false;

  const verdict = ctx.profile ? classifyCommand(ctx.profile, placeholderCommand(source)) : undefined;
  const readOnly = verdict?.readOnly ?? true;
  let impact = undefined;
  if (typeof raw.changes === 'string') {
    impact = template(ctx, raw.changes, [...path, 'changes']);
    if (!impact) ok = false;
  } else if (raw.changes === undefined && !readOnly && ctx.profile) {
    ok = false;
    ctx.diagnostics.push({
      pos: doc.valuePos([...path, 'run']),
      message: `step '${common.id}' runs '${source}', which is not a read-only command for platform ${ctx.profile.name}; declare its blast radius with 'changes: <impact>' (or 'changes: false' if it changes nothing)`,
      hint: `${verdict && !verdict.readOnly ? `not read-only because ${verdict.reason}; ` : ''}a step with \`changes: <impact>\` is disruptive: it needs approval (--yes) and dry-run never sends it`,
    });
  }
  const disruptive = typeof raw.changes === 'string' || (raw.changes === undefined && !readOnly);

  const captures: CaptureSpec[] = [];
  const captureDecls: NameDecl[] = [];
  if (isRecord(raw.capture)) {
    for (const [name, spec] of Object.entries(raw.capture)) {
      const c = compileCapture(ctx, name, spec as Raw, [...path, 'capture', name], common.id, source);
      if (c) {
        captures.push(c);
        captureDecls.push({ name, type: captureDeclType(c) });
      } else {
        ok = false;
        if (!bindProblem(name)) captureDecls.push({ name, type: { kind: 'dyn' } });
      }
    }
  }
  const local = [...captureDecls, ...RESULT_DECLS];

  let expect: Matcher | undefined;
  if (raw.expect !== undefined) {
    expect = compileMatcher(ctx, raw.expect, [...path, 'expect'], local);
    if (!expect) ok = false;
  }

  let retry: RetrySpec | undefined;
  if (isRecord(raw.retry)) {
    const r = raw.retry;
    retry = {
      times: r.times as number,
      delayMs:
        r.delay === undefined ? DEFAULT_RETRY_DELAY_MS : (durationMs(r.delay) ?? DEFAULT_RETRY_DELAY_MS),
    };
    if (typeof r.until === 'string') {
      const until = expr(ctx, r.until, [...path, 'retry', 'until'], 'bool', local);
      if (until) retry.until = until;
      else ok = false;
    }
  }

  const dialogs = compileDialogs(ctx, raw.dialog, [...path, 'dialog'], common.id);
  if (!dialogs) ok = false;

  if (raw.ok_exit_codes !== undefined && ctx.profile && ctx.profile.session !== 'exec') {
    ok = false;
    ctx.diagnostics.push({
      pos: doc.keyPos([...path, 'ok_exit_codes']),
      message: `'ok_exit_codes' of step '${common.id}' has no effect on platform ${ctx.profile.name}: its commands run in an interactive shell without exit codes`,
      hint: "remove it; match the output with 'expect' instead",
    });
  }

  for (const d of captureDecls) ctx.scope.bind(d);
  if (!ok || !run) return undefined;
  return {
    ...common,
    kind: 'command',
    run,
    disruptive,
    ...(impact ? { impact } : {}),
    ...(expect ? { expect } : {}),
    captures,
    ...(retry ? { retry } : {}),
    dialogs: dialogs ?? [],
    expectDisconnect: raw.expect_disconnect === true,
    okExitCodes: Array.isArray(raw.ok_exit_codes) ? (raw.ok_exit_codes as number[]) : [0],
    ...(raw.max_output !== undefined ? { maxOutputBytes: byteSize(raw.max_output) } : {}),
  };
}

function compileCapture(
  ctx: CompileCtx,
  name: string,
  raw: Raw,
  path: DocPath,
  stepId: string,
  command: string,
): CaptureSpec | undefined {
  const { doc } = ctx;
  const problem = bindProblem(name);
  if (problem) {
    ctx.diagnostics.push({
      pos: doc.keyPos(path),
      message: `capture name in step '${stepId}': ${problem}`,
      hint: 'choose another name',
    });
    return undefined;
  }
  if ((raw.regex === undefined) === (raw.textfsm === undefined)) {
    ctx.diagnostics.push({
      pos: doc.keyPos(path),
      message: `capture '${name}' of step '${stepId}' needs exactly one of 'regex' and 'textfsm'`,
      hint: 'regex: named groups for one-off lines; textfsm: true (or a template file) for tables and records',
    });
    return undefined;
  }
  if (raw.textfsm !== undefined) {
    const spec = compileTextfsmCapture(ctx, name, raw, path, stepId, placeholderCommand(command));
    if (!spec) return undefined;
    const scalars = spec.textfsm!.columns.filter((c) => !c.list).map((c) => c.name);
    return withCaptureOptions(ctx, spec, raw, path, stepId, scalars);
  }
  const regex = raw.regex as string;
  const flags = typeof raw.flags === 'string' ? raw.flags : DEFAULT_FLAGS;
  if (!regexOk(ctx, regex, flags, [...path, 'regex'])) return undefined;
  const groups = namedGroups(regex);
  if (groups.length === 0) {
    ctx.diagnostics.push({
      pos: doc.textPos([...path, 'regex']),
      message: `capture '${name}' of step '${stepId}' has no named groups in its regex`,
      hint: 'name the parts to keep, e.g. `regex: "decaps: (?<n>\\d+)"`, then read them as ' + `${name}.n`,
    });
    return undefined;
  }
  const types = (isRecord(raw.types) ? raw.types : {}) as Record<string, ScalarType>;
  let ok = true;
  for (const group of Object.keys(types)) {
    if (groups.includes(group)) continue;
    ok = false;
    ctx.diagnostics.push({
      pos: doc.keyPos([...path, 'types', group]),
      message: `capture '${name}' of step '${stepId}' gives a type to group '${group}', which its regex does not have (groups: ${groups.join(', ')})`,
      hint: `name a group (?<${group}>...) in the regex, or fix the name in 'types'`,
    });
  }
  const mode = (raw.match as CaptureMode | undefined) ?? 'first';
  for (const key of ['reverse', 'unique'] as const) {
    if (raw[key] === undefined || mode === 'all') continue;
    ok = false;
    ctx.diagnostics.push({
      pos: doc.keyPos([...path, key]),
      message: `'${key}' of capture '${name}' of step '${stepId}' only applies to 'match: all' (this capture keeps the ${mode} match)`,
      hint: `add 'match: all', or remove '${key}'`,
    });
  }
  const unique = typeof raw.unique === 'string' ? raw.unique : undefined;
  if (unique !== undefined && !groups.includes(unique)) {
    ok = false;
    ctx.diagnostics.push({
      pos: doc.valuePos([...path, 'unique']),
      message: `capture '${name}' of step '${stepId}' is unique by group '${unique}', which its regex does not have (groups: ${groups.join(', ')})`,
      hint: `name a group (?<${unique}>...) in the regex, or fix the name in 'unique'`,
    });
  }
  if (!ok) return undefined;
  const spec: CaptureSpec = {
    name,
    regex,
    flags,
    mode,
    types,
    optional: raw.optional === true,
    ...(raw.reverse === true ? { reverse: true } : {}),
    ...(unique !== undefined ? { unique } : {}),
    pos: doc.keyPos(path),
  };
  return withCaptureOptions(ctx, spec, raw, path, stepId, groups);
}

function compileMatcher(
  ctx: CompileCtx,
  raw: unknown,
  path: DocPath,
  local: NameDecl[],
): Matcher | undefined {
  const pos = ctx.doc.valuePos(path);
  const list = (items: unknown[], listPath: DocPath, kind: 'all' | 'any'): Matcher | undefined => {
    const of = items.map((m, i) => compileMatcher(ctx, m, [...listPath, i], local));
    return of.every((m): m is Matcher => m !== undefined) ? { kind, of, pos } : undefined;
  };
  if (Array.isArray(raw)) return list(raw, path, 'all');
  const m = raw as Raw;
  if (typeof m.contains === 'string') return { kind: 'contains', text: m.contains, pos };
  if (typeof m.not_contains === 'string') return { kind: 'not_contains', text: m.not_contains, pos };
  if (typeof m.regex === 'string') {
    const flags = typeof m.flags === 'string' ? m.flags : DEFAULT_FLAGS;
    return regexOk(ctx, m.regex, flags, [...path, 'regex'])
      ? { kind: 'regex', regex: m.regex, flags, pos }
      : undefined;
  }
  if (typeof m.expression === 'string') {
    const e = expr(ctx, m.expression, [...path, 'expression'], 'bool', local);
    return e ? { kind: 'expression', expr: e, pos } : undefined;
  }
  if (Array.isArray(m.all)) return list(m.all, [...path, 'all'], 'all');
  if (Array.isArray(m.any)) return list(m.any, [...path, 'any'], 'any');
  return undefined;
}

function regexOk(ctx: CompileCtx, source: string, flags: string, path: DocPath): boolean {
  try {
    new RegExp(source, flags);
    const nested = nestedQuantifier(source);
    if (nested === undefined) return true;
    ctx.diagnostics.push({
      pos: ctx.doc.textPos(path),
      message: `${subject(path, ctx.doc.data)} may take exponential time: ${nested}`,
      hint: 'repeat the inner part once, e.g. `(a+)+` -> `a+`, `(\\w+\\s?)*` -> `[\\w\\s]*`; device output is not trusted to be kind',
    });
    return false;
  } catch (err) {
    const reason = (err as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, '');
    ctx.diagnostics.push({
      pos: ctx.doc.textPos(path),
      message: `${subject(path, ctx.doc.data)} is not a valid regular expression: ${reason}`,
      hint: 'regexes are JavaScript syntax; escape literal ( ) [ ] { } . * + ? | \\ with a backslash (in YAML, single-quote the regex)',
    });
    return false;
  }
}

/** The command with each `{{ }}` part replaced by a placeholder token, for read-only checks. */
export function placeholderCommand(source: string): string {
  const parts = splitTemplate(source);
  if (!Array.isArray(parts)) return source.replace(/\{\{[\s\S]*?\}\}/g, 'VALUE');
  return parts.map((p) => (p.kind === 'text' ? p.text : 'VALUE')).join('');
}

const UNITS: Record<string, number> = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
};

/** `max_output` in bytes: an integer, or digits with a unit (`256MB`, `1 GiB`); the schema checked the form. */
function byteSize(v: unknown): number {
  if (typeof v === 'number') return v;
  const m = /^([0-9]+) ?([KMG]i?B|B)?$/.exec(String(v));
  return m ? Number(m[1]) * (UNITS[m[2] ?? 'B'] ?? 1) : Number.NaN;
}

/** `dialog:` answers at `path` (schema-checked), or undefined after diagnostics. */
export function compileDialogs(
  ctx: CompileCtx,
  raw: unknown,
  path: DocPath,
  stepId: string,
): DialogAnswer[] | undefined {
  const dialogs: DialogAnswer[] = [];
  let ok = true;
  if (!Array.isArray(raw)) return dialogs;
  raw.forEach((d: Raw, i) => {
    const dPath = [...path, i];
    const prompt = d.prompt as string;
    const answer = d.answer as string;
    if (!regexOk(ctx, prompt, '', [...dPath, 'prompt'])) ok = false;
    if (CONTROL_CHARS.test(answer)) {
      ok = false;
      ctx.diagnostics.push({
        pos: ctx.doc.valuePos([...dPath, 'answer']),
        message: `dialog answer of step '${stepId}' contains a newline or control character`,
        hint: 'give one line of text; the newline after it is sent for you (newline: false turns it off)',
      });
    }
    dialogs.push({
      prompt,
      answer,
      newline: d.newline !== false,
      ...(d.repeat === true ? { repeat: true } : {}),
    });
  });
  return ok ? dialogs : undefined;
}
