/**
 * Value gates: what a value put into a command (`{{ }}` from --var, a default or device output) may
 * contain. Every platform refuses controls, line separators, bidi and zero-width characters and
 * values over the length limit; a profile adds its unsafe characters (`|` on IOS, shell operators on
 * Linux), ASCII-only and the leading-dash rule (option injection). Gates of several profiles (the
 * runbook's and a host's `--platform`) combine to the strictest: a host never weakens the runbook.
 */
import { FORBIDDEN_IN_VALUES, NON_ASCII, forbiddenCharIn } from './chars.js';
import type { PlatformProfile } from './types.js';

/** Longest value put into a command unless its var sets `max_length`. */
export const DEFAULT_MAX_LENGTH = 256;

export interface ValueGates {
  /** A value matching this is refused (the union of the profiles' `unsafeValue`). */
  unsafe?: RegExp;
  /** Refuse anything outside printable ASCII. */
  asciiOnly?: boolean;
  /** Refuse a value starting with `-` unless its var allows it. */
  refuseLeadingDash?: boolean;
  /** Names of the profiles these gates come from, for messages. */
  platforms?: string;
}

/** The strictest gates of all `profiles` (computed once per set of profiles: every command asks). */
export function valueGates(profiles: readonly PlatformProfile[]): ValueGates {
  const key = profiles.map((p) => p.name).join('\u0000');
  const known = gatesByKey.get(key);
  if (known && known.profiles.length === profiles.length && known.profiles.every((p, i) => p === profiles[i]))
    return known.gates;
  const gates = computeGates(profiles);
  gatesByKey.set(key, { profiles: [...profiles], gates });
  return gates;
}

const gatesByKey = new Map<string, { profiles: PlatformProfile[]; gates: ValueGates }>();

function computeGates(profiles: readonly PlatformProfile[]): ValueGates {
  const sources = [...new Set(profiles.map((p) => p.unsafeValue).filter((s) => s !== ''))];
  return {
    ...(sources.length ? { unsafe: new RegExp(sources.map((s) => `(?:${s})`).join('|')) } : {}),
    asciiOnly: profiles.some((p) => p.asciiOnly),
    refuseLeadingDash: profiles.some((p) => p.refuseLeadingDash),
    platforms: [...new Set(profiles.map((p) => p.name))].join(', '),
  };
}

/** Per-value allowances, from the var's declaration. */
export interface ValueAllowance {
  maxLength?: number;
  allowLeadingDash?: boolean;
}

/** Why `text` may not go into a command, with a hint; undefined when it may. */
export function gateProblem(
  text: string,
  gates: ValueGates,
  allow: ValueAllowance = {},
): { why: string; hint: string } | undefined {
  const max = allow.maxLength ?? DEFAULT_MAX_LENGTH;
  if (text.length > max)
    return {
      why: `is ${text.length} characters long, over the limit of ${max}`,
      hint: `give a shorter value, or raise the limit with max_length on the var (default ${DEFAULT_MAX_LENGTH})`,
    };
  const bad = forbiddenCharIn(text, FORBIDDEN_IN_VALUES);
  if (bad)
    return {
      why: `contains the control, line-separator, bidi or invisible character ${bad}`,
      hint: 'give a single line of printable text; check where it came from (--var or a capture)',
    };
  const on = gates.platforms ? ` (${gates.platforms})` : '';
  if (gates.asciiOnly && NON_ASCII.test(text))
    return {
      why: `contains ${forbiddenCharIn(text, NON_ASCII)}, which is not ASCII: the CLI${on} takes ASCII only (a look-alike character?)`,
      hint: 'retype the value in plain ASCII',
    };
  if (gates.unsafe && gates.unsafe.test(text))
    return {
      why: `contains a character the platform${on} does not allow in values put into commands (${gates.unsafe.source})`,
      hint: 'values from --var or device output may not carry pipes, shell operators or quoting; give a plain value or restrict the variable with a pattern',
    };
  if (gates.refuseLeadingDash && text.startsWith('-') && !allow.allowLeadingDash)
    return {
      why: `starts with '-', so a command${on} would read it as an option`,
      hint: 'give a value that does not start with -, or declare the var with allow_leading_dash: true if an option is meant',
    };
  return undefined;
}
