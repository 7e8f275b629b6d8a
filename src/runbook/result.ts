/**
 * Compile a step's `result:` (column name -> CEL expression) against the names in scope after the
 * step. A column is typed at validate time: a scalar (string, int, double, bool, uint; ipv4, ipv6
 * and enum values are strings) or a list of scalars. A map, a list of maps, or an expression whose
 * type is only known at run time (`dyn`, e.g. a field of an optional capture) is refused with a
 * hint, so every row of a host's table has the same plain columns.
 */
import type { CompiledCel } from '../expr/decls.js';
import { nameProblem } from '../expr/cel.js';
import { expr, type CompileCtx } from './ctx.js';
import type { ResultColumn } from './model.js';
import type { DocPath } from './source.js';

const SCALARS = new Set(['string', 'int', 'uint', 'double', 'bool']);

/** Whether a CEL result type can be a result column. */
function columnTypeOk(type: string): boolean {
  if (SCALARS.has(type)) return true;
  const list = /^list<(.+)>$/.exec(type);
  return list !== null && SCALARS.has(list[1]!);
}

/** The columns of `raw` (a mapping, already schema-checked), or undefined when any is invalid. */
export function compileResult(
  ctx: CompileCtx,
  raw: Record<string, unknown>,
  path: DocPath,
  stepId: string,
): ResultColumn[] | undefined {
  const columns: ResultColumn[] = [];
  let ok = true;
  for (const [name, source] of Object.entries(raw)) {
    const colPath = [...path, 'result', name];
    const problem = nameProblem(name);
    if (problem) {
      ok = false;
      ctx.diagnostics.push({
        pos: ctx.doc.keyPos(colPath),
        message: `column name in result of step '${stepId}': ${problem}`,
        hint: 'name columns like CEL names, e.g. `peer`, `before_pkts`',
      });
      continue;
    }
    const compiled = expr(ctx, String(source), colPath) as CompiledCel | undefined;
    if (!compiled) {
      ok = false;
      continue;
    }
    if (!columnTypeOk(compiled.type)) {
      ok = false;
      ctx.diagnostics.push({
        pos: compiled.pos,
        message: `column '${name}' in result of step '${stepId}': \`${compiled.source}\` is ${describe(compiled.type)}; a column holds a string, number, bool or a list of those`,
        hint: hintFor(compiled),
      });
      continue;
    }
    columns.push({ name, expr: compiled, type: compiled.type, secret: compiled.secretRefs.length > 0 });
  }
  return ok ? columns : undefined;
}

function describe(type: string): string {
  if (type === 'dyn' || type === 'list' || type === 'list<dyn>')
    return `${type} (its type is known only at run time)`;
  if (type.startsWith('map<') || type.startsWith('{')) return `a map (${type})`;
  if (type.startsWith('list<')) return `a list of maps (${type})`;
  return type;
}

function hintFor(compiled: CompiledCel): string {
  const { type, source, declType } = compiled;
  if (type === 'dyn' || type === 'list' || type === 'list<dyn>')
    return 'convert it to the type you mean, e.g. string(x), int(x), double(x), or give the capture a `default:` so its fields are typed';
  const record = declType.kind === 'list' ? declType.items : declType;
  const field = record.kind === 'map' ? Object.keys(record.fields)[0] : undefined;
  const f = field ?? 'field';
  if (type.startsWith('list<'))
    return `pick one field per item, e.g. \`(${source}).map(x, x.${f})\`, or one column per field`;
  return `pick the field you want, e.g. \`${source}.${f}\`, or one column per field`;
}
