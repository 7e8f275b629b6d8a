/** Cisco IOS XE (autonomous mode): classic IOS CLI over an interactive shell. */
import type { PlatformProfile } from './types.js';

/** Commands that never change state on IOS-style CLIs (anchored at the start of the command). */
export const IOS_READ_ONLY = [
  '^show\\s',
  '^show$',
  '^ping\\s',
  '^traceroute\\s',
  '^terminal\\s+(length|width)\\s+\\d+$',
  '^screen-length\\s+\\d+$',
  '^dir(\\s|$)',
  '^more\\s',
];

export const IOS_ERRORS = [
  { pattern: '^% Invalid input detected', message: 'the device rejected the command (% Invalid input)' },
  {
    pattern: '^% Incomplete command',
    message: 'the device says the command is incomplete (% Incomplete command)',
  },
  {
    pattern: '^% Ambiguous command',
    message: 'the device says the command is ambiguous (% Ambiguous command)',
  },
  { pattern: '^% Unknown command', message: 'the device does not know the command (% Unknown command)' },
  { pattern: '^% (Bad|Invalid) (IP )?address', message: 'the device rejected an address in the command' },
  { pattern: '^% Authorization failed', message: 'the device refused the command (% Authorization failed)' },
  { pattern: '^% Permission denied', message: 'the device refused the command (% Permission denied)' },
  { pattern: '^%Error', message: 'the device reported an error' },
  { pattern: '^% ?Error:', message: 'the device reported an error' },
  { pattern: '^Command rejected:', message: 'the device rejected the command' },
  { pattern: '^% This command is not supported', message: 'the device does not support the command here' },
];

/**
 * IOS privilege: a login at privilege 1 shows `name>`; `enable` asks `Password:` and lands at `name#`.
 * A wrong secret: `% Bad secrets` (local enable secret, after three tries), `% Access denied` (AAA).
 */
export const IOS_PRIVILEGE = {
  unprivilegedPrompt: '(?:^|[\\r\\n])[\\w.\\-@/:]{1,63}>\\s*$',
  escalateCommand: 'enable',
  passwordPrompt: '[Pp]assword:\\s*$',
  failurePatterns: [
    '% ?Bad secrets',
    '% ?Access denied',
    '% ?No password set',
    '% ?Error in authentication',
    '% ?Authentication failed',
  ],
} satisfies PlatformProfile['privilege'];

export const ciscoIosxe = {
  name: 'cisco-iosxe',
  description: 'Cisco IOS XE (autonomous mode): interactive shell, privileged EXEC prompt',
  session: 'shell',
  prompt: '(?:^|[\\r\\n])[\\w.\\-@/:]{1,63}[>#]\\s*$',
  configPrompts: ['\\(config[^)]*\\)#\\s*$'],
  errorPatterns: IOS_ERRORS,
  pagingCommands: ['terminal length 0'],
  widthCommands: ['terminal width 0'],
  pager: ' ?--More-- ?',
  readOnly: IOS_READ_ONLY,
  // output pipes that write files or run things: `| redirect`, `| tee`, `| append`
  neverReadOnly: ['\\|\\s*(redirect|tee|append)\\b'],
  // `|` would add an output pipe, `?` asks for help, `!` starts a comment
  unsafeValue: '[|?!]',
  /**
   * Questions IOS asks: `[confirm]`, `[yes/no]:`, `[y/n]`, `(y/n)?`, `Proceed? [no]:`,
   * `Destination filename [startup-config]? ` and a password prompt (e.g. from `enable`).
   */
  dialogPrompts: [
    '\\[confirm\\]\\s*$',
    '\\[yes/no\\]:?\\s*$',
    '\\[y/n\\]:?\\s*$',
    '\\((yes/no|y/n)\\)\\??:?\\s*$',
    '\\?\\s*\\[[^\\]]*\\]:?\\s*$',
    '\\]\\?\\s*$',
    '(^|\\s)[Pp]assword:\\s*$',
  ],
  stripAnsi: true,
  privilege: IOS_PRIVILEGE,
} satisfies PlatformProfile;
