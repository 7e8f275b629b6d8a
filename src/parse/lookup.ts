/**
 * Where templates come from, first found wins: `--templates DIR` (or a caller's own dirs), the
 * runbook's `templates:` folder, `$NTC_TEMPLATES_DIR` (as ntc-templates reads it), then the
 * templates this project ships (src/parse/templates, copied beside the built module by `npm run
 * build`). Each folder holds an `index`; the first folder whose index has a row for the platform and
 * command gives the template(s).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RunbookError } from '../errors.js';
import { parseWithTemplates, loadIndex, type ParsedRecord } from './clitable.js';
import { findRow } from './index-file.js';

/** The folder of templates shipped with the package. */
export const SHIPPED_TEMPLATES = fileURLToPath(new URL('./templates/', import.meta.url));

export interface TemplateDirsOptions {
  /** From `--templates`, first. */
  explicit?: string[];
  /** The runbook's `templates:` folder (already resolved against the runbook file). */
  runbook?: string;
  /** Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}

/** The folders searched, in order, without duplicates (missing folders are kept: they are reported). */
export function templateDirs(opts: TemplateDirsOptions = {}): string[] {
  const env = opts.env ?? process.env;
  const dirs = [...(opts.explicit ?? [])];
  if (opts.runbook) dirs.push(opts.runbook);
  const ntc = env['NTC_TEMPLATES_DIR'];
  if (ntc) dirs.push(ntc);
  dirs.push(SHIPPED_TEMPLATES);
  return [...new Set(dirs.map((d) => resolve(d)))];
}

export interface FoundTemplates {
  dir: string;
  /** Absolute template paths, in index order. */
  paths: string[];
  /** The index line that matched, as file:line. */
  where: string;
}

/** The template(s) for a platform and command, or undefined when no folder's index has a row. */
export function findTemplates(dirs: string[], platform: string, command: string): FoundTemplates | undefined {
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    const index = loadIndex(dir);
    if (!index) continue;
    const row = findRow(index, { Platform: platform, Command: command });
    if (row)
      return { dir, paths: row.templates.map((t) => join(dir, t)), where: `${index.file}:${row.pos.line}` };
  }
  return undefined;
}

/** The usage error for a command no index knows (exit 2), naming what was searched. */
export function noTemplateError(dirs: string[], platform: string, command: string): RunbookError {
  return new RunbookError(
    'E_TEXTFSM_NO_TEMPLATE',
    `no TextFSM template for platform '${platform}', command '${command}' (searched: ${dirs.join(', ')})`,
    {
      hint: 'pass --templates DIR with an index row for it, set NTC_TEMPLATES_DIR to an ntc-templates templates folder, or name a template file',
    },
  );
}

/** Parse output by index lookup (ntc-templates' parse_output). Throws when no template matches. */
export function parseOutput(opts: {
  dirs: string[];
  platform: string;
  command: string;
  text: string;
}): ParsedRecord[] {
  const found = findTemplates(opts.dirs, opts.platform, opts.command);
  if (!found) throw noTemplateError(opts.dirs, opts.platform, opts.command);
  return parseWithTemplates(found.paths, opts.text);
}
