/**
 * ajv errors of a data file (device models, test suites) as file:line:col diagnostics: one per
 * problem, at the offending key or value, with a "did you mean" for misspelt fields. The runbook
 * schema has its own, richer explainer (schema.ts).
 */
import type { ErrorObject } from 'ajv';
import type { Diagnostic } from '../errors.js';
import { pointerPath } from './schema.js';
import type { SourceDoc } from './source.js';
import { closest } from '../suggest.js';

/** `what` names the document in messages, e.g. 'the device model'. */
export function explainSchemaErrors(errors: ErrorObject[], doc: SourceDoc, what: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  // errors inside a failed oneOf branch are noise: the oneOf error says it once
  const oneOf = errors.filter((e) => e.keyword === 'oneOf').map((e) => e.instancePath);
  for (const e of errors) {
    if (
      e.keyword !== 'oneOf' &&
      oneOf.some((p) => e.instancePath === p || e.instancePath.startsWith(`${p}/`))
    )
      continue;
    const path = pointerPath(e.instancePath, doc.data);
    const name =
      path.length === 0
        ? what
        : `'${path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i > 0 ? '.' : ''}${p}`)).join('')}'`;
    let d: Diagnostic;
    if (e.keyword === 'additionalProperties') {
      const field = String((e.params as { additionalProperty: string }).additionalProperty);
      const allowed = Object.keys((e.parentSchema as { properties?: object }).properties ?? {});
      const guess = closest(field, allowed);
      d = {
        pos: doc.keyPos([...path, field]),
        message: `unknown field '${field}' in ${name}${guess ? ` (did you mean '${guess}'?)` : ''}`,
        hint: `allowed fields: ${allowed.join(', ')}`,
      };
    } else if (e.keyword === 'required') {
      const prop = (e.params as { missingProperty: string }).missingProperty;
      d = { pos: doc.valuePos(path), message: `${name} is missing '${prop}'`, hint: `add '${prop}'` };
    } else if (e.keyword === 'enum') {
      const values = (e.params as { allowedValues: unknown[] }).allowedValues;
      d = {
        pos: doc.valuePos(path),
        message: `${name} must be one of ${values.join(', ')}`,
        hint: `write one of: ${values.join(', ')}`,
      };
    } else if (e.keyword === 'propertyNames' || (e.keyword === 'pattern' && e.propertyName !== undefined)) {
      continue; // said by the pattern error of the name itself
    } else {
      d = {
        pos: doc.valuePos(path),
        message: `${name} ${e.message ?? 'is not valid'}`,
        hint: hintFor(e),
      };
    }
    const key = `${d.pos.line}:${d.pos.col}:${d.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(d);
    }
  }
  return out.sort((a, b) => a.pos.line - b.pos.line || a.pos.col - b.pos.col);
}

function hintFor(e: ErrorObject): string {
  if (e.keyword === 'type') return `write ${String((e.params as { type: string }).type)} here`;
  if (e.keyword === 'oneOf') return 'see the schema (editor completion) for the accepted forms';
  if (e.keyword === 'pattern') return `it must match ${String((e.params as { pattern: string }).pattern)}`;
  return 'see the schema for this field';
}
