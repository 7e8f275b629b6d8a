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

function typedGroups(spec: CaptureSpec, groups: string[], match: RegExpExecArray): Record<string, Value> {
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
function ordered(spec: CaptureSpec, matches: RegExpExecArray[]): RegExpExecArray[] {
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
 */
export function runCaptures(
  specs: CaptureSpec[],
  output: string,
): { values: Record<string, Value>; lines: string[] } {
  const text = normalizeOutput(output);
  const values: Record<string, Value> = {};
  const evidence = new Set<number>();
  const lines = linesOf(text);
  for (const spec of specs) {
    if (spec.textfsm) {
      values[spec.name] = textfsmValues(spec, spec.textfsm.templates, text);
      continue;
    }
    const groups = namedGroups(spec.regex);
    const re = compileRegex(spec.regex, spec.flags, { global: true }, `capture '${spec.name}'`);
    const matches = [...text.matchAll(re)];
    const kept =
      spec.mode === 'all'
        ? ordered(spec, matches)
        : spec.mode === 'first'
          ? matches.slice(0, 1)
          : matches.slice(-1);
    if (kept.length === 0 && spec.mode !== 'all') {
      if (spec.optional) {
        values[spec.name] = null;
        continue;
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
  }
  return { values, lines: [...evidence].sort((a, b) => a - b).map((n) => lines.text[n]!) };
}
