/** The compiled model: defaults filled once, kinds, disruptive flags, scopes and compiled expressions. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { compileRunbookSource, loadRunbook } from '../../src/runbook/load.js';
import type {
  AssertStep,
  ChooseStep,
  CommandStep,
  EndStep,
  GroupStep,
  Runbook,
  SetStep,
  Step,
} from '../../src/runbook/model.js';

const FIXTURE = 'test/fixtures/valid/all-constructs.yaml';

function find(steps: readonly Step[], id: string): Step | undefined {
  for (const s of steps) {
    if (s.id === id) return s;
    const nested = [
      ...(s.kind === 'group' ? [s.steps] : []),
      ...(s.kind === 'choose' ? s.branches.map((b) => b.steps) : []),
      ...(s.onFailure.kind === 'steps' ? [s.onFailure.steps] : []),
    ];
    for (const list of nested) {
      const hit = find(list, id);
      if (hit) return hit;
    }
  }
  return undefined;
}

function step<K extends Step['kind']>(rb: Runbook, id: string, kind: K): Extract<Step, { kind: K }> {
  const s = find(rb.steps, id);
  expect(s, id).toBeDefined();
  expect(s!.kind).toBe(kind);
  return s as Extract<Step, { kind: K }>;
}

function diagnosticsOf(text: string): string[] {
  try {
    compileRunbookSource(text, 'rb.yaml');
  } catch (err) {
    if (err instanceof ValidationError)
      return err.diagnostics.map((d) => `${d.pos.line}:${d.pos.col} ${d.message}`);
    throw err;
  }
  return [];
}

describe('compiling all-constructs.yaml', () => {
  const rb = compileRunbookSource(readFileSync(FIXTURE, 'utf8'), FIXTURE);

  it('keeps the header, an absolute file and the sha256 of the bytes', () => {
    expect(rb.name).toBe('all-constructs');
    expect(rb.description).toBe('Exercises every field of the v1 format');
    expect(rb.platform).toBe('cisco-iosxe-sdwan');
    expect(rb.file).toBe(resolve(FIXTURE));
    expect(rb.contentHash).toBe(createHash('sha256').update(readFileSync(FIXTURE)).digest('hex'));
  });

  it('types vars and checks their defaults (ints as bigint)', () => {
    const byName = Object.fromEntries(rb.vars.map((v) => [v.name, v]));
    expect(byName.peer).toMatchObject({
      type: 'ipv4',
      required: false,
      secret: false,
      description: 'Peer to recover',
    });
    expect(byName.peer!.default).toBeUndefined();
    expect(byName.attempts!.default).toBe(3n);
    expect(byName.force!.default).toBe(false);
    expect(byName.escalation).toMatchObject({
      type: 'list',
      items: { type: 'enum', values: ['port_hop', 'omp', 'control'] },
      default: ['port_hop', 'omp'],
    });
    expect(byName.token).toMatchObject({ secret: true, required: true });
    expect(byName.tunnel).toMatchObject({ pattern: 'Tunnel[0-9]+', default: 'Tunnel10001' });
    expect(byName.peer!.pos).toMatchObject({ line: 7, col: 3 });
  });

  it('fills step defaults once: name = id, on_failure abort, capture mode first, flags m, exit codes [0]', () => {
    const s = step(rb, 'show-sa', 'command');
    expect(s.name).toBe('show-sa');
    expect(s.onFailure).toEqual({ kind: 'abort' });
    expect(s.okExitCodes).toEqual([0]);
    expect(s.dialogs).toEqual([]);
    expect(s.expectDisconnect).toBe(false);
    expect(s.disruptive).toBe(false);
    expect(s.captures[0]).toMatchObject({
      name: 'decaps',
      mode: 'first',
      flags: 'm',
      optional: false,
      types: { n: 'int' },
    });
    const find = step(rb, 'find-events', 'command');
    expect(find.name).toBe('Find invalid-SPI events');
    expect(find.timeoutMs).toBe(30_000);
    expect(find.captures.map((c) => [c.name, c.mode, c.flags, c.optional])).toEqual([
      ['events', 'all', 'm', false],
      ['newest', 'last', 'i', true],
    ]);
  });

  it('compiles retry with the delay in ms and until', () => {
    const s = step(rb, 'show-sa', 'command');
    expect(s.retry?.times).toBe(12);
    expect(s.retry?.delayMs).toBe(500);
    expect(s.retry?.until?.source).toBe('decaps.n > 0');
    expect(s.retry?.until?.evaluate({ decaps: { n: 3n }, output: '', exit_code: 0n })).toBe(true);
    expect(s.retry?.until?.evaluate({ decaps: { n: 0n }, output: '', exit_code: 0n })).toBe(false);
  });

  it('compiles a list of matchers as all, with nested any', () => {
    const m = step(rb, 'show-sa', 'command').expect!;
    expect(m.kind).toBe('all');
    if (m.kind !== 'all') return;
    expect(m.of.map((x) => x.kind)).toEqual(['contains', 'not_contains', 'any']);
    const any = m.of[2]!;
    if (any.kind !== 'any') throw new Error('not any');
    expect(any.of[0]).toMatchObject({ kind: 'regex', regex: 'current_peer \\d+', flags: 'm' });
    const e = any.of[1]!;
    if (e.kind !== 'expression') throw new Error('not expression');
    expect(e.expr.evaluate({ output: 'interface: Tunnel1', exit_code: -1n, decaps: { n: 1n } })).toBe(true);
  });

  it('marks disruptive steps with their impact; changes: false is not disruptive', () => {
    const rekey = step(rb, 'rekey', 'command');
    expect(rekey.disruptive).toBe(true);
    expect(rekey.impact?.source).toBe('Rekeys ALL SD-WAN tunnels of the device');
    expect(rekey.expectDisconnect).toBe(true);
    expect(rekey.dialogs).toEqual([
      { prompt: '\\[confirm\\]', answer: 'y', newline: true },
      { prompt: 'Proceed\\?', answer: '', newline: false },
    ]);
    const hop = step(rb, 'port-hop', 'command');
    expect(hop.disruptive).toBe(true);
    expect(hop.impact?.render({ color: 'mpls' })).toBe(
      'Moves the mpls TLOC to the next port; flaps its BFD sessions',
    );
    const harmless = step(rb, 'harmless', 'command');
    expect(harmless.disruptive).toBe(false);
    expect(harmless.impact).toBeUndefined();
  });

  it('compiles recovery steps and on_failure continue', () => {
    const rekey = step(rb, 'rekey', 'command');
    expect(rekey.onFailure.kind).toBe('steps');
    if (rekey.onFailure.kind === 'steps')
      expect(rekey.onFailure.steps.map((s) => s.id)).toEqual(['recover', 'give-up']);
    expect(step(rb, 'per-peer', 'group').onFailure).toEqual({ kind: 'continue' });
  });

  it('compiles for_each with its loop variable and the group timeout', () => {
    const g: GroupStep = step(rb, 'per-peer', 'group');
    expect(g.forEach?.as).toBe('event');
    expect(g.forEach?.items.source).toBe('events');
    expect(g.timeoutMs).toBe(300_000);
    const run = step(rb, 'show-sa', 'command').run;
    expect(run.render({ event: { peer: '10.20.20.1' } })).toBe('show crypto ipsec sa peer 10.20.20.1');
  });

  it('compiles choose with an otherwise branch last', () => {
    const c: ChooseStep = step(rb, 'by-color', 'choose');
    expect(c.branches).toHaveLength(2);
    expect(c.branches[0]!.when?.evaluate({ color: 'mpls' })).toBe(true);
    expect(c.branches[1]!.when).toBeUndefined();
  });

  it('compiles set values in order, end, assert with message, and when', () => {
    const set: SetStep = step(rb, 'pick', 'set');
    expect(set.values.map((v) => v.name)).toEqual(['target', 'count', 'sdwan']);
    expect(
      set.values[0]!.expr.evaluate({ vars: {}, events: [{ peer: '10.0.0.1' }, { peer: '10.0.0.2' }] }),
    ).toBe('10.0.0.2');
    expect(set.values[1]!.expr.evaluate({})).toBe(0n);
    const end: EndStep = step(rb, 'nothing-to-do', 'end');
    expect(end.status).toBe('ok');
    expect(end.when?.evaluate({ events: [], vars: {} })).toBe(true);
    const a: AssertStep = step(rb, 'check-target', 'assert');
    expect(a.message?.render({ events: [{ peer: '10.0.0.1' }] })).toBe('no target peer (1 events)');
  });
});

describe('semantic checks', () => {
  it('reports every problem of a file at once, in file order', () => {
    const d = diagnosticsOf(`runbook: x
platform: linux
vars:
  n: {type: int, default: abc}
steps:
  - id: a
    run: rm -rf /tmp/x
  - id: a
    when: nope
    run: uptime
  - id: b
    rn: uptime
`);
    expect(d).toEqual([
      "4:27 default of var 'n' is invalid: 'abc' is not an integer",
      "7:10 step 'a' runs 'rm -rf /tmp/x', which is not a read-only command for platform linux; declare its blast radius with 'changes: <impact>' (or 'changes: false' if it changes nothing)",
      "8:9 duplicate step id 'a' (first used at line 6)",
      "9:11 'when' in step 'a': unknown name 'nope' (known: host, n, run, vars)",
      "12:5 unknown field 'rn' in step 'b' (did you mean 'run'?)",
    ]);
  });

  it('treats a read-only command with changes as disruptive', async () => {
    const rb = compileRunbookSource(
      'runbook: x\nplatform: linux\nsteps:\n  - id: a\n    run: cat /etc/hostname\n    changes: Reads a file (declared anyway)\n',
      'x.yaml',
    );
    expect((rb.steps[0] as CommandStep).disruptive).toBe(true);
  });

  it('checks templates with placeholders against read-only patterns', () => {
    const ok =
      'runbook: x\nplatform: cisco-iosxe\nvars: {peer: {type: ipv4}}\nsteps:\n  - id: a\n    run: show crypto ipsec sa peer {{ peer }}\n';
    expect(diagnosticsOf(ok)).toEqual([]);
    const whole =
      'runbook: x\nplatform: cisco-iosxe\nvars: {cmd: {type: string}}\nsteps:\n  - id: a\n    run: "{{ cmd }}"\n';
    expect(diagnosticsOf(whole)[0]).toMatch(
      /^6:10 step 'a' runs '\{\{ cmd \}\}', which is not a read-only command/,
    );
  });

  it('makes captures visible to later steps, inside nested groups, and after the group', () => {
    const text = `runbook: x
platform: cisco-iosxe
steps:
  - id: a
    run: show version
    capture: {ver: {regex: 'Version (?<v>\\S+)'}}
  - id: g
    steps:
      - id: b
        assert: ver.v != ""
      - id: c
        run: show clock
        capture: {clock: {regex: '(?<t>\\d+:\\d+)'}}
  - id: d
    assert: clock.t != "" && ver.v != ""
`;
    expect(diagnosticsOf(text)).toEqual([]);
  });

  it('types the loop variable from the list it iterates', () => {
    const text = `runbook: x
platform: cisco-iosxe
vars:
  peers: {type: list, items: {type: ipv4}, default: []}
steps:
  - id: each
    for_each: peers
    steps:
      - id: a
        assert: item + 1 > 0
`;
    expect(diagnosticsOf(text)).toEqual([
      "10:17 'assert' in step 'a': type error: no such overload: string + int in `item + 1 > 0`",
    ]);
  });

  it('lets a set name shadow a var and later set values see earlier ones', () => {
    const text = `runbook: x
platform: cisco-iosxe
vars:
  peer: {type: ipv4}
steps:
  - id: pick
    set:
      peer: 'has(vars.peer) ? vars.peer : "10.0.0.1"'
      again: peer + "x"
  - id: show
    run: show ip route {{ peer }}
`;
    expect(diagnosticsOf(text)).toEqual([]);
  });

  it('refuses dialog answers with control characters', () => {
    const text = `runbook: x
platform: cisco-iosxe
steps:
  - id: a
    run: clear counters
    changes: Resets counters
    dialog: [{prompt: 'confirm', answer: "y\\n"}]
`;
    expect(diagnosticsOf(text)).toEqual([
      "7:42 dialog answer of step 'a' contains a newline or control character",
    ]);
  });

  it('refuses regex flags other than i, m, s, u', () => {
    const text = `runbook: x
platform: cisco-iosxe
steps:
  - id: a
    run: show version
    expect: {regex: 'x', flags: g}
`;
    expect(diagnosticsOf(text)).toEqual([
      "6:33 'flags' in expect of step 'a' must be regex flags: any of i, m, s, u, each at most once",
    ]);
  });

  it('points at the first character inside quotes and block scalars', () => {
    const text = `runbook: x
platform: linux
steps:
  - id: a
    when: "  bogus == 1"
    run: uptime
  - id: b
    assert: |
      other == 1
`;
    expect(diagnosticsOf(text)).toEqual([
      "5:14 'when' in step 'a': unknown name 'bogus' (known: host, run, vars)",
      "9:7 'assert' in step 'b': unknown name 'other' (known: host, run, vars)",
    ]);
  });
});

describe('loadRunbook', () => {
  it('refuses a missing file with E_RUNBOOK_READ and a hint', async () => {
    await expect(loadRunbook('no/such/runbook.yaml')).rejects.toMatchObject({
      code: 'E_RUNBOOK_READ',
      message: 'cannot read runbook no/such/runbook.yaml: no such file',
      hint: expect.stringContaining('check the path'),
    });
  });

  it('names the file as given in diagnostics', async () => {
    await expect(loadRunbook('test/fixtures/invalid/unknown-step-field.yaml')).rejects.toMatchObject({
      diagnostics: [
        expect.objectContaining({
          pos: { file: 'test/fixtures/invalid/unknown-step-field.yaml', line: 6, col: 5 },
        }),
      ],
    });
  });
});
