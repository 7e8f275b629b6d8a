/** Linux hosts: one exec channel per command, exit status and stderr kept apart. */
import type { PlatformProfile } from './types.js';

export const linux = {
  name: 'linux',
  description: 'Linux host over SSH exec channels (exit status, stdout and stderr apart)',
  session: 'exec',
  ntcPlatform: 'linux',
  prompt: '[$#]\\s*$',
  configPrompts: [],
  errorPatterns: [],
  pagingCommands: [],
  widthCommands: [],
  readOnly: [
    '^(cat|ls|ip\\s+(-\\S+\\s+)*(addr|address|link|route|neigh|rule)(\\s+show|\\s+list)?(\\s|$)|ss|netstat|ping|traceroute|tracepath|uptime|uname|hostname|whoami|id|date|df|free|ps|journalctl|dmesg|grep|head|tail|wc|systemctl\\s+(status|is-active|is-enabled|show)|stat|echo|true|test|printf|nproc|lsblk|ethtool|iptables\\s+-(L|S)|nft\\s+list)(\\s|$)',
  ],
  // command lists, redirections, substitutions, and pipes into writers or shells
  neverReadOnly: ['[;&<>`]', '\\$\\(', '\\|\\s*(tee|xargs|sh|bash|dd|sudo|su)\\b'],
  // values are single shell words of safe characters: no spaces, quotes, globs or operators
  unsafeValue: '[^A-Za-z0-9_.,:/@%+=-]',
  dialogPrompts: [],
  stripAnsi: false,
} satisfies PlatformProfile;
