/** `--forks`, `--serial`, `--max-fail`, `--keep-going`: parsed and checked once, for exec and resume. */
import { RunbookError } from '../errors.js';

export interface FleetFlags {
  forks?: string;
  serial?: string;
  maxFail?: string;
  keepGoing?: boolean;
}

export interface FleetSettings {
  forks: number;
  serial?: string;
  maxFailPct?: number;
  keepGoing: boolean;
}

export function fleetFromFlags(f: FleetFlags): FleetSettings {
  const forks = Number(f.forks ?? '20');
  if (!Number.isInteger(forks) || forks < 1 || forks > 10_000) {
    throw new RunbookError('E_USAGE', `--forks ${f.forks}: must be a whole number from 1 to 10000`, {
      hint: 'e.g. --forks 50',
    });
  }
  let maxFailPct: number | undefined;
  if (f.maxFail !== undefined) {
    const m = /^(\d+(?:\.\d+)?)%?$/.exec(f.maxFail.trim());
    const n = m ? Number(m[1]) : NaN;
    if (!m || n < 0 || n > 100) {
      throw new RunbookError('E_USAGE', `--max-fail ${f.maxFail}: must be a percentage from 0 to 100`, {
        hint: 'e.g. --max-fail 10%',
      });
    }
    maxFailPct = n;
  }
  if (f.serial !== undefined && !/^\s*\d+(\.\d+)?%?\s*(,\s*\d+(\.\d+)?%?\s*)*$/.test(f.serial)) {
    throw new RunbookError(
      'E_USAGE',
      `--serial ${f.serial}: must be a number of hosts or a percentage (or a comma list of them)`,
      {
        hint: 'e.g. --serial 10, --serial 25% or --serial 1,10,50%',
      },
    );
  }
  return { forks, serial: f.serial, maxFailPct, keepGoing: Boolean(f.keepGoing) };
}

/** The same flags as arguments, for the run record (resume reuses them). */
export function fleetArgv(f: FleetFlags): string[] {
  const out: string[] = [];
  if (f.forks !== undefined) out.push('--forks', f.forks);
  if (f.serial !== undefined) out.push('--serial', f.serial);
  if (f.maxFail !== undefined) out.push('--max-fail', f.maxFail);
  if (f.keepGoing) out.push('--keep-going');
  return out;
}
