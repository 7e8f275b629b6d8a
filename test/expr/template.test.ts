import { describe, expect, it } from 'vitest';
import { RunbookError, ValidationError } from '../../src/errors.js';
import type { SourcePos } from '../../src/errors.js';
import { ExprEnv } from '../../src/expr/env.js';
import { splitTemplate } from '../../src/expr/template.js';
import { runbookVarDecls, varsScope } from '../../src/expr/values.js';
import type { VarDecl } from '../../src/runbook/model.js';

const pos: SourcePos = { file: 'rb.yaml', line: 12, col: 18 };

function v(name: string, type: VarDecl['type'], extra: Partial<VarDecl> = {}): VarDecl {
  return { name, type, required: false, secret: false, pos, ...extra };
}

const env = new ExprEnv([
  ...runbookVarDecls([
    v('peer', 'ipv4'),
    v('iface', 'string', { pattern: 'Tunnel[0-9]+' }),
    v('count', 'int'),
    v('peers', 'list', { items: { type: 'ipv4' } }),
    v('password', 'string', { secret: true }),
  ]),
  { name: 'decaps', type: { kind: 'map', fields: { n: { kind: 'scalar', spec: { type: 'int' } } } } },
  { name: 'note', type: { kind: 'dyn' } },
]);

function templateError(f: () => unknown): RunbookError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(RunbookError);
    expect((err as RunbookError).code).toBe('E_TEMPLATE');
    return err as RunbookError;
  }
  throw new Error('expected E_TEMPLATE');
}

describe('compileTemplate', () => {
  it('renders several parts and knows its refs', () => {
    const t = env.compileTemplate('ping {{ peer }} repeat {{count * 2}} source {{ iface }}', pos);
    expect(t.isStatic).toBe(false);
    expect([...t.refs].sort()).toEqual(['count', 'iface', 'peer']);
    expect(t.render(varsScope({ peer: '10.20.20.1', count: 3n, iface: 'Tunnel1' }))).toBe(
      'ping 10.20.20.1 repeat 6 source Tunnel1',
    );
  });

  it('a template without parts is static and renders as is', () => {
    const t = env.compileTemplate('show crypto session', pos);
    expect(t.isStatic).toBe(true);
    expect(t.render({})).toBe('show crypto session');
  });

  it('refuses {{ without }} at its column', () => {
    try {
      env.compileTemplate('clear crypto sa peer {{ peer', pos);
      throw new Error('no error');
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      const [d] = (err as ValidationError).diagnostics;
      expect(d!.pos).toEqual({ ...pos, col: pos.col + 21 });
      expect(d!.message).toContain("'{{' without a closing '}}'");
    }
  });

  it('reports every bad part at once, at the column of each expression', () => {
    try {
      env.compileTemplate('x {{ peerr }} {{ decaps.nn }}', pos);
      throw new Error('no error');
    } catch (err) {
      const ds = (err as ValidationError).diagnostics;
      expect(ds.map((d) => d.pos.col)).toEqual([pos.col + 5, pos.col + 24]);
      expect(ds[0]!.message).toContain("unknown name 'peerr'");
      expect(ds[1]!.message).toContain("unknown field 'nn'");
    }
  });

  it('}} inside a quoted string does not close the part', () => {
    expect(splitTemplate('a {{ "}}" + x }} b')).toEqual([
      { kind: 'text', text: 'a ' },
      { kind: 'expr', raw: '{{ "}}" + x }}', start: 2, inner: '"}}" + x', innerStart: 5 },
      { kind: 'text', text: ' b' },
    ]);
  });
});

