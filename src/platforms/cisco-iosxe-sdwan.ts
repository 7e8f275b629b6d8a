/**
 * Cisco IOS XE Catalyst SD-WAN (controller mode): like IOS XE, but configuration is entered with
 * `config-transaction`, and some images refuse `terminal length 0` (`screen-length 0` is the fallback).
 */
import type { PlatformProfile } from './types.js';
import { ciscoIosxe } from './cisco-iosxe.js';

export const ciscoIosxeSdwan = {
  ...ciscoIosxe,
  name: 'cisco-iosxe-sdwan',
  description:
    'Cisco IOS XE Catalyst SD-WAN edge (controller mode): interactive shell, privileged EXEC prompt',
  configPrompts: ['\\(config[^)]*\\)#\\s*$'],
  ntcPlatform: 'cisco_ios',
  pagingCommands: ['terminal length 0', 'screen-length 0'],
} satisfies PlatformProfile;
