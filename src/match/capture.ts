/**
 * Captures: named regex groups over a command's output, typed and bound to a name.
 * first/last: `{group: value}` (an unmatched optional group is null); all: a list of those in
 * output order, or last match first with `reverse` (log buffers are oldest first, so reversed is
 * newest first), keeping only the first match per distinct value of the `unique` group (in the
 * resulting order) when set. A captured value is device text: it is type-checked here, and again
 * when it reaches a template.
 */
import { RunbookError, formatPos } from '../errors.js';
import type { DeclType } from '../expr/decls.js';
import type { Value } from '../expr/types.js';
import { checkScalar, quoteForMessage } from '../expr/values.js';
import type { ScalarSpec } from '../expr/types.js';
import type { CaptureSpec } from './types.js';
import { matchAllBounded, type Found } from './bounded.js';
import { compileRegex, linesOf, normalizeOutput } from './text.js';
import { textfsmDeclType, textfsmValues } from './textfsm.js';

/** Named groups of a regex source, in order: `(?<name>...)`, ignoring escapes and character classes. */
export function namedGroups(regex: string): string[] {
  const names: string[] = [];
  let inClass = false;
  for (let i = 0; i < regex.length; i++) {
    const c = regex[i];
    if (c === '\\') {
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
    } else if (c === '[') {
      inClass = true;
    } else if (c === '(' && regex.startsWith('(?<', i) && regex[i + 3] !== '=' && regex[i + 3] !== '!') {
      const m = /^\(\?<([A-Za-z_$][\w$]*)>/.exec(regex.slice(i));
      if (m) names.push(m[1]!);
    }
  }
  return names;
}

/** The scalar spec of one group of a capture. */
export function groupSpec(spec: CaptureSpec, group: string): ScalarSpec {
  const type = spec.types[group] ?? 'string';
  return type === 'enum' ? { type, values: spec.enumValues?.[group] ?? [] } : { type };
}

/** The DeclType of a capture: first/last -> record of its named groups (typed), all -> list of such records. */
export function captureDeclType(spec: CaptureSpec): DeclType {
  if (spec.textfsm) return textfsmDeclType(spec, spec.textfsm.columns);
  const fields: Record<string, DeclType> = {};
  for (const g of namedGroups(spec.regex)) fields[g] = { kind: 'scalar', spec: groupSpec(spec, g) };
  if (spec.mode === 'all') return { kind: 'list', items: { kind: 'map', fields } };
  return spec.optional ? { kind: 'map', fields, nullable: true } : { kind: 'map', fields };
}

function typedGroups(spec: CaptureSpec, groups: string[], match: Found): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const g of groups) {
    const text = match.groups?.[g];
    if (text === undefined) {
      out[g] = null;
      continue;
    }
    try {
      out[g] = checkScalar(groupSpec(spec, g), text, `group '${g}'`);
    } catch (err) {
      if (!(err instanceof RunbookError)) throw err;
      throw new RunbookError(
        'E_STEP_FAILED',
        `${formatPos(spec.pos)}: capture '${spec.name}': group '${g}' captured ${quoteForMessage(text)}, which is not a valid ${spec.types[g]}: ${err.message.replace(/^group '[^']*': /, '')}`,
        {
          hint: `the device printed something the regex did not expect; tighten the group's pattern or change its type (${err.hint ?? ''})`,
        },
      );
    }
  }
  return out;
}

