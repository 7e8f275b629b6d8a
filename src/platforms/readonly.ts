/**
 * Is a command read-only on a platform? The one entry point validate, plan and the executor's
 * render-time re-check use. Characters no CLI should get (controls, CR/LF, bidi, zero-width; and on
 * ASCII-only CLIs anything outside ASCII) make any command not read-only, before the platform's rules
 * (classify-cli.ts or classify-shell.ts) judge the words.
 */
import { FORBIDDEN_CHARS, NON_ASCII, forbiddenCharIn } from './chars.js';
import { classifyCli } from './classify-cli.js';
import { classifyShell } from './classify-shell.js';
import type { PlatformProfile } from './types.js';
import { READ_ONLY, notReadOnly, type Verdict } from './verdict.js';

export type { Verdict } from './verdict.js';

export function classifyCommand(profile: PlatformProfile, command: string): Verdict {
  const bad = forbiddenCharIn(command, FORBIDDEN_CHARS);
  if (bad) return notReadOnly(`it contains the control or invisible character ${bad}`);
  if (profile.asciiOnly && NON_ASCII.test(command))
    return notReadOnly(
      `it contains ${forbiddenCharIn(command, NON_ASCII)}, not ASCII (the ${profile.name} CLI takes ASCII only)`,
    );
  const rules = profile.readOnly;
  return rules.style === 'cli' ? classifyCli(rules, command) : classifyShell(rules, command);
}

/** True when the command is read-only on the profile. */
export function isReadOnlyCommand(profile: PlatformProfile, command: string): boolean {
  return classifyCommand(profile, command).readOnly;
}

/** Read-only only when read-only on every profile (a host's platform never weakens the runbook's). */
export function classifyOnAll(profiles: readonly PlatformProfile[], command: string): Verdict {
  for (const p of profiles) {
    const v = classifyCommand(p, command);
    if (!v.readOnly) return profiles.length > 1 ? notReadOnly(`${v.reason} (${p.name})`) : v;
  }
  return READ_ONLY;
}
