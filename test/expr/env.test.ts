import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import type { SourcePos } from '../../src/errors.js';
import type { NameDecl } from '../../src/expr/decls.js';
import { ExprEnv } from '../../src/expr/env.js';
import { runbookVarDecls, varsScope } from '../../src/expr/values.js';
import type { VarDecl } from '../../src/runbook/model.js';
import { exprError } from '../helpers/errors.js';

const pos: SourcePos = { file: 'rb.yaml', line: 7, col: 15 };
const int = { kind: 'scalar', spec: { type: 'int' } } as const;
const ipv4 = { kind: 'scalar', spec: { type: 'ipv4' } } as const;
const str = { kind: 'scalar', spec: { type: 'string' } } as const;

function v(name: string, type: VarDecl['type'], extra: Partial<VarDecl> = {}): VarDecl {
  return { name, type, required: false, secret: false, pos, ...extra };
}

const decls: NameDecl[] = [
  ...runbookVarDecls([
    v('peer', 'ipv4'),
    v('sdwan', 'bool'),
    v('escalation', 'list', { items: { type: 'enum', values: ['port_hop', 'omp'] } }),
  ]),
  { name: 'decaps', type: { kind: 'map', fields: { n: int } } },
  { name: 'events', type: { kind: 'list', items: { kind: 'map', fields: { peer: ipv4, iface: str } } } },
  { name: 'maybe', type: { kind: 'map', fields: { n: int }, nullable: true } },
];
const env = new ExprEnv(decls);

function diagnostics(f: () => unknown) {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).diagnostics;
  }
  throw new Error('expected a ValidationError');
}

describe('ExprEnv.compile', () => {
  it('type-checks and evaluates an int field of a capture record', () => {
    const e = env.compile('decaps.n > 0', pos);
    expect(e.refs).toEqual(['decaps']);
    expect(e.type).toBe('bool');
    expect(e.evaluate({ decaps: { n: 4n } })).toBe(true);
    expect(e.evaluate({ decaps: { n: 0n } })).toBe(false);
  });

  it('accepts plain numbers for declared ints in the scope', () => {
    expect(env.compile('decaps.n + 1', pos).evaluate({ decaps: { n: 4 } })).toBe(5n);
  });

  it('reports a syntax error at the column where CEL stopped', () => {
    const [d] = diagnostics(() => env.compile('peer == ', pos));
    expect(d!.pos).toEqual({ file: 'rb.yaml', line: 7, col: 15 + 8 });
    expect(d!.message).toBe('syntax error: Unexpected token: EOF in `peer == `');
    expect(d!.hint).toContain('CEL');
  });

  it('reports an unknown name with the known names and a did-you-mean hint', () => {
    const [d] = diagnostics(() => env.compile('size(events) > 0 && peerr == "1.1.1.1"', pos));
    expect(d!.pos.col).toBe(15 + 20);
    expect(d!.message).toBe(
      "unknown name 'peerr' (known: decaps, escalation, events, maybe, peer, sdwan, vars)",
    );
    expect(d!.hint).toBe("did you mean 'peer'?");
  });

  it('refuses adding an int to an ipv4 peer, with the declared types in the hint', () => {
    const [d] = diagnostics(() => env.compile('peer + 1', pos));
    expect(d!.message).toBe('type error: no such overload: string + int in `peer + 1`');
    expect(d!.hint).toContain('peer: ipv4');
  });

  it('refuses an unknown field of a capture record at the field', () => {
    const [d] = diagnostics(() => env.compile('decaps.nn > 0', pos));
    expect(d!.pos.col).toBe(15 + 7);
    expect(d!.message).toBe("unknown field 'nn' of `decaps` (fields: n)");
    expect(d!.hint).toBe("did you mean 'n'?");
  });

  it('refuses an unknown field inside a macro over a list of records', () => {
    const [d] = diagnostics(() => env.compile('events.exists(e, e.peerr == "x")', pos));
    expect(d!.message).toContain("unknown field 'peerr' of `e`");
  });

  it('refuses has() of a field that is not declared', () => {
    const [d] = diagnostics(() => env.compile('has(vars.peeer)', pos));
    expect(d!.message).toBe("unknown field 'peeer' of `vars` (fields: escalation, peer, sdwan)");
    expect(d!.hint).toBe("did you mean 'peer'?");
  });

  it('checks the result type when asked', () => {
    const [d] = diagnostics(() => env.compile('decaps.n', pos, { type: 'bool' }));
    expect(d!.message).toBe('expression must be a bool, but `decaps.n` is int');
    expect(env.compile('events', pos, { type: 'list' }).type).toBe('list<{peer: ipv4; iface: string}>');
  });

  it('refuses an empty expression', () => {
    expect(diagnostics(() => env.compile('  ', pos))[0]!.message).toBe('empty expression');
  });

  it('does not add offsets to the column for multi-line text', () => {
    const [d] = diagnostics(() => env.compile('size(events) > 0 &&\n  peerr', pos));
    expect(d!.pos).toEqual(pos);
  });

  it('lists top-level refs, not macro variables', () => {
    const e = env.compile('events.exists(e, e.peer == peer) || has(vars.peer)', pos);
    expect([...e.refs].sort()).toEqual(['events', 'peer', 'vars']);
  });
});

