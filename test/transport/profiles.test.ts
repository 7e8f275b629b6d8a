import { describe, expect, it } from 'vitest';
import { findDeviceError, getProfile } from '../../src/platforms/index.js';
import { isReadOnlyCommand } from '../../src/platforms/readonly.js';

const ios = getProfile('cisco-iosxe');
const sdwan = getProfile('cisco-iosxe-sdwan');
const any = (res: string[], s: string): boolean => res.some((r) => new RegExp(r).test(s));

describe('platform profiles as the shell transport reads them', () => {
  it('IOS prompts: EXEC and privileged match, config prompts are told apart', () => {
    const p = new RegExp(ios.prompt);
    expect(p.test('\nedge-1.lab#')).toBe(true);
    expect(p.test('Router>')).toBe(true);
    expect(p.test('Router(config)#')).toBe(false);
    expect(any(ios.configPrompts, 'Router(config-if)#')).toBe(true);
    expect(p.test('   #pkts encaps: 0')).toBe(false);
  });

  it('IOS questions are recognised as dialogs', () => {
    for (const q of [
      'Proceed with reload? [confirm]',
      'Save? [yes/no]: ',
      'Continue? (y/n)? ',
      'Destination filename [startup-config]? ',
      'Password: ',
    ]) {
      expect(any(ios.dialogPrompts, q), q).toBe(true);
    }
    expect(any(ios.dialogPrompts, 'R1#')).toBe(false);
  });

  it('device errors are found with their message', () => {
    expect(findDeviceError(ios, "show foo\n        ^\n% Invalid input detected at '^' marker.")).toEqual({
      line: "% Invalid input detected at '^' marker.",
      message: 'the device rejected the command (% Invalid input)',
    });
    expect(findDeviceError(ios, '% Ambiguous command:  "sh c"')?.message).toContain('ambiguous');
    expect(findDeviceError(ios, 'all good')).toBeUndefined();
  });

  it('SD-WAN falls back from terminal length 0 to screen-length 0, both read-only', () => {
    expect(sdwan.pagingCommands).toEqual(['terminal length 0', 'screen-length 0']);
    for (const c of sdwan.pagingCommands) expect(isReadOnlyCommand(sdwan, c)).toBe(true);
    expect(getProfile('linux').session).toBe('exec');
  });
});
