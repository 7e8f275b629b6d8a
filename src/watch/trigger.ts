/**
 * Starting (or resuming) the run of one accepted event: an ordinary recorded run in the state dir
 * (its meta carries the trigger: rule, sender, message), run by the orchestrator on the event's one
 * host with the rule's approval policy: `auto` approves (as --yes), `dry-run` sends nothing that
 * changes state, `ask` waits for `runbook approve <run-id>` (see approval.ts).
 */
import { RunbookError } from '../errors.js';
import type { Reporter } from '../engine/events.js';
import { approveAll, runRunbook, type Approver, type RestoreState } from '../run/orchestrator.js';
import type { Value } from '../expr/types.js';
import { toJson } from '../expr/values.js';
import type { InventoryHost } from '../fleet/inventory.js';
import type { Target } from '../fleet/target.js';
import type { Runbook } from '../runbook/model.js';
import { resumeState } from '../store/resume.js';
import { DirectoryStore } from '../store/directory.js';
import type { StoreRun } from '../store/types.js';
import type { Transport } from '../transport/types.js';
import { fileApprover } from './approval.js';
import { formatSender } from './decisions.js';
import type { WatchEvent } from './queue.js';
import type { Rule } from './rules.js';

export interface LaunchRequest {
  event: WatchEvent;
  rule: Rule;
  host: InventoryHost;
  vars: Record<string, Value>;
  /** Told the run's id as soon as its record exists (before anything connects). */
  onRunCreated(runId: string): void;
  /** Restart: continue this run of the event instead of starting a new one. */
  resumeRunId?: string;
  /** Stop between steps (SIGTERM): the run checkpoints and stays resumable. */
  signal: AbortSignal;
  commandSignal: AbortSignal;
}

export interface LaunchResult {
  runId: string;
  /** The host's outcome (ok, failed, unreachable, interrupted, awaiting-approval, ...). */
  outcome: string;
  message: string;
}

/** Runs one event; throws RunbookError E_LOCKED when another process holds the host. */
export type Launcher = (req: LaunchRequest) => Promise<LaunchResult>;

export interface LauncherOptions {
  stateDir: string;
  /** A transport for a target (SSH with the watcher's connection flags). */
  transport: (target: Target, commandSignal: AbortSignal) => Transport;
  /** Default SSH port and user for hosts whose inventory sets none. */
  port?: number;
  user?: string;
  /** Connection flags recorded in the run (for `runbook resume`), no secrets. */
  argv: string[];
  /** Log lines (approval waits and decisions). */
  say(line: string): void;
  /** `--state-dir X` when not the default, for the commands the log shows. */
  stateFlag: string;
  reporters?: Reporter[];
}

/** The inventory host as a run target (inventory values win over the watcher's defaults). */
function targetOf(h: InventoryHost, runbook: Runbook, o: { port?: number; user?: string }): Target {
  const user = h.user ?? o.user;
  return {
    name: h.name,
    address: h.address,
    port: h.port ?? o.port ?? 22,
    platform: h.platform ?? runbook.platform,
    ...(user ? { user } : {}),
    inventory: h,
  };
}

export function createLauncher(o: LauncherOptions): Launcher {
  const store = new DirectoryStore(o.stateDir);
  return async (req) => {
    const { rule, event } = req;
    const target = targetOf(req.host, rule.runbook, o);
    const mode = rule.approval === 'dry-run' ? 'dry-run' : 'exec';
    let run: StoreRun;
    let restore: RestoreState | undefined;
    if (req.resumeRunId) {
      run = await store.openRun(req.resumeRunId);
      const state = resumeState(await run.readJournal(target.name), target.name);
      if (state.finished) {
        await run.close();
        return {
          runId: run.meta.id,
          outcome: state.outcome ?? 'ok',
          message: 'had finished before the restart',
        };
      }
      if (run.meta.contentHash !== rule.runbook.contentHash) {
        await run.close();
        throw new RunbookError(
          'E_RUNBOOK_CHANGED',
          `run ${run.meta.id}: the runbook changed since it started`,
          {
            hint: `continue it by hand: runbook resume ${run.meta.id}${o.stateFlag} --force`,
          },
        );
      }
      restore = new Map([[target.name, { completed: state.completed, inDoubt: state.inDoubt }]]);
    } else {
      run = await store.createRun({
        runbookPath: rule.runbook.file,
        runbookName: rule.runbook.name,
        contentHash: rule.runbook.contentHash,
        vars: recordedVars(rule.runbook, req.vars),
        targets: [
          {
            name: target.name,
            address: target.address,
            port: target.port,
            platform: target.platform,
            ...(target.user ? { user: target.user } : {}),
          },
        ],
        mode,
        argv: o.argv,
        trigger: {
          kind: 'syslog',
          rule: rule.name,
          sender: formatSender(event.sender),
          message: event.message,
          receivedAt: event.receivedAt,
          eventId: event.id,
        },
      });
    }
    req.onRunCreated(run.meta.id);
    const approver: Approver | undefined =
      rule.approval === 'auto'
        ? approveAll
        : rule.approval === 'ask'
          ? fileApprover({
              runDir: () => run.location,
              timeoutMs: rule.approvalTimeoutMs,
              say: (t) => o.say(`run ${run.meta.id}: ${t}`),
              approveCommand: (r) =>
                `runbook approve ${run.meta.id}${o.stateFlag} --step ${shellQuote(r.key)}`,
              signal: req.signal,
            })
          : undefined;
    const result = await runRunbook({
      runbook: rule.runbook,
      vars: req.vars,
      targets: [target],
      mode,
      store,
      run,
      transport: o.transport,
      ...(approver ? { approver } : {}),
      reporters: o.reporters ?? [],
      onNote: (t) => o.say(`run ${run.meta.id}: ${t}`),
      signal: req.signal,
      commandSignal: req.commandSignal,
      fleet: { forks: 1, keepGoing: false },
      ...(restore ? { restore } : {}),
    });
    const host = result.document.hosts.find((h) => h.host === target.name);
    return {
      runId: run.meta.id,
      outcome: result.outcomes.get(target.name) ?? 'not-run',
      message: host?.message.split('\n')[0] ?? '',
    };
  };
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/u.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Vars as the run record keeps them: secrets masked, JSON-safe. */
function recordedVars(runbook: Runbook, vars: Record<string, Value>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(vars)) {
    const decl = runbook.vars.find((d) => d.name === k);
    out[k] = decl?.secret ? '********' : toJson(v);
  }
  return out;
}
