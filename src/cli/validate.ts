/**
 * `runbook validate <file...>`: every problem of every file as `file:line:col: message` (+ hint),
 * `ok: <file> (<n> steps)` for valid files. Exit 0 when all are valid, 2 otherwise.
 */
import type { Command } from 'commander';
import { RunbookError, ValidationError, formatDiagnostic } from '../errors.js';
import type { Step } from '../runbook/model.js';
import { action } from './output.js';

/** Files named `*.rules.yaml` are `runbook watch` rules files. */
const RULES_FILE = /\.rules\.ya?ml$/;

export function register(program: Command): void {
  program
    .command('validate')
    .description(
      'check runbook files: YAML syntax, the schema, expressions, names and state-changing commands',
    )
    .argument('<file...>', 'runbook YAML files (and `runbook watch` rules files, named *.rules.yaml)')
    .action(action(async (files: string[]) => validateFiles(files)));
}

/** Validate each file; prints results; returns the exit code. */
export async function validateFiles(files: string[]): Promise<number> {
  // loaded here, not at start-up: `runbook --help` and other commands do not pay for the loader
  const { loadRunbook } = await import('../runbook/load.js');
  const { loadRules } = await import('../watch/rules.js');
  let invalid = 0;
  for (const file of files) {
    try {
      if (RULES_FILE.test(file)) {
        // a `runbook watch` rules file: the rules and the runbooks they name
        const { rules } = await loadRules(file);
        process.stdout.write(`ok: ${file} (${rules.length} watch rule${rules.length === 1 ? '' : 's'})\n`);
        continue;
      }
      const runbook = await loadRunbook(file);
      process.stdout.write(`ok: ${file} (${countSteps(runbook.steps)} steps)\n`);
    } catch (err) {
      if (err instanceof ValidationError) {
        for (const d of err.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
      } else if (err instanceof RunbookError) {
        process.stderr.write(`error: ${err.message}\n${err.hint ? `  hint: ${err.hint}\n` : ''}`);
      } else {
        throw err;
      }
      invalid++;
    }
  }
  if (invalid > 0 && files.length > 1) process.stderr.write(`${invalid} of ${files.length} files invalid\n`);
  return invalid > 0 ? 2 : 0;
}

/** Steps in the tree, nested ones included. */
export function countSteps(steps: readonly Step[]): number {
  let n = 0;
  for (const s of steps) {
    n++;
    if (s.kind === 'group') n += countSteps(s.steps);
    if (s.kind === 'choose') for (const b of s.branches) n += countSteps(b.steps);
    if (s.onFailure.kind === 'steps') n += countSteps(s.onFailure.steps);
  }
  return n;
}
