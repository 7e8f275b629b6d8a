import { describe, expect, test } from 'vitest';
import { expandHostRange, parseHostToken } from '../../src/fleet/host-range.js';

describe('host ranges', () => {
  test('numeric with leading zeros keeps the width; without, it does not', () => {
    expect(expandHostRange('edge[08:11]')).toEqual({ names: ['edge08', 'edge09', 'edge10', 'edge11'] });
    expect(expandHostRange('edge[8:11]')).toEqual({ names: ['edge8', 'edge9', 'edge10', 'edge11'] });
  });

  test('alphabetic, with a step, and several ranges in one name', () => {
    expect(expandHostRange('db-[a:d].lab')).toEqual({
      names: ['db-a.lab', 'db-b.lab', 'db-c.lab', 'db-d.lab'],
    });
    expect(expandHostRange('r[1:9:4]')).toEqual({ names: ['r1', 'r5', 'r9'] });
    expect(expandHostRange('pod[1:2]-leaf[a:b]')).toEqual({
      names: ['pod1-leafa', 'pod1-leafb', 'pod2-leafa', 'pod2-leafb'],
    });
  });

  test('a name without brackets is itself', () => {
    expect(expandHostRange('edge01')).toEqual({ names: ['edge01'] });
  });

  test.each([
    ['r[5:1]', /starts after it ends/],
    ['r[01:9]', /mixes widths/],
    ['r[a:5]', /two numbers or two letters/],
    ['r[a:C]', /ascending letter range/],
    ['r[1:5:0]', /step '0' is not a positive integer/],
    ['r[1]', /not of the form \[begin:end\]/],
    ['r[1:2:3:4]', /not of the form/],
  ])('%s is refused', (pattern, message) => {
    const r = expandHostRange(pattern);
    expect('error' in r && r.error).toMatch(message);
    expect('hint' in r && r.hint).toBeTruthy();
  });
});

describe('host tokens', () => {
  test('name:port outside brackets; range colons and IPv6 stay in the name', () => {
    expect(parseHostToken('edge01:2222')).toEqual({ pattern: 'edge01', port: 2222 });
    expect(parseHostToken('edge[01:09]:2222')).toEqual({ pattern: 'edge[01:09]', port: 2222 });
    expect(parseHostToken('edge[01:09]')).toEqual({ pattern: 'edge[01:09]' });
    expect(parseHostToken('2001:db8::1')).toEqual({ pattern: '2001:db8::1' });
  });

  test('a bad port is refused', () => {
    expect(parseHostToken('edge01:99999')).toMatchObject({
      error: "host 'edge01:99999' has an invalid port '99999'",
    });
    expect(parseHostToken('edge01:ssh')).toMatchObject({
      error: "host 'edge01:ssh' has an invalid port 'ssh'",
    });
  });
});
