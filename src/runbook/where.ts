/** Human names of places in a runbook document: "step 'x'", "'times' in retry of step 'x'". */
import type { DocPath } from './source.js';

const MATCHER_LISTS = new Set(['expect', 'all', 'any']);

/** "in step 'x'", "in retry of step 'x'", "at the top level", ... */
export function describeWhere(path: DocPath, data: unknown): string {
  const ctx = context(path, data);
  return ctx ? `in ${ctx}` : 'at the top level';
}

/** What the value at `path` is: "step 'x'", "'times' in retry of step 'x'", "var 'peer'". */
export function subject(path: DocPath, data: unknown): string {
  if (path.length === 0) return 'the runbook';
  const last = path[path.length - 1]!;
  const parentPath = path.slice(0, -1);
  if (typeof last === 'number') {
    const own = context(path, data);
    const parentKey = parentPath[parentPath.length - 1];
    if (parentKey === 'steps' || parentKey === 'on_failure' || inTable(parentPath))
      return own ?? `item #${last + 1}`;
    if (parentKey === 'choose' || parentKey === 'dialog') return own!;
    const outer = context(parentPath, data);
    const noun = MATCHER_LISTS.has(String(parentKey)) ? 'matcher' : `item`;
    const of = noun === 'matcher' ? '' : ` of '${String(parentKey)}'`;
    return `${noun} #${last + 1}${of}${outer ? ` in ${outer}` : ''}`;
  }
  const own = context(path, data);
  const outer = context(parentPath, data);
  if (parentPath.length === 1 && parentPath[0] === 'vars') return own!;
  if (parentPath[parentPath.length - 1] === 'types')
    return `type of group '${last}'${outer ? ` in ${outer}` : ''}`;
  if (own && own !== outer) return own;
  return `'${last}'${outer ? ` in ${outer}` : ''}`;
}

/** Innermost named context of a path, or undefined at the top level. */
function context(path: DocPath, data: unknown): string | undefined {
  let ctx: string | undefined;
  let step: string | undefined;
  let cur: unknown = data;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    const prev = path[i - 1];
    cur = isObject(cur) || Array.isArray(cur) ? (cur as Record<string | number, unknown>)[seg] : undefined;
    if (typeof seg === 'number' && (prev === 'steps' || prev === 'on_failure' || inTable(path.slice(0, i)))) {
      const id = isObject(cur) && typeof cur.id === 'string' ? cur.id : undefined;
      step = id !== undefined ? `step '${id}'` : `step #${seg + 1}${step ? ` in ${step}` : ''}`;
      ctx = step;
    } else if (i === 1 && prev === 'vars') {
      ctx = `var '${seg}'`;
    } else if (i === 2 && path[0] === 'vars' && seg === 'items') {
      ctx = `items of ${ctx}`;
    } else if (step && prev === 'capture' && typeof seg === 'string') {
      ctx = `capture '${seg}' of ${step}`;
    } else if (
      step &&
      typeof seg === 'string' &&
      ['retry', 'end', 'expect', 'set', 'result'].includes(seg) &&
      ctx === step
    ) {
      ctx = `${seg} of ${step}`;
    } else if (step && typeof seg === 'number' && prev === 'dialog') {
      ctx = `dialog answer #${seg + 1} of ${step}`;
    } else if (step && typeof seg === 'number' && prev === 'choose') {
      ctx = `choose branch #${seg + 1} of ${step}`;
    }
  }
  return ctx;
}

/** True when `path` is the `try` or `verify` list of an action table (its items are steps). */
function inTable(path: DocPath): boolean {
  const last = path[path.length - 1];
  return (last === 'try' || last === 'verify') && path[path.length - 2] === 'actions';
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
