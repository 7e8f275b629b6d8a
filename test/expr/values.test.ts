import { describe, expect, it } from 'vitest';
import { RunbookError } from '../../src/errors.js';
import type { SourcePos } from '../../src/errors.js';
import {
  checkScalar,
  checkVarValue,
  formatValue,
  parseVarValue,
  toJson,
  varDeclType,
} from '../../src/expr/values.js';
import type { VarDecl } from '../../src/runbook/model.js';

const pos: SourcePos = { file: 'rb.yaml', line: 3, col: 5 };
function v(name: string, type: VarDecl['type'], extra: Partial<VarDecl> = {}): VarDecl {
  return { name, type, required: true, secret: false, pos, ...extra };
}

function varError(f: () => unknown): RunbookError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(RunbookError);
    expect((err as RunbookError).code).toBe('E_VAR_INVALID');
    return err as RunbookError;
  }
  throw new Error('expected E_VAR_INVALID');
}

describe('checkScalar', () => {
  it('ints become bigint from number, bigint or decimal text', () => {
    expect(checkScalar({ type: 'int' }, 5, 'x')).toBe(5n);
    expect(checkScalar({ type: 'int' }, 5n, 'x')).toBe(5n);
    expect(checkScalar({ type: 'int' }, '-12', 'x')).toBe(-12n);
    expect(varError(() => checkScalar({ type: 'int' }, '1.5', "group 'n'")).message).toBe(
      "group 'n': '1.5' is not an integer",
    );
    varError(() => checkScalar({ type: 'int' }, 1.5, 'x'));
    varError(() => checkScalar({ type: 'int' }, '0x10', 'x'));
  });

  it('ipv4 is validated, leading zeros refused', () => {
    expect(checkScalar({ type: 'ipv4' }, '10.20.20.1', 'x')).toBe('10.20.20.1');
    for (const bad of ['010.1.1.1', '256.1.1.1', '10.1.1', '10.1.1.1 ', '10.1.1.1;reload', 'fe80::1']) {
      varError(() => checkScalar({ type: 'ipv4' }, bad, 'x'));
    }
  });

  it('ipv6 is validated', () => {
    expect(checkScalar({ type: 'ipv6' }, '2001:db8::1', 'x')).toBe('2001:db8::1');
    varError(() => checkScalar({ type: 'ipv6' }, '2001:db8::g', 'x'));
    varError(() => checkScalar({ type: 'ipv6' }, '10.1.1.1', 'x'));
  });

  it('enum must be one of its values', () => {
    expect(checkScalar({ type: 'enum', values: ['up', 'down'] }, 'up', 'x')).toBe('up');
    const err = varError(() => checkScalar({ type: 'enum', values: ['up', 'down'] }, 'UP', 'state'));
    expect(err.message).toBe("state: 'UP' is not one of up, down");
  });

  it('strings match their pattern entirely and never hold control characters', () => {
    expect(checkScalar({ type: 'string', pattern: 'Tunnel\\d+' }, 'Tunnel1', 'x')).toBe('Tunnel1');
    varError(() => checkScalar({ type: 'string', pattern: 'Tunnel\\d+' }, 'xTunnel1', 'x'));
    varError(() => checkScalar({ type: 'string', pattern: 'Tunnel\\d+' }, 'Tunnel1\n', 'x'));
    varError(() => checkScalar({ type: 'string' }, 'a\tb', 'x'));
    varError(() => checkScalar({ type: 'string' }, 'a\rb', 'x'));
    varError(() => checkScalar({ type: 'string' }, 42, 'x'));
  });

  it('bools accept true/false/yes/no', () => {
    expect(checkScalar({ type: 'bool' }, 'Yes', 'x')).toBe(true);
    expect(checkScalar({ type: 'bool' }, 'false', 'x')).toBe(false);
    varError(() => checkScalar({ type: 'bool' }, '1', 'x'));
  });
});

