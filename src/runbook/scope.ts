/**
 * The names visible at one place of a runbook while it is compiled, in document order:
 * vars, `vars` and `host` first; then every capture and `set` name bound by an earlier step (a
 * name stays visible after its group ends); loop variables only inside their group.
 */
import type { DeclType, NameDecl } from '../expr/decls.js';
import { ExprEnv } from '../expr/env.js';

/** `host` as expressions see it. */
export const HOST_DECL: NameDecl = {
  name: 'host',
  type: {
    kind: 'map',
    fields: {
      name: { kind: 'scalar', spec: { type: 'string' } },
      address: { kind: 'scalar', spec: { type: 'string' } },
      port: { kind: 'scalar', spec: { type: 'int' } },
      platform: { kind: 'scalar', spec: { type: 'string' } },
    },
  },
};

/** `run` as expressions see it: `run.dry_run` is true under --dry-run (messages can say "would"). */
export const RUN_DECL: NameDecl = {
  name: 'run',
  type: { kind: 'map', fields: { dry_run: { kind: 'scalar', spec: { type: 'bool' } } } },
};

/** `output`, `exit_code` and `attempt` (1 for the first try): visible in `expect.expression` and `retry.until` only. */
export const RESULT_DECLS: NameDecl[] = [
  { name: 'output', type: { kind: 'scalar', spec: { type: 'string' } } },
  { name: 'exit_code', type: { kind: 'scalar', spec: { type: 'int' } } },
  { name: 'attempt', type: { kind: 'scalar', spec: { type: 'int' } } },
];

/** Names no capture, `set` or loop variable may bind. */
export const RESERVED_NAMES = new Set(['vars', 'host', 'run', ...RESULT_DECLS.map((d) => d.name)]);

export class NameScope {
  private readonly bound: NameDecl[] = [];
  private readonly locals: NameDecl[] = [];
  private cached: ExprEnv | undefined;

  constructor(private readonly base: NameDecl[]) {}

  /** Bind a name for the rest of the document (captures, `set`). */
  bind(decl: NameDecl): void {
    this.bound.push(decl);
    this.cached = undefined;
  }

  /** Run `fn` with a loop variable visible. */
  withLocal<T>(decl: NameDecl, fn: () => T): T {
    this.locals.push(decl);
    this.cached = undefined;
    try {
      return fn();
    } finally {
      this.locals.pop();
      this.cached = undefined;
    }
  }

  /** Run `fn` with several names visible (a part's parameters). */
  withLocals<T>(decls: NameDecl[], fn: () => T): T {
    const [first, ...rest] = decls;
    return first ? this.withLocal(first, () => this.withLocals(rest, fn)) : fn();
  }

  /** The env of the current place, plus `extra` names (step-local). */
  env(extra: NameDecl[] = []): ExprEnv {
    this.cached ??= new ExprEnv([...this.base, ...this.bound, ...this.locals]);
    return extra.length > 0 ? this.cached.with(extra) : this.cached;
  }

  /** The declaration of a name in the base (vars, `vars`, `host`), if any. */
  baseDecl(name: string): NameDecl | undefined {
    return this.base.find((d) => d.name === name);
  }

  isVar(name: string): boolean {
    return this.base.some((d) => d.name === name) && !RESERVED_NAMES.has(name);
  }
}

/** The declared type of a dotted name path (`events`, `vars.peers`) in an env, if it is one. */
export function declTypeOfPath(env: ExprEnv, source: string): DeclType | undefined {
  const parts = source.trim().split('.');
  if (!parts.every((p) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(p))) return undefined;
  let type = env.decl(parts[0]!)?.type;
  for (const p of parts.slice(1)) type = type?.kind === 'map' ? type.fields[p] : undefined;
  return type;
}

/** A DeclType for a CEL result type such as `int`, `string`, `list<int>`; anything else is dyn. */
export function declTypeOfCel(celType: string): DeclType {
  const scalar = (t: string): DeclType | undefined =>
    t === 'int'
      ? { kind: 'scalar', spec: { type: 'int' } }
      : t === 'bool'
        ? { kind: 'scalar', spec: { type: 'bool' } }
        : t === 'string'
          ? { kind: 'scalar', spec: { type: 'string' } }
          : undefined;
  const list = /^list<(.+)>$/.exec(celType);
  if (list) {
    const item = scalar(list[1]!);
    return item ? { kind: 'list', items: item } : { kind: 'list', items: { kind: 'dyn' } };
  }
  return scalar(celType) ?? { kind: 'dyn' };
}
