/**
 * `runbook approve <run-id> [--step KEY] [--deny]`: decide a disruptive step that a run started by
 * `runbook watch` (approval: ask) waits for, from another terminal. Writes the decision into the
 * run's directory (src/watch/approval.ts); the watcher reads it within a second.
 */
import type { Command } from 'commander';
import { DEFAULT_STATE_DIR, RunStore } from '../store/runs.js';
import { readPending, writeDecision } from '../watch/approval.js';
import { action } from './output.js';

interface ApproveFlags {
  step?: string;
  deny?: boolean;
  stateDir: string;
}

export function register(program: Command): void {
  program
    .command('approve')
    .description('Approve (or --deny) the disruptive steps a watch-triggered run waits for')
    .argument('<run-id>', 'run id, as the watcher logs it and `runbook runs` lists it')
    .option(
      '--step <key>',
      'decide only this step (its key or id, as the watcher logs it); default every step of the run',
    )
    .option('--deny', 'refuse instead of approve: the step is not sent and the run fails there')
    .option('--state-dir <dir>', 'where run records live', DEFAULT_STATE_DIR)
    .action(action(async (id: string, flags: ApproveFlags) => approveCommand(id, flags)));
}

async function approveCommand(id: string, f: ApproveFlags): Promise<number> {
  const run = await new RunStore(f.stateDir).open(id);
  const pending = readPending(run.dir);
  const decision = f.deny ? 'deny' : 'approve';
  writeDecision(run.dir, { decision, ...(f.step ? { step: f.step } : {}) });
  const what = f.step ? `step ${f.step}` : 'every disruptive step';
  const verb = f.deny ? 'denied' : 'approved';
  if (pending) {
    const applies = !f.step || f.step === pending.key || f.step === pending.stepId;
    process.stdout.write(
      `${verb} ${what} of run ${id}; ${applies ? 'waiting now' : 'not the step waiting now'}: ${pending.host} ${pending.stepId}: ${pending.command}\n`,
    );
  } else {
    process.stdout.write(
      `${verb} ${what} of run ${id} (no step waits now; the decision applies when one asks)\n`,
    );
  }
  return 0;
}
