/**
 * The platform registry: the profiles shipped in src/platforms/profiles/ plus those of the user's
 * dirs (`--platforms DIR`, else `$RUNBOOK_PLATFORMS`, a path list), loaded once and cached. A new
 * platform is a new YAML file, not new branches elsewhere.
 */
import { existsSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RunbookError } from '../errors.js';
import { loadProfiles } from './loader.js';
import type { PlatformName, PlatformProfile } from './types.js';

/** The env var naming extra platform dirs (`:`-separated, `;` on Windows). */
export const PLATFORMS_ENV = 'RUNBOOK_PLATFORMS';

/** The shipped profiles: src/platforms/profiles under the package root (from src/ or dist/src/). */
export function shippedProfilesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'src', 'platforms', 'profiles');
    dir = dirname(dir);
  }
  return join(dirname(fileURLToPath(import.meta.url)), 'profiles');
}

let userDirs: string[] | undefined;
let loaded: Map<string, PlatformProfile> | undefined;

/**
 * Use these user dirs (instead of `$RUNBOOK_PLATFORMS`) and load now, so a bad platform file is
 * reported before anything else. Throws ValidationError (E_PLATFORM_INVALID).
 */
export function configurePlatforms(opts: { dirs?: string[] }): void {
  userDirs = opts.dirs;
  loaded = undefined;
  profiles();
}

function envDirs(): string[] {
  return (process.env[PLATFORMS_ENV] ?? '').split(delimiter).filter((d) => d !== '');
}

function profiles(): Map<string, PlatformProfile> {
  loaded ??= loadProfiles([shippedProfilesDir(), ...(userDirs ?? envDirs())]);
  return loaded;
}

/** Names of the loaded platforms, sorted. */
export function platformNames(): PlatformName[] {
  return [...profiles().keys()].sort();
}

export function isPlatformName(s: string): s is PlatformName {
  return profiles().has(s);
}

/** The profile of a platform; throws E_USAGE naming the known ones when there is none. */
export function getProfile(name: PlatformName): PlatformProfile {
  const p = profiles().get(name);
  if (!p)
    throw new RunbookError('E_USAGE', `unknown platform ${name}`, {
      hint: `use one of: ${platformNames().join(', ')} (or add a platform file with --platforms DIR)`,
    });
  return p;
}

/** The platform an inventory's `ansible_network_os` selects, if a profile lists it. */
export function platformForNetworkOs(os: string): PlatformName | undefined {
  for (const p of profiles().values()) if (p.ansibleNetworkOs.includes(os)) return p.name;
  return undefined;
}

/** Every `ansible_network_os` value some profile lists. */
export function networkOsNames(): string[] {
  return [...profiles().values()].flatMap((p) => p.ansibleNetworkOs);
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
