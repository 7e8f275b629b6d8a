/**
 * The `runbook` program: one file per subcommand under src/cli, each exporting `register`.
 * Built here (no side effects) so tests and docs checks can inspect it; main.ts runs it.
 */
import { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import * as validate from './validate.js';
import * as plan from './plan.js';
import * as runs from './runs.js';
import * as lab from './lab.js';
import * as exec from './exec.js';
import * as resume from './resume.js';
import * as watch from './watch.js';
import * as approve from './approve.js';
import * as worker from './worker.js';
import * as parse from './parse.js';
import * as test from './test.js';
import { addPlatformsFlag } from './platforms-flag.js';

/** The package version, from the package.json above this file (src/cli or dist/src/cli). */
function version(): string {
  for (const rel of ['../../package.json', '../../../package.json']) {
    const url = new URL(rel, import.meta.url);
    if (existsSync(url)) return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
  }
  return '0.0.0';
}

/** Subcommand modules; each adds itself to the program. */
const commands: { register(program: Command): void }[] = [
  validate,
  plan,
  exec,
  resume,
  runs,
  lab,
  parse,
  watch,
  approve,
  worker,
  test,
];

export function buildProgram(): Command {
  const program = new Command('runbook')
    .description('Declarative runbooks for network operations, run over SSH against routers and Linux hosts')
    .version(version())
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str) });
  for (const c of commands) c.register(program);
  addPlatformsFlag(program);
  return program;
}