describe('optional vars and the vars record', () => {
  const optional = env.compile('has(vars.peer) ? vars.peer : "none"', pos);

  it('has(vars.peer) is false when the optional var has no value', () => {
    expect(optional.evaluate(varsScope({ sdwan: false }))).toBe('none');
  });

  it('has(vars.peer) is true when it has one', () => {
    expect(optional.evaluate(varsScope({ peer: '10.20.20.1' }))).toBe('10.20.20.1');
  });

  it('reading an optional var that has no value is an E_EXPR naming it', () => {
    const err = exprError(() => env.compile('peer == "1.1.1.1"', pos).evaluate(varsScope({})));
    expect(err.message).toBe('rb.yaml:7:15: peer == "1.1.1.1": Unknown variable: peer');
    expect(err.hint).toContain('has(vars.peer)');
  });

  it('the vars record is made from the scope when the scope does not carry it', () => {
    expect(optional.evaluate({ peer: '10.20.20.1' })).toBe('10.20.20.1');
    expect(optional.evaluate({})).toBe('none');
  });

  it('list vars are lists of their items', () => {
    const e = env.compile('"omp" in escalation && size(escalation) == 2', pos);
    expect(e.evaluate(varsScope({ escalation: ['port_hop', 'omp'] }))).toBe(true);
  });
});

describe('evaluation', () => {
  it('wraps division by zero as E_EXPR with position and expression', () => {
    const err = exprError(() => env.compile('10 / decaps.n', pos).evaluate({ decaps: { n: 0n } }));
    expect(err.message).toBe('rb.yaml:7:15: 10 / decaps.n: division by zero (decaps = {n: 0})');
    expect(err.hint).toContain('guard');
  });

  it('an absent field (optional group that did not match) reads as absent for has()', () => {
    const e = env.compile('events.filter(e, !has(e.iface)).map(e, e.peer)', pos);
    const events = [
      { peer: '10.20.20.1', iface: 'Tunnel10001' },
      { peer: '10.40.40.1', iface: null },
    ];
    expect(e.evaluate({ events })).toEqual(['10.40.40.1']);
  });

  it('reading an absent field is an E_EXPR that suggests has()', () => {
    const err = exprError(() =>
      env.compile('events[0].iface == "x"', pos).evaluate({ events: [{ peer: '10.40.40.1', iface: null }] }),
    );
    expect(err.message).toContain('No such key: iface');
    expect(err.hint).toContain('has(');
  });

  it('a nullable capture can be compared with null', () => {
    const e = env.compile('maybe != null && maybe.n > 1', pos);
    expect(e.evaluate({ maybe: null })).toBe(false);
    expect(e.evaluate({ maybe: { n: 5n } })).toBe(true);
  });

  it('returns records as plain objects and lists as arrays', () => {
    const e = env.compile('events.filter(e, e.peer.startsWith("10.2"))', pos);
    expect(
      e.evaluate({
        events: [
          { peer: '10.20.20.1', iface: 'Tu1' },
          { peer: '10.40.40.1', iface: 'Tu2' },
        ],
      }),
    ).toEqual([{ peer: '10.20.20.1', iface: 'Tu1' }]);
  });
});

describe('declType of a result', () => {
  it('is exact for names and record fields, derived from CEL otherwise', () => {
    expect(env.compile('peer', pos).declType).toEqual(ipv4);
    expect(env.compile('events[0]', pos).declType).toEqual({
      kind: 'map',
      fields: { peer: ipv4, iface: str },
    });
    expect(env.compile('events', pos).declType).toEqual(decls.find((d) => d.name === 'events')!.type);
    expect(env.compile('events.map(e, e.peer)', pos).declType).toEqual({ kind: 'list', items: str });
    expect(env.compile('size(events)', pos).declType).toEqual(int);
    expect(env.compile('maybe', pos).declType).toEqual(decls.find((d) => d.name === 'maybe')!.type);
    expect(env.compile('dyn(size(events))', pos).declType).toEqual({ kind: 'dyn' });
  });
});

describe('with()', () => {
  it('adds names and allows shadowing without touching the parent', () => {
    const child = env.with([
      { name: 'peer', type: int },
      { name: 'output', type: str },
    ]);
    expect(child.has('output')).toBe(true);
    expect(env.has('output')).toBe(false);
    expect(child.compile('peer + 1', pos).evaluate({ peer: 2n })).toBe(3n);
    expect(() => env.compile('output.contains("x")', pos)).toThrow(ValidationError);
  });

  it('refuses a reserved word as a name', () => {
    expect(() => new ExprEnv([{ name: 'loop', type: str }])).toThrow(/reserved word/);
  });
});
