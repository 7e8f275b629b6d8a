/**
 * The fleet scheduler: runs one function per host in serial batches, at most `forks` hosts at
 * once within a batch, and decides when to stop. It knows nothing of runbooks or SSH.
 *
 * - Batches (Ansible's `serial`): `N` hosts, `P%` of the selected hosts (rounded down, at least
 *   1), or a comma list of either (`1,10,50%`) whose last size repeats. Without serial, one batch.
 * - Stop rule, checked after each batch (Ansible's, per batch): with `maxFailPct`, stop when the
 *   failed share of that batch exceeds it (more than, not equal to); without it, stop when every
 *   host of the batch failed. Later batches are `not-run` with the reason. 'failed' and
 *   'unreachable' count as failed (Ansible counts unreachable hosts too).
 * - Disruptive rule: once some host reports a failed disruptive step, `disruptiveAllowed()`
 *   returns false for every host from then on (hosts starting later and hosts still running),
 *   unless `keepGoing`.
 * - Abort signal: no new host starts; hosts not started are `not-run`; running hosts finish
 *   (runOne sees the same signal and stops between steps).
 * - `runOne` must resolve with the host's result; if it throws, no new host starts, the running
 *   ones finish, and runFleet rejects with that error (a bug, not a host failure).
 */
import { RunbookError } from '../errors.js';

export interface FleetOptions {
  /** Hosts run at once within a batch (>= 1); the CLI default is DEFAULT_FORKS. */
  forks: number;
  /** Batch sizes: 'N', 'P%' or a comma list of them ('1,10,50%'); undefined: one batch. */
  serial?: string;
  /** Stop before the next batch when more than this percentage of a batch failed (0-100). */
  maxFailPct?: number;
  /** Let hosts run disruptive steps even after a disruptive step failed on another host. */
  keepGoing: boolean;
  /** Stops starting new hosts. */
  signal?: AbortSignal;
}

export interface HostRunContext {
  /** False once a disruptive step failed on some host (unless keepGoing): the host must not run disruptive steps. */
  disruptiveAllowed(): boolean;
  /** Why disruptive steps are not allowed (names the host that failed), or undefined when they are. */
  disruptiveBlockedReason(): string | undefined;
  /** Call when a disruptive step failed on `host`. */
  reportDisruptiveFailure(host: string): void;
  /** 1-based batch number of this host. */
  batch: number;
}

/** Outcomes that count against maxFailPct and that retry files list. */
export const FAILED_OUTCOMES: readonly string[] = ['failed', 'unreachable'];

export interface NotRun {
  outcome: 'not-run';
  /** Why the host did not run (the stop reason). */
  reason: string;
}

export interface FleetRun<R> {
  /** Every host given, in the given order. */
  results: Map<string, R | NotRun>;
  /** Host names per batch, in run order (all batches, including ones not run). */
  batches: string[][];
  /** Why later batches did not run (max-fail, whole batch failed, interrupted). */
  stoppedReason?: string;
}