/** `all` mode: matches in output order, reversed when `reverse`, first per distinct `unique` group value. */
function ordered(spec: CaptureSpec, matches: Found[]): Found[] {
  const list = spec.reverse ? [...matches].reverse() : matches;
  const group = spec.unique;
  if (group === undefined) return list;
  const seen = new Set<string | undefined>();
  return list.filter((m) => {
    const key = m.groups?.[group];
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Run captures on output. Regexes run over the whole output with the 'm' flag added (plus
 * spec.flags), global for last/all. A required capture in first/last mode that does not match, or a
 * group value that fails its type, throws RunbookError('E_STEP_FAILED') naming the capture, the group
 * and the offending text. `lines` are the output lines the kept matches touch (evidence), in order.
 * Matching runs on this thread: for device output use `runCapturesBounded`.
 */
export function runCaptures(
  specs: CaptureSpec[],
  output: string,
): { values: Record<string, Value>; lines: string[] } {
  const text = normalizeOutput(output);
  const found = specs.map((spec) =>
    spec.textfsm
      ? []
      : [...text.matchAll(compileRegex(spec.regex, spec.flags, { global: true }, `capture '${spec.name}'`))],
  );
  return captureValues(specs, text, found);
}

/**
 * `runCaptures` with the matching done off the event loop (src/match/bounded.ts): a regex that
 * backtracks for longer than `deadlineMs`, or an abort, stops it with a clear error instead of
 * freezing the process.
 */
export async function runCapturesBounded(
  specs: CaptureSpec[],
  output: string,
  opts: { deadlineMs: number; signal?: AbortSignal },
): Promise<{ values: Record<string, Value>; lines: string[] }> {
  const text = normalizeOutput(output);
  // TextFSM captures are parsed by their own engine (line by line, bounded by the template)
  const regexSpecs = specs.filter((spec) => !spec.textfsm);
  const patterns = regexSpecs.map((spec) => {
    const re = compileRegex(spec.regex, spec.flags, { global: true }, `capture '${spec.name}'`);
    return { source: re.source, flags: re.flags };
  });
  const matched = await matchAllBounded(patterns, text, {
    ...opts,
    what:
      regexSpecs.length === 1
        ? `capture '${regexSpecs[0]!.name}'`
        : `captures ${regexSpecs.map((c) => `'${c.name}'`).join(', ')}`,
  });
  let next = 0;
  const found = specs.map((spec) => (spec.textfsm ? [] : (matched[next++] ?? [])));
  return captureValues(specs, text, found);
}

/**
 * Text kept by the captures of one command, in characters (all groups of all matches): captures
 * are journaled with every later step's scope, so a capture of a huge output is refused rather than
 * copied into each record.
 */
export const MAX_CAPTURED_CHARS = 16 * 1024 * 1024;

function captureValues(
  specs: CaptureSpec[],
  text: string,
  found: readonly Found[][],
): { values: Record<string, Value>; lines: string[] } {
  let kept = 0;
  for (const [i, all] of found.entries()) {
    const mode = specs[i]?.mode;
    const list = mode === 'first' ? all.slice(0, 1) : mode === 'last' ? all.slice(-1) : all;
    for (const m of list) {
      kept += 1 + Object.values(m.groups ?? {}).reduce((n, g) => n + (g?.length ?? 0), 0);
      if (kept > MAX_CAPTURED_CHARS) {
        const spec = specs[i]!;
        throw new RunbookError(
          'E_STEP_FAILED',
          `${formatPos(spec.pos)}: capture '${spec.name}': the captures of this command hold more than ${MAX_CAPTURED_CHARS} characters; runbook refuses to keep that much device text`,
          {
            hint: 'capture less (a tighter regex, `first`/`last` instead of `all`), or narrow the command output',
          },
        );
      }
    }
  }
  const values: Record<string, Value> = {};
  const evidence = new Set<number>();
  const lines = linesOf(text);
  specs.forEach((spec, i) => {
    if (spec.textfsm) {
      values[spec.name] = textfsmValues(spec, spec.textfsm.templates, text);
      return;
    }
    const groups = namedGroups(spec.regex);
    const matches = found[i] ?? [];
    const kept =
      spec.mode === 'all'
        ? ordered(spec, matches)
        : spec.mode === 'first'
          ? matches.slice(0, 1)
          : matches.slice(-1);
    if (kept.length === 0 && spec.mode !== 'all') {
      if (spec.optional) {
        values[spec.name] = null;
        return;
      }
      throw new RunbookError(
        'E_STEP_FAILED',
        `${formatPos(spec.pos)}: capture '${spec.name}': /${spec.regex}/ matched nothing in the output`,
        {
          hint: 'check the command output (--transcript) and the regex; mark the capture optional: true if it may be absent',
        },
      );
    }
    for (const m of kept) for (const n of lines.indexesOf(m.index, m[0].length)) evidence.add(n);
    const typed = kept.map((m) => typedGroups(spec, groups, m));
    values[spec.name] = spec.mode === 'all' ? typed : typed[0]!;
  });
  return { values, lines: [...evidence].sort((a, b) => a - b).map((n) => lines.text[n]!) };
}
