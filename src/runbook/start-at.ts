/**
 * What `--start-at STEP` would leave unbound: the names that steps skipped before STEP bind
 * (captures, `set`) and that STEP or a later step reads before any of them binds it again.
 * Static, from the compiled model, so a run that would end with a half-rendered message or fail
 * at run time is refused before anything connects.
 */
import type { SourcePos } from '../errors.js';
import type { Matcher, Step } from './model.js';

/** A name a skipped step binds and a later step reads. */
export interface UnboundName {
  name: string;
  /** The skipped step that binds it. */
  boundBy: string;
  /** The first step from STEP on that reads it, and where it is. */
  readBy: string;
  readAt: SourcePos;
}

function matcherRefs(m: Matcher): readonly string[] {
  if (m.kind === 'expression') return m.expr.refs;
  if (m.kind === 'all' || m.kind === 'any') return m.of.flatMap(matcherRefs);
  return [];
}

/** Names the step itself reads (not its children); a command's own captures are its own. */
function reads(step: Step): string[] {
  const out = [...(step.when?.refs ?? [])];
  switch (step.kind) {
    case 'command': {
      const own = new Set(step.captures.map((c) => c.name));
      const local = [...(step.expect ? matcherRefs(step.expect) : []), ...(step.retry?.until?.refs ?? [])];
      out.push(...step.run.refs, ...(step.impact?.refs ?? []), ...local.filter((r) => !own.has(r)));
      break;
    }
    case 'group':
      out.push(...(step.forEach?.items.refs ?? []));
      break;
    case 'choose':
      for (const b of step.branches) out.push(...(b.when?.refs ?? []));
      break;
    case 'end':
      out.push(...step.message.refs);
      break;
    case 'assert':
      out.push(...step.that.refs, ...(step.message?.refs ?? []));
      break;
    case 'set':
      out.push(...step.values.flatMap((v) => v.expr.refs));
      break;
  }
  return out;
}

function binds(step: Step): string[] {
  if (step.kind === 'command') return step.captures.map((c) => c.name);
  if (step.kind === 'group') return (step.forEach?.init ?? []).map((i) => i.name);
  if (step.kind === 'set') return step.values.map((v) => v.name);
  return [];
}

function children(step: Step): Step[][] {
  if (step.kind === 'group') return [step.steps];
  if (step.kind === 'choose') return step.branches.map((b) => b.steps);
  return [];
}

function contains(step: Step, id: string): boolean {
  return children(step).some((list) => list.some((c) => c.id === id || contains(c, id)));
}

/** The names `--start-at startAt` leaves unbound for a later step, in document order (one per name). */
export function unboundAtStart(steps: readonly Step[], startAt: string): UnboundName[] {
  const missing = new Map<string, string>();
  const found: UnboundName[] = [];
  let started = false;
  const skip = (s: Step): void => {
    for (const n of binds(s)) missing.set(n, s.id);
    children(s).forEach((list) => list.forEach(skip));
  };
  const read = (s: Step, refs: readonly string[]): void => {
    for (const r of refs) {
      const boundBy = missing.get(r);
      if (boundBy === undefined) continue;
      found.push({ name: r, boundBy, readBy: s.id, readAt: s.pos });
      missing.delete(r);
    }
  };
  // `result:` is read after the step's own binds and children
  const readResult = (s: Step): void => read(s, s.result?.flatMap((c) => c.expr.refs) ?? []);
  const visit = (s: Step): void => {
    read(s, reads(s));
    // an action table binds its record before its steps run
    if (s.kind === 'group') for (const i of s.forEach?.init ?? []) missing.delete(i.name);
    children(s).forEach((list) => list.forEach(visit));
    for (const n of binds(s)) missing.delete(n);
    readResult(s);
  };
  const walk = (list: readonly Step[]): void => {
    for (const s of list) {
      if (started) visit(s);
      else if (s.id === startAt) {
        started = true;
        visit(s);
      } else if (contains(s, startAt)) {
        // Entered without judging its `when`; of a choose, only the branch holding the start runs.
        if (s.kind === 'group') {
          for (const r of s.forEach?.items.refs ?? [])
            if (missing.has(r))
              found.push({ name: r, boundBy: missing.get(r)!, readBy: s.id, readAt: s.pos });
          walk(s.steps);
          readResult(s);
        } else if (s.kind === 'choose') {
          const branch = s.branches.find((b) =>
            b.steps.some((c) => c.id === startAt || contains(c, startAt)),
          );
          if (branch) walk(branch.steps);
          readResult(s);
        }
      } else skip(s);
    }
  };
  walk(steps);
  return found;
}

/** The action table (`actions:`) that holds step `id` inside it, if any: --start-at cannot start there. */
export function tableHolding(steps: readonly Step[], id: string): string | undefined {
  for (const s of steps) {
    if (s.kind === 'group' && s.table && s.id !== id && contains(s, id)) return s.id;
    for (const list of children(s)) {
      const hit = tableHolding(list, id);
      if (hit) return hit;
    }
  }
  return undefined;
}
