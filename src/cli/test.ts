/**
 * `runbook test [FILE...]`: run test suites (`*.test.yaml`) offline, in-process, on virtual time;
 * `runbook test RUNBOOK --cassette FILE` replays one recorded cassette against a runbook.
 * Prints one line per case (and why a case failed), then a last line `N passed, N failed`.
 * Exit codes: 0 every case passed, 1 some case failed, 2 a suite, runbook or device file is invalid.
 */
import type { Command } from 'commander';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { formatPos, RunbookError } from '../errors.js';
import type { TestCase } from '../testing/suite.js';
import type { CaseResult } from '../testing/run-case.js';
import { action, collect } from './output.js';

interface TestFlags {
  cassette?: string;
  var?: string[];
  dryRun?: boolean;
  /** commander's negation of --no-approve */
  approve: boolean;
  quiet?: boolean;
}

export function register(program: Command): void {
  program
    .command('test')
    .description('Run runbook test suites (*.test.yaml) offline against mock devices and cassettes')
    .argument(
      '[files...]',
      'test suites (default: every *.test.yaml in runbooks/ and examples/); with --cassette, the runbook',
    )
    .option(
      '--cassette <file>',
      'replay this recorded cassette against the runbook given: fail at the first divergence',
    )
    .option('-e, --var <name=value>', 'with --cassette: a runbook variable, repeatable', collect)
    .option('--dry-run', 'with --cassette: replay as a dry-run')
    .option('--no-approve', 'with --cassette: approve nothing (the run stops awaiting approval)')
    .option('-q, --quiet', 'print only failures and the totals line')
    .action(action(async (files: string[], flags: TestFlags) => testCommand(files, flags)));
}

async function testCommand(files: string[], flags: TestFlags): Promise<number> {
  // loaded here, not at start-up: `runbook --help` stays light
  const [{ loadSuite, deviceSpec }, { Loader, runCase }] = await Promise.all([
    import('../testing/suite.js'),
    import('../testing/run-case.js'),
  ]);
  const suites: { file: string; cases: TestCase[] }[] = [];
  if (flags.cassette !== undefined) {
    if (files.length !== 1) {
      throw new RunbookError('E_USAGE', '--cassette replays one runbook', {
        hint: 'runbook test RUNBOOK.yaml --cassette CASSETTE.yaml',
      });
    }
    const runbook = files[0]!;
    suites.push({
      file: flags.cassette,
      cases: [
        {
          name: `${runbook} replays ${flags.cassette}`,
          runbook: resolve(runbook),
          hosts: [{ device: deviceSpec(flags.cassette, process.cwd()), expect: {} }],
          vars: flags.var ?? [],
          dryRun: Boolean(flags.dryRun),
          approve: flags.approve ? 'all' : 'none',
          pos: { file: flags.cassette, line: 1, col: 1 },
        },
      ],
    });
  } else {
    const list = files.length > 0 ? files : defaultSuites();
    if (list.length === 0) {
      throw new RunbookError('E_USAGE', 'no test suites found', {
        hint: 'give *.test.yaml files, or run from a folder with runbooks/ or examples/ holding some',
      });
    }
    // every suite is checked before any case runs: a typo in the tenth suite is found at once
    for (const f of list) suites.push(loadSuite(f));
  }

  const loader = new Loader();
  let passed = 0;
  let failed = 0;
  for (const s of suites) {
    for (const c of s.cases) {
      const r = await runCase(c, loader);
      if (r.passed) passed++;
      else failed++;
      if (!r.passed || !flags.quiet) process.stdout.write(`${line(r)}\n`);
    }
  }
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  return failed > 0 ? 1 : 0;
}

function line(r: CaseResult): string {
  const rel = relative(process.cwd(), r.pos.file);
  const file = rel === '' || rel.startsWith('..') ? r.pos.file : rel;
  const head = `${r.passed ? 'PASS' : 'FAIL'}  ${formatPos({ ...r.pos, file })}  ${r.name}  (${r.durationMs} ms${r.virtualMs >= 1000 ? `, ${(r.virtualMs / 1000).toFixed(1)} s device time` : ''})`;
  return [head, ...r.failures.map((f) => `      ${f}`)].join('\n');
}

/** `*.test.yaml` files directly in ./runbooks and ./examples, sorted. */
function defaultSuites(): string[] {
  const out: string[] = [];
  for (const dir of ['runbooks', 'examples']) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) if (f.endsWith('.test.yaml')) out.push(join(dir, f));
  }
  return out;
}