describe('parseVarValue', () => {
  it('parses every scalar type', () => {
    expect(parseVarValue(v('peer', 'ipv4'), '10.20.20.1')).toBe('10.20.20.1');
    expect(parseVarValue(v('peer6', 'ipv6'), '2001:db8::1')).toBe('2001:db8::1');
    expect(parseVarValue(v('n', 'int'), '42')).toBe(42n);
    expect(parseVarValue(v('sdwan', 'bool'), 'yes')).toBe(true);
    expect(parseVarValue(v('sdwan', 'bool'), 'no')).toBe(false);
    expect(parseVarValue(v('mode', 'enum', { values: ['omp', 'port_hop'] }), 'omp')).toBe('omp');
    expect(parseVarValue(v('name', 'string', { pattern: '[a-z]+' }), 'abc')).toBe('abc');
  });

  it('names the --var in errors', () => {
    const err = varError(() => parseVarValue(v('peer', 'ipv4'), '10.20.20.300'));
    expect(err.message).toBe("--var peer: '10.20.20.300' is not an IPv4 address");
    expect(err.hint).toBeTruthy();
  });

  it('lists: comma-separated or a flow list, items checked', () => {
    const peers = v('peers', 'list', { items: { type: 'ipv4' } });
    expect(parseVarValue(peers, '10.20.20.1, 10.40.40.1')).toEqual(['10.20.20.1', '10.40.40.1']);
    expect(parseVarValue(peers, '[10.20.20.1, "10.40.40.1"]')).toEqual(['10.20.20.1', '10.40.40.1']);
    expect(parseVarValue(peers, '')).toEqual([]);
    expect(parseVarValue(v('ns', 'list', { items: { type: 'int' } }), '[1, 2]')).toEqual([1n, 2n]);
    expect(varError(() => parseVarValue(peers, '10.20.20.1,bad')).message).toBe(
      "--var peers item 2: 'bad' is not an IPv4 address",
    );
    expect(varError(() => parseVarValue(peers, '10.20.20.1,,10.40.40.1')).message).toContain(
      'item 2 is empty',
    );
    varError(() => parseVarValue(peers, '[10.20.20.1'));
  });

  it('list items without a type are strings', () => {
    expect(parseVarValue(v('names', 'list'), 'a,b')).toEqual(['a', 'b']);
  });
});

describe('checkVarValue and varDeclType', () => {
  it('checks defaults, including list items', () => {
    const esc = v('escalation', 'list', { items: { type: 'enum', values: ['port_hop', 'omp', 'control'] } });
    expect(checkVarValue(esc, ['port_hop', 'omp'])).toEqual(['port_hop', 'omp']);
    expect(varError(() => checkVarValue(esc, ['port_hop', 'bgp'])).message).toBe(
      "variable 'escalation' item 2: 'bgp' is not one of port_hop, omp, control",
    );
    expect(varError(() => checkVarValue(esc, 'omp')).message).toContain('is not a list');
    expect(checkVarValue(v('n', 'int'), 3)).toBe(3n);
  });

  it('declares lists and scalars', () => {
    expect(varDeclType(v('peers', 'list', { items: { type: 'ipv4' } }))).toEqual({
      kind: 'list',
      items: { kind: 'scalar', spec: { type: 'ipv4' } },
    });
    expect(varDeclType(v('s', 'string', { pattern: 'a+' }))).toEqual({
      kind: 'scalar',
      spec: { type: 'string', pattern: 'a+' },
    });
  });
});

describe('toJson and formatValue', () => {
  it('makes bigints JSON-safe', () => {
    expect(toJson({ n: 5n, big: 2n ** 60n, l: [1n, 'a', null] })).toEqual({
      n: 5,
      big: '1152921504606846976',
      l: [1, 'a', null],
    });
    expect(JSON.stringify(toJson([3n]))).toBe('[3]');
  });

  it('formats values for humans', () => {
    expect(formatValue('10.20.20.1')).toBe('10.20.20.1');
    expect(formatValue(['a', 2n, true])).toBe('[a, 2, true]');
    expect(formatValue({ peer: 'x', n: null })).toBe('{peer: x, n: null}');
  });
});