export async function runFleet<R extends { outcome: string }, H extends { name: string }>(
  hosts: readonly H[],
  opts: FleetOptions,
  runOne: (host: H, ctx: HostRunContext) => Promise<R>,
): Promise<FleetRun<R>> {
  const forks = checkForks(opts.forks);
  if (opts.maxFailPct !== undefined) checkPct(opts.maxFailPct, '--max-fail');
  const sizes = parseSerial(opts.serial, hosts.length);
  const batches: H[][] = [];
  let at = 0;
  for (const size of sizes) {
    batches.push(hosts.slice(at, at + size));
    at += size;
  }

  let disruptiveFailedOn: string | undefined;
  const blockedReason = (): string | undefined =>
    disruptiveFailedOn === undefined || opts.keepGoing
      ? undefined
      : `a disruptive step failed on ${disruptiveFailedOn}; no further disruptive steps run on other hosts (rerun with --keep-going to allow them)`;

  const done = new Map<string, R | NotRun>();
  let stoppedReason: string | undefined;
  const interrupted = (): boolean => opts.signal?.aborted === true;

  for (let b = 0; b < batches.length; b++) {
    const batch = batches[b]!;
    if (stoppedReason === undefined && interrupted()) stoppedReason = 'interrupted';
    if (stoppedReason !== undefined) {
      for (const h of batch) done.set(h.name, { outcome: 'not-run', reason: stoppedReason });
      continue;
    }
    const ctx: HostRunContext = {
      disruptiveAllowed: () => blockedReason() === undefined,
      disruptiveBlockedReason: blockedReason,
      reportDisruptiveFailure: (host) => {
        disruptiveFailedOn ??= host;
      },
      batch: b + 1,
    };
    await pool(batch, forks, async (host) => {
      if (interrupted()) {
        done.set(host.name, { outcome: 'not-run', reason: 'interrupted before this host started' });
        return;
      }
      done.set(host.name, await runOne(host, ctx));
    });
    if (interrupted()) {
      stoppedReason = 'interrupted';
      continue;
    }
    const failed = batch.filter((h) => FAILED_OUTCOMES.includes(done.get(h.name)!.outcome)).length;
    const pct = (failed * 100) / batch.length;
    const more = b + 1 < batches.length;
    if (opts.maxFailPct !== undefined && pct > opts.maxFailPct && more) {
      stoppedReason = `${failed} of ${batch.length} hosts in batch ${b + 1} failed (${round(pct)}%), more than --max-fail ${opts.maxFailPct}%`;
    } else if (opts.maxFailPct === undefined && failed === batch.length && more) {
      stoppedReason = `every host in batch ${b + 1} failed`;
    }
  }

  const results = new Map<string, R | NotRun>();
  for (const h of hosts) results.set(h.name, done.get(h.name)!);
  const run: FleetRun<R> = { results, batches: batches.map((bt) => bt.map((h) => h.name)) };
  if (stoppedReason !== undefined) run.stoppedReason = stoppedReason;
  return run;
}

/**
 * Batch sizes for `total` hosts (they sum to `total`). Throws RunbookError E_USAGE for a bad value.
 * `undefined` gives one batch of everything.
 */
export function parseSerial(s: string | undefined, total: number): number[] {
  if (total <= 0) return [];
  if (s === undefined || s.trim() === '') return [total];
  const specs = s.split(',').map((p) => p.trim());
  const sizes = specs.map((p) => {
    const pct = /^(\d+(?:\.\d+)?)%$/.exec(p);
    if (pct) {
      const v = Number(pct[1]);
      if (v <= 0 || v > 100) throw usage(`--serial ${s}: ${p} is not a percentage from 0 (exclusive) to 100`);
      return Math.max(1, Math.floor((v / 100) * total));
    }
    if (/^\d+$/.test(p) && Number(p) >= 1) return Number(p);
    throw usage(`--serial ${s}: '${p}' is not a host count or a percentage`);
  });
  const out: number[] = [];
  let left = total;
  for (let i = 0; left > 0; i++) {
    const size = Math.min(left, sizes[Math.min(i, sizes.length - 1)]!);
    out.push(size);
    left -= size;
  }
  return out;
}

/** Run `fn` on every item with at most `limit` in flight; on a throw, start nothing new and rethrow after the rest settle. */
async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.err;
}

function checkForks(n: number): number {
  if (!Number.isInteger(n) || n < 1)
    throw usage(`--forks ${n} must be a whole number of at least 1`, 'e.g. --forks 20');
  return n;
}

function checkPct(n: number, flag: string): number {
  if (!Number.isFinite(n) || n < 0 || n > 100)
    throw usage(`${flag} ${n}% is not a percentage from 0 to 100`, `e.g. ${flag} 10%`);
  return n;
}

function usage(
  message: string,
  hint = 'write --serial 5 (hosts per batch), --serial 20% (of the selected hosts) or --serial 1,5,25% (growing batches)',
): RunbookError {
  return new RunbookError('E_USAGE', message, { hint });
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
