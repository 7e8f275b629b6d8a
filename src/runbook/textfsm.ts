/**
 * Compile a TextFSM capture (`capture: {name: {textfsm: true | FILE, types: {...}}}`): find the
 * template now, so a missing template, a broken one, or a typed column it does not have is a
 * validation error at the capture, and the capture's records are declared with the template's
 * column names (an expression reading `r.stat` of a table with `state` fails validation).
 * `textfsm: true` looks up the index row for the platform's ntc-templates name and the command
 * (its `{{ }}` parts read as a placeholder word); a file name is taken relative to the runbook,
 * then looked for in each template folder (the runbook's `templates:`, $NTC_TEMPLATES_DIR, the
 * shipped templates). Reading templates is the only file access of compilation.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { RunbookError } from '../errors.js';
import { findTemplates } from '../parse/lookup.js';
import { templateColumns, type TextfsmColumn } from '../parse/records.js';
import { isRecord, type CompileCtx, type TemplateSearch } from './ctx.js';
import type { CaptureSpec, ScalarType } from './model.js';
import type { DocPath } from './source.js';

type Raw = Record<string, unknown>;

const REGEX_ONLY = ['match', 'reverse', 'unique', 'flags', 'optional'] as const;

function resolveNamed(search: TemplateSearch, name: string): string | undefined {
  const direct = isAbsolute(name) ? name : resolve(search.base, name);
  if (existsSync(direct)) return direct;
  if (name.includes('/')) return undefined;
  return search.dirs.map((d) => join(d, name)).find((p) => existsSync(p));
}

export function compileTextfsmCapture(
  ctx: CompileCtx,
  name: string,
  raw: Raw,
  path: DocPath,
  stepId: string,
  command: string,
): CaptureSpec | undefined {
  const { doc } = ctx;
  const at = doc.valuePos([...path, 'textfsm']);
  let ok = true;
  for (const key of REGEX_ONLY) {
    if (raw[key] === undefined) continue;
    ok = false;
    ctx.diagnostics.push({
      pos: doc.keyPos([...path, key]),
      message: `'${key}' of capture '${name}' of step '${stepId}' applies to regex captures; a textfsm capture is always the list of records`,
      hint: `remove '${key}' (filter the records in an expression instead, e.g. ${name}.filter(r, r.state == 'down'))`,
    });
  }
  const search = ctx.templates;
  let paths: string[] | undefined;
  if (raw.textfsm === true) {
    if (!ctx.profile) return undefined;
    const platform = ctx.profile.ntcPlatform;
    if (platform === undefined) {
      ctx.diagnostics.push({
        pos: at,
        message: `capture '${name}' of step '${stepId}': platform '${ctx.profile.name}' names no ntc-templates platform, so no template can be looked up for '${command}'`,
        hint: `name the template file (textfsm: FILE), or add ntc_platform to ${ctx.profile.file}`,
      });
      return undefined;
    }
    const found = findTemplates(search.dirs, platform, command);
    if (!found) {
      ctx.diagnostics.push({
        pos: at,
        message: `capture '${name}' of step '${stepId}': no TextFSM template for platform '${platform}', command '${command}' (searched: ${search.dirs.join(', ')})`,
        hint: "add a row for it to the index of your runbook's `templates:` folder, set NTC_TEMPLATES_DIR, or name a template file: `textfsm: my_template.textfsm`",
      });
      return undefined;
    }
    paths = found.paths;
  } else {
    const file = String(raw.textfsm);
    const found = resolveNamed(search, file);
    if (!found) {
      ctx.diagnostics.push({
        pos: at,
        message: `capture '${name}' of step '${stepId}': TextFSM template '${file}' not found (looked beside the runbook and in: ${search.dirs.join(', ')})`,
        hint: 'give a path relative to the runbook, or the file name of a template in one of those folders',
      });
      return undefined;
    }
    paths = [found];
  }
  let columns: TextfsmColumn[];
  try {
    columns = templateColumns(paths);
  } catch (err) {
    if (!(err instanceof RunbookError)) throw err;
    ctx.diagnostics.push({
      pos: at,
      message: `capture '${name}' of step '${stepId}': ${err.message}`,
      ...(err.hint ? { hint: err.hint } : {}),
    });
    return undefined;
  }
  const types = (isRecord(raw.types) ? raw.types : {}) as Record<string, ScalarType>;
  for (const col of Object.keys(types)) {
    const c = columns.find((x) => x.name === col);
    if (c && !c.groups) continue;
    ok = false;
    ctx.diagnostics.push({
      pos: doc.keyPos([...path, 'types', col]),
      message: c
        ? `capture '${name}' of step '${stepId}' gives a type to column '${col}', whose items are records`
        : `capture '${name}' of step '${stepId}' gives a type to column '${col}', which its template does not have (columns: ${columns.map((x) => x.name).join(', ')})`,
      hint: c
        ? 'type the fields in an expression instead'
        : "use a column name of the template (lower case), or fix the name in 'types'",
    });
  }
  if (!ok) return undefined;
  return {
    name,
    regex: '',
    flags: '',
    mode: 'all',
    types,
    optional: false,
    textfsm: { templates: paths, columns },
    pos: doc.keyPos(path),
  };
}
