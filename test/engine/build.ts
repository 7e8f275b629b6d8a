/**
 * Hand-built runbook models for executor unit tests (the YAML compiler has its own tests).
 * Expressions are real CEL compiled by ExprEnv; every identifier they use is declared `dyn`.
 */
import { ExprEnv } from '../../src/expr/env.js';
import type { CompiledExpr, Template } from '../../src/expr/types.js';
import type {
  CaptureSpec,
  CommandStep,
  Matcher,
  OnFailure,
  Runbook,
  Step,
  VarDecl,
} from '../../src/runbook/model.js';
import type { PlatformName } from '../../src/platforms/types.js';

const pos = { file: 'test.yaml', line: 1, col: 1 };
const NOT_NAMES = new Set([
  'true',
  'false',
  'null',
  'in',
  'size',
  'has',
  'int',
  'string',
  'matches',
  'contains',
  'startsWith',
  'endsWith',
  'exists',
  'all',
  'map',
  'filter',
  'exists_one',
  'double',
  'bool',
  'type',
  'uint',
]);

function envFor(source: string): ExprEnv {
  const names = new Set<string>();
  for (const m of source.matchAll(/(^|[^.\w])([A-Za-z_]\w*)/g)) if (!NOT_NAMES.has(m[2]!)) names.add(m[2]!);
  // identifiers inside string literals are harmless extra declarations
  return new ExprEnv([...names].map((name) => ({ name, type: { kind: 'dyn' as const } })));
}

export const expr = (source: string): CompiledExpr => envFor(source).compile(source, pos);
export const tpl = (source: string): Template => {
  const inner = [...source.matchAll(/\{\{(.*?)\}\}/g)].map((m) => m[1]).join(' ');
  return envFor(inner).compileTemplate(source, pos);
};

const base = (id: string, extra: { when?: string; onFailure?: OnFailure }) => ({
  id,
  name: id,
  onFailure: extra.onFailure ?? ({ kind: 'abort' } as OnFailure),
  pos,
  ...(extra.when ? { when: expr(extra.when) } : {}),
});

export interface CmdOpts {
  when?: string;
  changes?: string;
  expect?: Matcher;
  capture?: Record<
    string,
    { regex: string; mode?: CaptureSpec['mode']; types?: CaptureSpec['types']; optional?: boolean }
  >;
  retry?: { times: number; delayMs?: number; until?: string };
  dialogs?: CommandStep['dialogs'];
  expectDisconnect?: boolean;
  timeoutMs?: number;
  okExitCodes?: number[];
  onFailure?: OnFailure;
}

export function cmd(id: string, run: string, o: CmdOpts = {}): CommandStep {
  const step: CommandStep = {
    ...base(id, o),
    kind: 'command',
    run: tpl(run),
    disruptive: o.changes !== undefined,
    captures: Object.entries(o.capture ?? {}).map(([name, c]) => ({
      name,
      regex: c.regex,
      flags: '',
      mode: c.mode ?? 'first',
      types: c.types ?? {},
      optional: c.optional ?? false,
      pos,
    })),
    dialogs: o.dialogs ?? [],
    expectDisconnect: o.expectDisconnect ?? false,
    okExitCodes: o.okExitCodes ?? [0],
  };
  if (o.changes !== undefined) step.impact = tpl(o.changes);
  if (o.expect) step.expect = o.expect;
  if (o.retry) {
    step.retry = {
      times: o.retry.times,
      delayMs: o.retry.delayMs ?? 1000,
      ...(o.retry.until ? { until: expr(o.retry.until) } : {}),
    };
  }
  if (o.timeoutMs !== undefined) step.timeoutMs = o.timeoutMs;
  return step;
}

export const contains = (text: string): Matcher => ({ kind: 'contains', text, pos });
export const expectExpr = (source: string): Matcher => ({ kind: 'expression', expr: expr(source), pos });

export function group(
  id: string,
  steps: Step[],
  o: { when?: string; forEach?: string; as?: string; onFailure?: OnFailure } = {},
): Step {
  return {
    ...base(id, o),
    kind: 'group',
    steps,
    ...(o.forEach ? { forEach: { items: expr(o.forEach), as: o.as ?? 'item' } } : {}),
  };
}

export function choose(
  id: string,
  branches: { when?: string; steps: Step[] }[],
  o: { when?: string } = {},
): Step {
  return {
    ...base(id, o),
    kind: 'choose',
    branches: branches.map((b) => ({ steps: b.steps, pos, ...(b.when ? { when: expr(b.when) } : {}) })),
  };
}

export function end(id: string, status: 'ok' | 'failed', message: string, o: { when?: string } = {}): Step {
  return { ...base(id, o), kind: 'end', status, message: tpl(message) };
}

export function assertStep(id: string, that: string, message?: string): Step {
  return { ...base(id, {}), kind: 'assert', that: expr(that), ...(message ? { message: tpl(message) } : {}) };
}

export function setStep(id: string, values: Record<string, string>): Step {
  return {
    ...base(id, {}),
    kind: 'set',
    values: Object.entries(values).map(([name, source]) => ({ name, expr: expr(source) })),
  };
}

export function runbook(
  steps: Step[],
  o: { platform?: PlatformName; vars?: Partial<VarDecl>[] } = {},
): Runbook {
  return {
    name: 'test',
    description: 'test runbook',
    platform: o.platform ?? 'cisco-iosxe',
    vars: (o.vars ?? []).map((v) => ({
      name: v.name!,
      type: v.type ?? 'string',
      required: false,
      secret: false,
      pos,
      ...v,
    })),
    steps,
    file: '/tmp/test.yaml',
    contentHash: '0'.repeat(64),
  };
}
