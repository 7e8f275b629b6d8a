/**
 * Cisco IOS XE Catalyst SD-WAN (controller mode): like IOS XE, but configuration is entered with
 * `config-transaction`, and some images refuse `terminal length 0` (`screen-length 0` is the fallback).
 */
import type { PlatformProfile } from './types.js';
import { ciscoIosxe, IOS_PRIVILEGE } from './cisco-iosxe.js';

export const ciscoIosxeSdwan = {
  ...ciscoIosxe,
  name: 'cisco-iosxe-sdwan',
  description:
    'Cisco IOS XE Catalyst SD-WAN edge (controller mode): interactive shell, privileged EXEC prompt',
  configPrompts: ['\\(config[^)]*\\)#\\s*$'],
  pagingCommands: ['terminal length 0', 'screen-length 0'],
  // a controller-mode edge logs a privilege-1 user in at `name>` too, and `enable` works the same
  privilege: IOS_PRIVILEGE,
} satisfies PlatformProfile;
