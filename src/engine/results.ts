/**
 * A step's `result:` evaluated into one row of the host's results table. Columns were typed at
 * validate time; the value is checked again here (a scalar or a list of scalars), so a row never
 * holds a map whatever the device printed. A column that reads a secret name is recorded as the
 * mask; secret text anywhere is masked when the event is emitted.
 */
import { RunbookError } from '../errors.js';
import type { Scope, Value } from '../expr/types.js';
import { MASK } from '../redact.js';
import type { ResultColumn, StepKind } from '../runbook/model.js';
import type { StepOutcome } from './events.js';

/**
 * Whether a step's `result:` is evaluated at its end: when it ended `ok`, or it is an `end` step
 * that was reached (it records before the run ends). Not when it was skipped, would-run in a
 * dry-run, restored (its rows come from the checkpoint), failed, or a group whose body stopped
 * early: names its steps did not bind would still hold earlier values (the previous iteration's).
 */
export function recordsAfter(kind: StepKind, outcome: StepOutcome): boolean {
  return outcome === 'ok' || (kind === 'end' && outcome === 'ended');
}

/** The row of `columns` in `scope`; throws RunbookError E_EXPR naming the step and the column. */
export function evaluateRow(
  stepId: string,
  columns: readonly ResultColumn[],
  scope: Scope,
): Record<string, Value> {
  const fields: Record<string, Value> = {};
  for (const col of columns) {
    let value: Value;
    try {
      value = col.expr.evaluate(scope);
    } catch (err) {
      if (!(err instanceof RunbookError)) throw err;
      throw new RunbookError(
        'E_EXPR',
        `result column '${col.name}' of step '${stepId}': ${err.message}`,
        err.hint ? { hint: err.hint } : {},
      );
    }
    if (!plain(value))
      throw new RunbookError(
        'E_EXPR',
        `result column '${col.name}' of step '${stepId}': \`${col.expr.source}\` gave a map, not a string, number, bool or list of those`,
        { hint: 'pick the field you want, e.g. `x.peer`' },
      );
    fields[col.name] = col.secret ? MASK : value;
  }
  return fields;
}

function scalar(v: Value): boolean {
  return v === null || typeof v !== 'object';
}

function plain(v: Value): boolean {
  return scalar(v) || (Array.isArray(v) && v.every(scalar));
}
