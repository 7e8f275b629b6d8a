/**
 * `runbook report <run-id> [--format html|markdown] [-o FILE] [--state-dir DIR]`: the change
 * record of a run (exec or dry run) as one self-contained HTML page (default) or markdown for a
 * ticket. Reads the run record and journals as they are now; writes stdout unless -o.
 */
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { RunbookError } from '../errors.js';
import { DEFAULT_STATE_DIR } from '../store/runs.js';
import { action } from './output.js';

const REPORT_FORMATS = ['html', 'markdown'] as const;
type ReportFormat = (typeof REPORT_FORMATS)[number];

interface ReportFlags {
  format: string;
  output?: string;
  stateDir: string;
  store?: string;
}

export function register(program: Command): void {
  program
    .command('report')
    .description('Write the change record of a run as a self-contained HTML page or markdown')
    .argument('<run-id>', 'the run (see `runbook runs`)')
    .option('--format <format>', `output format: ${REPORT_FORMATS.join(', ')}`, 'html')
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .option('--state-dir <dir>', 'where run records live', DEFAULT_STATE_DIR)
    .option(
      '--store <url>',
      'a shared PostgreSQL store (postgres://USER@HOST:PORT/DB; default $RUNBOOK_STORE)',
    )
    .action(action(async (id: string, flags: ReportFlags) => reportCommand(id, flags)));
}

async function reportCommand(id: string, flags: ReportFlags): Promise<number> {
  const format = flags.format as ReportFormat;
  if (!REPORT_FORMATS.includes(format)) {
    throw new RunbookError('E_USAGE', `--format ${flags.format}: unknown report format`, {
      hint: `use one of: ${REPORT_FORMATS.join(', ')}`,
    });
  }
  // loaded on use, so `runbook --help` stays fast
  const [{ openStore }, { readChangeRecord }, { renderHtmlReport }, { renderMarkdownReport }] =
    await Promise.all([
      import('../store/open.js'),
      import('../report/change.js'),
      import('../report/html.js'),
      import('../report/markdown.js'),
    ]);
  const store = await openStore({ stateDir: flags.stateDir, ...(flags.store ? { store: flags.store } : {}) });
  let text: string;
  try {
    const handle = await store.openRun(id);
    try {
      const record = await readChangeRecord(handle);
      text = format === 'html' ? renderHtmlReport(record) : renderMarkdownReport(record);
    } finally {
      await handle.close();
    }
  } finally {
    await store.close();
  }
  if (flags.output) {
    try {
      writeFileSync(flags.output, text);
    } catch (err) {
      throw new RunbookError('E_USAGE', `-o ${flags.output}: cannot write: ${(err as Error).message}`, {
        hint: 'give a file in a directory that exists and that you can write',
      });
    }
    process.stderr.write(`wrote ${flags.output}\n`);
  } else {
    process.stdout.write(text);
  }
  return 0;
}
