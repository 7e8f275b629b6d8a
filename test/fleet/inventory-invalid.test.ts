import { describe, expect, test } from 'vitest';
import { loadInventory, parseInventory } from '../../src/fleet/inventory.js';
import { ValidationError, formatPos } from '../../src/errors.js';

const DIR = 'test/fixtures/inventory-invalid';

async function problems(file: string): Promise<{ at: string; message: string; hint: string | undefined }[]> {
  try {
    await loadInventory(file);
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).code).toBe('E_INVENTORY');
    return (err as ValidationError).diagnostics.map((d) => ({
      at: formatPos(d.pos),
      message: d.message,
      hint: d.hint,
    }));
  }
  throw new Error(`${file} loaded without error`);
}

describe('broken inventories are refused with file:line:col, message and hint', () => {
  test.each([
    [
      'yaml-syntax.yml',
      '6:9',
      'YAML syntax error: Flow map in block collection must be sufficiently indented and end with a }',
      /fix the YAML syntax/,
    ],
    [
      'host-shape.yml',
      '5:17',
      "host 'edge01' in group 'east' must map to its variables or to nothing, not '10.0.0.1'",
      /edge01: \{ansible_host: 10\.0\.0\.1\}/,
    ],
    [
      'host-conflict.yml',
      '10:25',
      `host 'edge01' sets 'ansible_host' to '10.0.0.2' here but to '10.0.0.1' at ${DIR}/host-conflict.yml:6:25`,
      /set each variable of host 'edge01' in one place/,
    ],
    [
      'network-os.yml',
      '5:29',
      "ansible_network_os of hosts 'mx01' and 1 more is 'vyos.vyos.vyos', which runbook does not support",
      /use one of: .*cisco\.ios\.ios, cisco\.ios, ios.*; or set our var platform to one of: .*cisco-iosxe, cisco-iosxe-sdwan, .*linux/,
    ],
    [
      'hosts-list.yml',
      '5:9',
      "hosts of group 'east' must be a mapping of host names, not a list",
      /`name:` on its own indented line/,
    ],
    ['unknown-key.yml', '4:7', "group 'east' has an unknown key 'host'", /did you mean 'hosts'\?/],
    ['bad-port.ini', '2:44', "ansible_port of host 'edge01' is 70000, not a port number", /from 1 to 65535/],
    [
      'cycle.ini',
      '9:1',
      'group cycle: region -> core -> region',
      /remove 'region' from the children of 'core'/,
    ],
    ['bad-line.ini', '3:8', "expected key=value after the host name, got '127.0.0.2'", /key=value/],
    [
      'undefined-group.ini',
      '4:1',
      "section [west:vars] is for a group 'west' that is never declared",
      /\[west\] or \[west:children\]/,
    ],
    ['bad-range.ini', '2:1', "host range '[09:01]' starts after it ends", /\[01:50\]/],
    [
      'platform.ini',
      '2:17',
      "platform of host 'edge01' is 'junos', not a supported platform",
      /cisco-iosxe, cisco-iosxe-sdwan, .*linux/,
    ],
  ])('%s -> %s', async (fixture, at, message, hint) => {
    const found = await problems(`${DIR}/${fixture}`);
    expect(found).toHaveLength(1);
    expect(found[0]!.at).toBe(`${DIR}/${fixture}:${at}`);
    expect(found[0]!.message).toBe(message);
    expect(found[0]!.hint).toMatch(hint);
  });

  test('every problem of a file is reported at once, in file order', () => {
    const text = [
      '[east]',
      'edge01 ansible_port=0',
      'edge[1:x]',
      '[east:bogus]',
      'x',
      '[west:children]',
      'nowhere',
      '[west]',
      'w1 ansible_host="unterminated',
    ].join('\n');
    let err: ValidationError | undefined;
    try {
      parseInventory(text, 'many.ini');
    } catch (e) {
      err = e as ValidationError;
    }
    expect(err?.diagnostics.map((d) => `${formatPos(d.pos)}: ${d.message}`)).toEqual([
      "many.ini:2:21: ansible_port of host 'edge01' is 0, not a port number",
      "many.ini:3:1: host range '[1:x]' must have two numbers or two letters as bounds",
      "many.ini:4:7: section [east:bogus] has an unknown type 'bogus'",
      "many.ini:7:1: section [west:children] includes a group 'nowhere' that is never declared",
      'many.ini:9:17: unterminated quoted value',
    ]);
    expect(err?.message).toContain('many.ini:4:7: section [east:bogus]');
    expect(err?.message).toContain('hint: the section types are [group], [group:vars] and [group:children]');
  });

  test('YAML: a top-level hosts key, a duplicate key and a name that is both host and group', () => {
    let err: ValidationError | undefined;
    try {
      parseInventory(
        'hosts:\n  r1:\nall:\n  children:\n    east: {hosts: {east: , r2: }}\n    west: {hosts: {r3: }, hosts: {r4: }}\n',
        'dup.yml',
      );
    } catch (e) {
      err = e as ValidationError;
    }
    expect(err?.diagnostics.map((d) => `${formatPos(d.pos)}: ${d.message}`)).toEqual([
      "dup.yml:1:1: 'hosts' at the top level is read as a group name",
      "dup.yml:5:20: 'east' is both a host and a group (group at dup.yml:5:5)",
      "dup.yml:6:27: 'hosts' is given twice in the same mapping (first at dup.yml:6:12)",
    ]);
    expect(err?.diagnostics[0]!.hint).toMatch(/start the file with `all:`/);
  });

  test('mixed-width numeric ranges and huge ranges are refused', () => {
    expect(() => parseInventory('[r]\nr[01:100]\n', 'w.ini')).toThrow(
      "w.ini:2:1: host range '[01:100]' mixes widths: '01' has 2 digits, '100' has 3",
    );
    expect(() => parseInventory('all:\n  hosts:\n    r[1:999999]:\n', 'h.yml')).toThrow(
      /h\.yml:3:5: host range '\[1:999999\]' expands to more than 100000 names/,
    );
  });

  test("'all' cannot be made a child group", () => {
    expect(() => parseInventory('[g:children]\nall\n[g]\n', 'a.ini')).toThrow(
      "a.ini:2:1: group 'all' cannot be a child of 'g'",
    );
  });
});
