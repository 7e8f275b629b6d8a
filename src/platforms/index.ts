/** The platform registry: a new platform is a new profile object here, not new branches elsewhere. */
import type { PlatformName, PlatformProfile } from './types.js';
import { ciscoIosxe } from './cisco-iosxe.js';
import { ciscoIosxeSdwan } from './cisco-iosxe-sdwan.js';
import { linux } from './linux.js';

export const profiles = {
  'cisco-iosxe': ciscoIosxe,
  'cisco-iosxe-sdwan': ciscoIosxeSdwan,
  linux,
} satisfies Record<PlatformName, PlatformProfile>;

export const platformNames = Object.keys(profiles) as PlatformName[];

export function getProfile(name: PlatformName): PlatformProfile {
  return profiles[name];
}

export function isPlatformName(s: string): s is PlatformName {
  return Object.prototype.hasOwnProperty.call(profiles, s);
}

/** True when the command matches one of the profile's read-only patterns. */
export function isReadOnlyCommand(profile: PlatformProfile, command: string): boolean {
  const c = command.trim();
  if (profile.neverReadOnly.some((p) => new RegExp(p).test(c))) return false;
  return profile.readOnly.some((p) => new RegExp(p).test(c));
}

/** The first output line matching one of the profile's error patterns, with the pattern's message. */
export function findDeviceError(
  profile: PlatformProfile,
  output: string,
): { line: string; message: string } | undefined {
  const lines = output.split(/\r\n|\r|\n/);
  for (const p of errorPatternsOf(profile)) {
    const line = lines.find((l) => p.re.test(l));
    if (line !== undefined) return { line: line.trim(), message: p.message };
  }
  return undefined;
}

const compiledErrors = new WeakMap<PlatformProfile, { re: RegExp; message: string }[]>();

/** The profile's error patterns, compiled once per profile. */
function errorPatternsOf(profile: PlatformProfile): { re: RegExp; message: string }[] {
  let list = compiledErrors.get(profile);
  if (!list) {
    list = profile.errorPatterns.map((p) => ({ re: new RegExp(p.pattern), message: p.message }));
    compiledErrors.set(profile, list);
  }
  return list;
}
