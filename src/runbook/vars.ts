/** Runtime variables: `--var name=value` pairs checked against the runbook's typed vars. */
import { RunbookError } from '../errors.js';
import type { Value } from '../expr/types.js';
import { parseVarValue, quoteForMessage } from '../expr/values.js';
import { valueGates } from '../platforms/gates.js';
import { getProfile } from '../platforms/index.js';
import type { Runbook, VarDecl } from './model.js';
import { closest } from '../suggest.js';

/**
 * Resolve runtime vars from `--var k=v` pairs: unknown names, bad values, missing required ones ->
 * RunbookError E_VAR_INVALID (exit 2) naming the var and its type, with a hint. Returns the `vars`
 * scope values (defaults applied; optional vars without default are absent). A later pair for the
 * same name wins. `preset` holds values already checked (from `-e @file`), used for names no pair gives.
 */
export function resolveVars(
  runbook: Runbook,
  pairs: string[],
  preset: ReadonlyMap<string, Value> = new Map(),
): Record<string, Value> {
  const decls = new Map(runbook.vars.map((v) => [v.name, v]));
  const given = new Map<string, string>();
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      throw new RunbookError('E_VAR_INVALID', `--var '${pair}' is not of the form name=value`, {
        hint: `write e.g. --var ${runbook.vars[0]?.name ?? 'name'}=value`,
      });
    }
    const name = pair.slice(0, eq).trim();
    if (!decls.has(name)) {
      const guess = closest(name, decls.keys());
      const known = runbook.vars.map((v) => `${v.name} (${typeName(v)})`).join(', ');
      throw new RunbookError(
        'E_VAR_INVALID',
        `--var ${name}: runbook '${runbook.name}' has no variable '${name}'${guess ? ` (did you mean '${guess}'?)` : ''}`,
        {
          hint: known ? `its variables: ${known}` : 'this runbook declares no variables',
        },
      );
    }
    given.set(name, pair.slice(eq + 1));
  }
  const out: Record<string, Value> = {};
  const missing: VarDecl[] = [];
  const gates = valueGates([getProfile(runbook.platform)]);
  for (const decl of runbook.vars) {
    const raw = given.get(decl.name);
    if (raw !== undefined) {
      try {
        out[decl.name] = parseVarValue(decl, raw, gates);
      } catch (err) {
        if (!(err instanceof RunbookError)) throw err;
        const shown = decl.secret
          ? err.message.split(quoteForMessage(raw)).join('(secret value)')
          : err.message;
        throw new RunbookError(
          'E_VAR_INVALID',
          `${shown} (variable '${decl.name}' is ${typeName(decl)})`,
          err.hint ? { hint: err.hint } : {},
        );
      }
    } else if (preset.has(decl.name)) {
      out[decl.name] = preset.get(decl.name)!;
    } else if (decl.default !== undefined) {
      out[decl.name] = decl.default;
    } else if (decl.required) {
      missing.push(decl);
    }
  }
  if (missing.length > 0) {
    const list = missing
      .map((d) => `'${d.name}' (${typeName(d)}${d.description ? `: ${d.description}` : ''})`)
      .join(', ');
    throw new RunbookError(
      'E_VAR_INVALID',
      `runbook '${runbook.name}' needs ${missing.length === 1 ? 'variable' : 'variables'} ${list}`,
      {
        hint: `give ${missing.map((d) => `--var ${d.name}=<${typeName(d)}>`).join(' ')}`,
      },
    );
  }
  return out;
}

/** `ipv4`, `enum of a|b`, `list of ipv4`, `string matching /x/`. */
function typeName(decl: VarDecl): string {
  if (decl.type === 'enum') return `enum of ${(decl.values ?? []).join('|')}`;
  if (decl.type === 'list')
    return `list of ${decl.items?.type === 'enum' ? `enum of ${(decl.items.values ?? []).join('|')}` : (decl.items?.type ?? 'string')}`;
  if (decl.type === 'string' && decl.pattern) return `string matching /${decl.pattern}/`;
  return decl.type;
}
