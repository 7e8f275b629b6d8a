/**
 * Values restored from a journal are device text and user input from an earlier session, read back
 * from a file anyone with access could have edited: before resume uses them they are checked again
 * against the runbook's declared types (vars and captures), as when they were first accepted.
 */
import type { DeclType } from '../expr/decls.js';
import type { Value } from '../expr/types.js';
import { checkScalar, checkVarValue, quoteForMessage } from '../expr/values.js';
import { RunbookError } from '../errors.js';
import { captureDeclType } from '../match/capture.js';
import type { Runbook, Step } from '../runbook/model.js';

/** Declared types of the names a journal's scope may hold: vars (not secret ones) and captures. */
function declaredTypes(runbook: Runbook): Map<string, (v: unknown, what: string) => void> {
  const out = new Map<string, (v: unknown, what: string) => void>();
  for (const d of runbook.vars) {
    if (d.secret) continue;
    // null: an optional var without a value (a part's parameter named like it restores it so)
    out.set(d.name, (v) => void (v === null && !d.required ? null : checkVarValue(d, v)));
  }
  const visit = (steps: readonly Step[]): void => {
    for (const s of steps) {
      if (s.onFailure.kind === 'steps') visit(s.onFailure.steps);
      if (s.kind === 'group') visit(s.steps);
      else if (s.kind === 'choose') for (const b of s.branches) visit(b.steps);
      else if (s.kind === 'command')
        for (const c of s.captures) {
          const type = captureDeclType(c);
          out.set(c.name, (v, what) => checkDecl(type, v, what));
        }
    }
  };
  visit(runbook.steps);
  return out;
}

function checkDecl(type: DeclType, value: unknown, what: string): void {
  switch (type.kind) {
    case 'dyn':
      return;
    case 'scalar':
      if (value === null) return; // an optional group that did not match
      checkScalar(type.spec, value, what);
      return;
    case 'list':
      if (!Array.isArray(value))
        throw new RunbookError('E_VAR_INVALID', `${what}: ${quoteForMessage(value)} is not a list`);
      value.forEach((x, i) => checkDecl(type.items, x, `${what} item ${i + 1}`));
      return;
    case 'map': {
      if (value === null && type.nullable) return;
      if (value === null || typeof value !== 'object' || Array.isArray(value))
        throw new RunbookError('E_VAR_INVALID', `${what}: ${quoteForMessage(value)} is not a record`);
      // a field may be absent (a default record's, an empty TextFSM column typed other than string)
      for (const [k, t] of Object.entries(type.fields)) {
        const field = (value as Record<string, unknown>)[k];
        if (field !== undefined) checkDecl(t, field, `${what}.${k}`);
      }
      return;
    }
  }
}

/**
 * Checks the scopes resume restores. Throws E_RUN_CORRUPT naming the host, the step and the value
 * that no longer satisfies its type.
 */
export function recheckRestored(
  runbook: Runbook,
  host: string,
  completed: ReadonlyMap<string, { scope: Record<string, Value> }>,
): void {
  const types = declaredTypes(runbook);
  const problems: string[] = [];
  for (const [key, { scope }] of completed) {
    for (const [name, value] of Object.entries(scope)) {
      const check = types.get(name);
      if (!check) continue;
      try {
        check(value, `'${name}'`);
      } catch (err) {
        if (!(err instanceof RunbookError)) throw err;
        problems.push(`host ${host}, after step ${key}: ${err.message}`);
      }
    }
  }
  if (problems.length > 0)
    throw new RunbookError(
      'E_RUN_CORRUPT',
      `the journal holds values that fail their declared types:\n${problems.join('\n')}`,
      {
        hint: 'the journal was edited or written by another version of the runbook; check the device by hand, then run the runbook afresh for this host',
      },
    );
}
