/**
 * The options every capture shares, regex or TextFSM: `match` first/last/all, `required: true`
 * (no match fails the step, the output quoted) and `default:` (the record a first/last capture
 * gives when nothing matched, typed like its groups or columns). Checked at validate time.
 */
import { RunbookError } from '../errors.js';
import type { Value } from '../expr/types.js';
import { checkScalar } from '../expr/values.js';
import { groupSpec } from '../match/capture.js';
import { isRecord, type CompileCtx } from './ctx.js';
import type { CaptureSpec } from './model.js';
import type { DocPath } from './source.js';

type Raw = Record<string, unknown>;

/**
 * `spec` with `required` and `fallback` set from `raw`, or undefined after diagnostics.
 * `fields` are the names a record of the capture has (groups or scalar columns).
 */
export function withCaptureOptions(
  ctx: CompileCtx,
  spec: CaptureSpec,
  raw: Raw,
  path: DocPath,
  stepId: string,
  fields: string[],
): CaptureSpec | undefined {
  const { doc } = ctx;
  const what = `capture '${spec.name}' of step '${stepId}'`;
  let ok = true;
  const problem = (key: string, message: string, hint: string): void => {
    ok = false;
    ctx.diagnostics.push({ pos: doc.keyPos([...path, key]), message, hint });
  };
  const required = raw.required === true;
  if (required && raw.optional === true)
    problem('required', `${what} is both required and optional`, 'keep one of them');
  if (raw.default !== undefined && required)
    problem(
      'default',
      `${what} is required and has a default`,
      'a default is used when nothing matched; drop one of them',
    );
  if (raw.default !== undefined && spec.mode === 'all')
    problem(
      'default',
      `'default' of ${what} applies to 'match: first' or 'match: last' (a list capture is empty when nothing matched)`,
      "add 'match: first', or remove 'default'",
    );
  let fallback: Record<string, Value> | undefined;
  if (ok && isRecord(raw.default)) {
    fallback = {};
    for (const [field, value] of Object.entries(raw.default)) {
      const at = [...path, 'default', field];
      if (!fields.includes(field)) {
        ok = false;
        ctx.diagnostics.push({
          pos: doc.keyPos(at),
          message: `'default' of ${what} sets '${field}', which its records do not have (fields: ${fields.join(', ')})`,
          hint: "use a group or column name, or fix the name in 'default'",
        });
        continue;
      }
      try {
        fallback[field] = checkScalar(groupSpec(spec, field), value, `default '${field}' of ${what}`);
      } catch (err) {
        if (!(err instanceof RunbookError)) throw err;
        ok = false;
        ctx.diagnostics.push({
          pos: doc.valuePos(at),
          message: err.message,
          ...(err.hint ? { hint: err.hint } : {}),
        });
      }
    }
  }
  if (!ok) return undefined;
  return { ...spec, ...(required ? { required: true } : {}), ...(fallback ? { fallback } : {}) };
}
