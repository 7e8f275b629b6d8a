/**
 * The enable phase of an interactive session, run once after login (and after each reconnect):
 * when the login prompt is the profile's user-EXEC prompt (`edge1>`), send the escalate command
 * (`enable`), answer the password question with the enable secret ONCE (a wrong secret is never
 * retried, so no lockout counter runs down), then check that the prompt is privileged. Every way
 * this can fail is E_PRIVILEGE (exit 3) with the device's words and how to give the right secret.
 * What the profile says about privilege is data (`PlatformProfile.privilege`); nothing here names
 * a platform.
 */
import { RunbookError } from '../errors.js';
import type { PlatformProfile } from '../platforms/types.js';
import { redact } from './redact.js';
import type { TranscriptWriter } from './transcript.js';
import type { CommandResult, RunOptions } from './types.js';

/** How a host's privilege is raised (Ansible's become; Netmiko's `secret`). */
export interface PrivilegeOptions {
  /** false (ansible_become: false): stay at the login privilege. Default: raise it when the login lands at user EXEC. */
  escalate?: boolean;
  /** The enable secret; sent only in answer to the profile's password prompt, once. */
  secret?: string;
}

/** What the enable phase needs of a shell session. */
export interface PromptSession {
  run(command: string, opts?: RunOptions): Promise<CommandResult>;
  /** The last prompt line the device showed. */
  readonly prompt: string;
}

const HOW_TO_GIVE_SECRET =
  'give the enable secret as ansible_become_password (or secret) in the inventory, best encrypted with ansible-vault (ansible-vault encrypt_string), or with --become-password-env VAR, or -K/--ask-become-pass';

/**
 * Raises privilege when the session sits at user EXEC. Resolves once the prompt is privileged
 * (or when nothing had to be done); throws E_PRIVILEGE otherwise.
 */
export async function raisePrivilege(
  session: PromptSession,
  o: {
    profile: PlatformProfile;
    label: string;
    privilege?: PrivilegeOptions;
    secrets: readonly string[];
    transcript?: TranscriptWriter;
  },
): Promise<void> {
  const spec = o.profile.privilege;
  if (!spec || o.privilege?.escalate === false) return;
  const user = new RegExp(spec.unprivilegedPrompt);
  const before = session.prompt;
  if (!user.test(before)) return;
  const secret = o.privilege?.secret;
  const cmd = spec.escalateCommand;
  const show = (s: string): string => JSON.stringify(redact(s, o.secrets));
  const fail = (message: string, hint: string): RunbookError =>
    new RunbookError('E_PRIVILEGE', redact(`${o.label}: ${message}`, o.secrets), { hint });
  o.transcript?.note(`logged in at user EXEC (prompt ${show(before)}): sending \`${cmd}\``);

  let output: string;
  try {
    const r = await session.run(cmd, {
      dialogs:
        secret !== undefined && secret !== ''
          ? [{ prompt: spec.passwordPrompt, answer: secret, newline: true, maxAnswers: 1 }]
          : [],
    });
    output = r.output;
  } catch (e) {
    if (!(e instanceof RunbookError) || e.code !== 'E_UNEXPECTED_PROMPT') throw e;
    // the password question came (again) and nothing may answer it: Ctrl-C was sent instead
    if (secret === undefined || secret === '') {
      throw fail(
        `logged in at user EXEC (prompt ${show(before)}) and \`${cmd}\` asks for a password, but no enable secret was given`,
        HOW_TO_GIVE_SECRET,
      );
    }
    throw fail(
      `the device refused the enable secret: \`${cmd}\` asked for the password again (the secret was sent once, not retried)`,
      `check the enable secret; ${HOW_TO_GIVE_SECRET}`,
    );
  }
  const lines = output.split(/\r\n|\r|\n/).map((l) => l.trim());
  for (const p of spec.failurePatterns) {
    const re = new RegExp(p);
    const line = lines.find((l) => re.test(l));
    if (line !== undefined) {
      throw fail(
        `the device refused \`${cmd}\`: ${show(line)}; still at user EXEC (prompt ${show(session.prompt)})`,
        secret === undefined || secret === ''
          ? HOW_TO_GIVE_SECRET
          : `check the enable secret; ${HOW_TO_GIVE_SECRET}`,
      );
    }
  }
  if (user.test(session.prompt)) {
    const said = lines.filter((l) => l !== '').slice(-1)[0];
    throw fail(
      `\`${cmd}\` did not reach privileged EXEC: the prompt is still ${show(session.prompt)}${said ? ` (the device said ${show(said)})` : ''}`,
      `check that the user may raise its privilege on this device; ${HOW_TO_GIVE_SECRET}`,
    );
  }
  o.transcript?.note(`privileged EXEC reached (prompt ${show(session.prompt)})`);
}
