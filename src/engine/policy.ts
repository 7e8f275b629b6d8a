/**
 * What a command step may send, from the runbook's platform and the host's together: the strictest
 * value gates of both, and the render-time re-check that an interpolated value did not turn a
 * read-only command into a write. A host's `--platform` or inventory `platform` never weakens the
 * runbook's rules.
 */
import { valueGates, type ValueGates } from '../platforms/gates.js';
import { getProfile, isPlatformName } from '../platforms/index.js';
import { classifyOnAll } from '../platforms/readonly.js';
import type { PlatformProfile } from '../platforms/types.js';
import { placeholderCommand } from '../runbook/command.js';

export interface CommandPolicy {
  gates: ValueGates;
  /**
   * Why `rendered` may not be sent by a step that does not change state, or undefined: the written
   * form (values as placeholders) was read-only on the runbook's platform, but the rendered command
   * is not read-only on the runbook's platform and the host's.
   */
  renderedRefusal(source: string, rendered: string): string | undefined;
}

export function commandPolicy(runbookPlatform: string, host: PlatformProfile): CommandPolicy {
  const own = isPlatformName(runbookPlatform) ? getProfile(runbookPlatform) : host;
  const profiles = own.name === host.name ? [host] : [own, host];
  const names = profiles.map((p) => p.name).join(' and ');
  return {
    gates: valueGates(profiles),
    renderedRefusal(source, rendered) {
      // not read-only as written on the runbook's platform: the step passed validation by
      // declaring `changes: false`, the author's word for the command (values still pass the gates)
      if (!classifyOnAll([own], placeholderCommand(source)).readOnly) return undefined;
      const v = classifyOnAll(profiles, rendered);
      if (v.readOnly) return undefined;
      return `the rendered command is not read-only for ${names} (${v.reason}) and the step does not declare \`changes\``;
    },
  };
}