describe('render refuses unsafe values before anything is sent', () => {
  const clear = env.compileTemplate('clear crypto sa peer {{ peer }}', pos);

  it('an ipv4 var that became "x; reload" is refused by its type', () => {
    const err = templateError(() => clear.render(varsScope({ peer: '10.20.20.1; reload' })));
    expect(err.message).toBe(
      "rb.yaml:12:39: template part {{ peer }} is not a valid ipv4: '10.20.20.1; reload' is not an IPv4 address; nothing was sent",
    );
    expect(err.hint).toContain('octets');
  });

  it('a list item and a record field are re-checked against their declared type', () => {
    const t = env.compileTemplate('clear crypto sa peer {{ peers[1] }}', pos);
    expect(t.render(varsScope({ peers: ['10.20.20.1', '10.40.40.1'] }))).toBe(
      'clear crypto sa peer 10.40.40.1',
    );
    expect(
      templateError(() => t.render(varsScope({ peers: ['10.20.20.1', '10.40.40.1 '] }))).message,
    ).toContain('is not a valid ipv4');
    const n = env.compileTemplate('x {{ decaps.n }}', pos);
    expect(n.render({ decaps: { n: 4n } })).toBe('x 4');
  });

  it('a string that fails its pattern is refused', () => {
    const t = env.compileTemplate('show interface {{ vars.iface }}', pos);
    const err = templateError(() => t.render(varsScope({ iface: 'Gi1 | include' })));
    expect(err.message).toContain('does not match the pattern /Tunnel[0-9]+/');
  });

  it('a newline in a computed part is refused', () => {
    const t = env.compileTemplate('send {{ note }}', pos);
    const err = templateError(() => t.render({ note: 'hello\nreload' }));
    expect(err.message).toContain("contains a newline or control character: 'hello\\nreload'");
  });

  it('a message for people (multiline) may hold newlines, never other control characters', () => {
    const t = env.compileTemplate('outcome: {{ note }}', pos);
    expect(t.render({ note: 'peer A recovered\npeer B left alone' }, { multiline: true })).toBe(
      'outcome: peer A recovered\npeer B left alone',
    );
    expect(() => t.render({ note: 'a\x1b[2Jb' }, { multiline: true })).toThrow(/control character/);
    expect(() => t.render({ note: 'a\nb' })).toThrow(/newline/);
  });

  it('a value with a character the platform forbids is refused', () => {
    const t = env.compileTemplate('show {{ note }}', pos);
    const err = templateError(() => t.render({ note: 'run | redirect flash:x' }, { unsafe: /[|?!]/ }));
    expect(err.message).toContain('does not allow');
    expect(t.render({ note: 'version' }, { unsafe: /[|?!]/ })).toBe('show version');
  });

  it('a control character is refused', () => {
    const t = env.compileTemplate('send {{ note + "" }}', pos);
    expect(() => t.render({ note: 'a\x1b[2Jb' })).toThrow(/control character/);
    expect(() => t.render({ note: 'a\x7fb' })).toThrow(/control character/);
  });

  it('a list is refused', () => {
    const t = env.compileTemplate('clear crypto sa peer {{ peers }}', pos);
    const err = templateError(() => t.render(varsScope({ peers: ['10.20.20.1', '10.40.40.1'] })));
    expect(err.message).toContain('is a list, not a single value');
  });

  it('a map and null are refused', () => {
    const t = env.compileTemplate('x {{ note }}', pos);
    expect(templateError(() => t.render({ note: { a: 1n } })).message).toContain('is a map');
    expect(templateError(() => t.render({ note: null })).message).toContain('is null');
  });

  it('a secret value is never shown in the refusal', () => {
    const t = env.compileTemplate('username admin secret {{ password }}', pos);
    const err = templateError(() => t.render(varsScope({ password: 'hunter2\n' })));
    expect(err.message).not.toContain('hunter2');
    expect(err.message).toContain('(secret value)');
  });

  it('an int and a bool render as text', () => {
    const t = env.compileTemplate('{{ count }} {{ count > 1 }}', pos);
    expect(t.render(varsScope({ count: 2n }))).toBe('2 true');
  });
});

describe('placeholders and masking', () => {
  const t = env.compileTemplate(
    'clear crypto sa peer {{ peer }} count {{ count + 1 }} pw {{ password }}',
    pos,
  );

  it('renders known parts and puts the expression of unknown ones in <>', () => {
    expect(t.renderPlaceholders(varsScope({ count: 1n }))).toBe(
      'clear crypto sa peer <peer> count 2 pw <password>',
    );
  });

  it('never renders a secret, even when known', () => {
    expect(t.renderPlaceholders(varsScope({ peer: '10.20.20.1', count: 1n, password: 'x' }))).toBe(
      'clear crypto sa peer 10.20.20.1 count 2 pw <password>',
    );
  });

  it('renderMasked hides secret parts and still checks the others', () => {
    expect(t.renderMasked(varsScope({ peer: '10.20.20.1', count: 1n, password: 'hunter2' }))).toBe(
      'clear crypto sa peer 10.20.20.1 count 2 pw ********',
    );
    expect(() => t.renderMasked(varsScope({ peer: 'bad', count: 1n, password: 'x' }))).toThrow(RunbookError);
  });
});
