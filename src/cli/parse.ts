/**
 * `runbook parse --platform P --command C [--templates DIR]... [--template FILE] [--format json|table] [FILE|-]`:
 * parse saved command output with TextFSM, as ntc-templates' parse_output does, and print the records
 * (a JSON array by default). The template comes from `--template FILE`, or from the first index (in
 * the folders of `--templates`, `$NTC_TEMPLATES_DIR`, then the shipped templates) with a row for the
 * platform and command. `--platform` takes a runbook platform (cisco-iosxe) or an ntc-templates one
 * (cisco_ios). Exit 0 with records, 2 when no template matches or a template is invalid, 1 when the
 * template's `Error` action refuses the input.
 */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { RunbookError } from '../errors.js';
import { action, collect } from './output.js';

const FORMATS = ['json', 'table'] as const;
type Format = (typeof FORMATS)[number];

interface ParseFlags {
  platform?: string;
  command?: string;
  templates?: string[];
  template?: string;
  format: string;
}

export function register(program: Command): void {
  program
    .command('parse')
    .description('Parse saved command output into records with TextFSM (ntc-templates compatible)')
    .argument('[file]', "command output to parse ('-' or none: standard input)")
    .option(
      '--platform <name>',
      'platform: a runbook platform (cisco-iosxe) or an ntc-templates one (cisco_ios)',
    )
    .option('--command <text>', "the command whose output this is, e.g. 'show ip interface brief'")
    .option('--templates <dir>', 'a folder with an index and templates, searched first (repeatable)', collect)
    .option('--template <file>', 'parse with this template file (no index lookup)')
    .option('--format <format>', `output format: ${FORMATS.join(', ')}`, 'json')
    .action(action(async (file: string | undefined, flags: ParseFlags) => parseCommand(file, flags)));
}

/** The ntc-templates platform of a runbook platform (its profile's ntc_platform); any other name is taken as ntc's own. */
async function ntcPlatformOf(name: string): Promise<string> {
  const { getProfile, isPlatformName } = await import('../platforms/index.js');
  return (isPlatformName(name) ? getProfile(name).ntcPlatform : undefined) ?? name;
}

function readInput(file: string | undefined): string {
  const path = file === undefined || file === '-' ? 0 : file;
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new RunbookError('E_USAGE', `cannot read ${file ?? 'standard input'}: ${(err as Error).message}`, {
      hint: 'give a file of saved command output, or pipe it in',
    });
  }
}

export async function parseCommand(file: string | undefined, flags: ParseFlags): Promise<number> {
  // loaded here, not at start-up: other commands do not pay for the TextFSM engine
  const { findTemplates, noTemplateError, templateDirs } = await import('../parse/lookup.js');
  const { parseWithTemplates } = await import('../parse/clitable.js');
  const { recordsTable } = await import('../parse/table.js');
  const format = flags.format as Format;
  if (!FORMATS.includes(format)) {
    throw new RunbookError('E_USAGE', `--format ${flags.format}: unknown format`, {
      hint: `use one of: ${FORMATS.join(', ')}`,
    });
  }
  let paths: string[];
  if (flags.template) {
    paths = [resolve(flags.template)];
  } else {
    if (!flags.platform || !flags.command) {
      throw new RunbookError('E_USAGE', 'parse needs --platform and --command (or --template FILE)', {
        hint: "e.g. runbook parse --platform cisco_ios --command 'show ip interface brief' output.txt",
      });
    }
    const platform = await ntcPlatformOf(flags.platform);
    const dirs = templateDirs({ explicit: flags.templates ?? [] });
    const found = findTemplates(dirs, platform, flags.command);
    if (!found) throw noTemplateError(dirs, platform, flags.command);
    paths = found.paths;
  }
  const records = parseWithTemplates(paths, readInput(file));
  process.stdout.write(format === 'json' ? `${JSON.stringify(records, null, 2)}\n` : recordsTable(records));
  return 0;
}
