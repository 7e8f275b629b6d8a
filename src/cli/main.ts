#!/usr/bin/env node
/**
 * The `runbook` program: one file per subcommand under src/cli, each exporting `register`.
 * Usage errors (unknown flag, missing argument) exit 2 with commander's message and a hint.
 */
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { printError } from './output.js';
import * as validate from './validate.js';
import * as plan from './plan.js';
import * as runs from './runs.js';
import * as lab from './lab.js';
import * as exec from './exec.js';
import * as resume from './resume.js';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

/** Subcommand modules; each adds itself to the program. */
const commands: { register(program: Command): void }[] = [
  // (subcommands register here, one import each)
  validate,
  plan,
  exec,
  resume,
  runs,
  lab,
];

export function buildProgram(): Command {
  const program = new Command('runbook')
    .description('Declarative runbooks for network operations, run over SSH against routers and Linux hosts')
    .version(pkg.version)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str) });
  for (const c of commands) c.register(program);
  return program;
}

async function main(): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version exit 0; every other commander error is a usage error
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    process.exitCode = printError(err);
  }
}

await main();
