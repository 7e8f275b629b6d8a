/**
 * `--platforms DIR` (repeatable) on validate, plan, exec and resume: extra platform profile dirs,
 * loaded (and checked) before the command runs. Without it, `$RUNBOOK_PLATFORMS` is used.
 */
import type { Command } from 'commander';
import { collect } from './output.js';

const WITH_PLATFORMS = ['validate', 'plan', 'exec', 'resume'];

/** Add the flag to those subcommands and load the profiles before any of them runs. */
export function addPlatformsFlag(program: Command): void {
  for (const cmd of program.commands) {
    if (!WITH_PLATFORMS.includes(cmd.name())) continue;
    cmd.option(
      '--platforms <dir>',
      'also load platform profiles (YAML) from this dir; repeatable (default: $RUNBOOK_PLATFORMS)',
      collect,
    );
  }
  program.hook('preAction', async (_program, action) => {
    if (!WITH_PLATFORMS.includes(action.name())) return;
    const dirs = (action.opts() as { platforms?: string[] }).platforms;
    // loaded here, not at start-up: `runbook --help` and `--version` do not pay for YAML and ajv
    const { configurePlatforms } = await import('../platforms/index.js');
    configurePlatforms(dirs ? { dirs } : {});
  });
}
