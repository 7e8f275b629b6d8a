#!/usr/bin/env node
/**
 * The `runbook` command: runs the program of program.ts.
 * Usage errors (unknown flag, missing argument) exit 2 with commander's message and a hint.
 */
import { CommanderError } from 'commander';
import { printError } from './output.js';
import { buildProgram } from './program.js';

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
