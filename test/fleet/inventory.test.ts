import { readFile } from 'node:fs/promises';
import { Ajv } from 'ajv';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { detectFormat, loadInventory, parseInventory, type Inventory } from '../../src/fleet/inventory.js';
import { ValidationError } from '../../src/errors.js';
import { platformNames } from '../../src/platforms/index.js';

function host(inv: Inventory, name: string) {
  const h = inv.hosts.find((x) => x.name === name);
  if (!h) throw new Error(`no host ${name}`);
  return h;
}

const YAML_INV = `all:
  vars:
    x: from-all
    ansible_user: admin
  hosts:
    solo:
      ansible_host: 192.0.2.9
  children:
    east:
      vars:
        x: from-east
        ansible_network_os: cisco.ios.ios
      hosts:
        edge[01:03]:
          ansible_host: 127.0.0.1
      children:
        east_core:
          vars:
            x: from-east-core
          hosts:
            edge02:
              x: from-host
            edge03:
    lab:
      hosts:
        sw-[a:c]:
          ansible_port: 2300
          platform: linux
`;

describe('YAML inventories', () => {
  const inv = parseInventory(YAML_INV, 'inv.yml');

  test('hosts appear in inventory order with ranges expanded', () => {
    expect(inv.hosts.map((h) => h.name)).toEqual([
      'solo',
      'edge01',
      'edge02',
      'edge03',
      'sw-a',
      'sw-b',
      'sw-c',
    ]);
  });

  test('a host lists all its groups including ancestors and all, lowest precedence first', () => {
    expect(host(inv, 'edge02').groups).toEqual(['all', 'east', 'east_core']);
    expect(host(inv, 'edge01').groups).toEqual(['all', 'east']);
    expect(host(inv, 'solo').groups).toEqual(['all', 'ungrouped']);
  });

  test('precedence: all < parent group < child group < host', () => {
    expect(host(inv, 'solo').vars.x).toBe('from-all');
    expect(host(inv, 'edge01').vars.x).toBe('from-east');
    expect(host(inv, 'edge03').vars.x).toBe('from-east-core');
    expect(host(inv, 'edge02').vars.x).toBe('from-host');
  });

  test('connection vars map to address, port, user and platform', () => {
    expect(host(inv, 'edge01')).toMatchObject({
      address: '127.0.0.1',
      user: 'admin',
      platform: 'cisco-iosxe',
    });
    expect(host(inv, 'edge01').port).toBeUndefined();
    expect(host(inv, 'sw-b')).toMatchObject({
      address: 'sw-b',
      port: 2300,
      platform: 'linux',
      user: 'admin',
    });
    expect(host(inv, 'solo')).toMatchObject({ address: '192.0.2.9', user: 'admin' });
    expect(host(inv, 'solo').platform).toBeUndefined();
  });

  test('groups resolve hosts of their children; hosts only in all are ungrouped', () => {
    expect(inv.groups.get('east')!.hosts).toEqual(['edge01', 'edge02', 'edge03']);
    expect(inv.groups.get('east')!.children).toEqual(['east_core']);
    expect(inv.groups.get('east_core')!.hosts).toEqual(['edge02', 'edge03']);
    expect(inv.groups.get('ungrouped')!.hosts).toEqual(['solo']);
    expect(inv.groups.get('all')!.hosts).toHaveLength(7);
    expect(inv.groups.get('east')!.vars).toEqual({ x: 'from-east', ansible_network_os: 'cisco.ios.ios' });
  });

  test('the host position is its first definition', () => {
    expect(host(inv, 'edge02').pos).toEqual({ file: 'inv.yml', line: 14, col: 9 });
    expect(host(inv, 'solo').pos).toEqual({ file: 'inv.yml', line: 6, col: 5 });
  });

  test('groups at the same depth merge alphabetically (later name wins), like Ansible', () => {
    const inv2 = parseInventory(
      `all:
  children:
    zulu: {hosts: {h1: }, vars: {v: zulu}}
    alpha: {hosts: {h1: }, vars: {v: alpha}}
    mid: {hosts: {h2: }, vars: {v: mid}}
    beta: {hosts: {h2: }, vars: {v: beta}}
`,
      'prec.yml',
    );
    expect(host(inv2, 'h1').vars.v).toBe('zulu');
    expect(host(inv2, 'h2').vars.v).toBe('mid');
    expect(host(inv2, 'h1').groups).toEqual(['all', 'alpha', 'zulu']);
  });

  test('ansible_group_priority overrides the alphabetical order among siblings', () => {
    const inv2 = parseInventory(
      `all:
  children:
    zulu: {hosts: {h1: }, vars: {v: zulu}}
    alpha: {hosts: {h1: }, vars: {v: alpha, ansible_group_priority: 10}}
`,
      'prio.yml',
    );
    expect(host(inv2, 'h1').vars.v).toBe('alpha');
  });

  test('a deeper group wins over a shallower one whatever the names', () => {
    const inv2 = parseInventory(
      `all:
  children:
    zz_top:
      vars: {v: top}
      children:
        aa_child:
          vars: {v: child}
          hosts: {h1: }
    zzz_other: {hosts: {h1: }, vars: {v: other}}
`,
      'depth.yml',
    );
    expect(host(inv2, 'h1').vars.v).toBe('child');
  });

  test('a group listed under two parents gets both, and host:port in a key sets the port', () => {
    const inv2 = parseInventory(
      `all:
  children:
    east: {hosts: {'r1:2201': , r2: }}
    regions: {children: {east: }}
    routers: {children: {east: }}
`,
      'multi.yml',
    );
    expect(host(inv2, 'r1').groups).toEqual(['all', 'regions', 'routers', 'east']);
    expect(host(inv2, 'r1').port).toBe(2201);
    expect(inv2.groups.get('routers')!.hosts).toEqual(['r1', 'r2']);
  });

  test('the same host listed twice with the same vars is one host', () => {
    const inv2 = parseInventory(
      `all:
  children:
    a: {hosts: {r1: {ansible_port: 22}}}
    b: {hosts: {r1: {ansible_port: 22}, r2: }}
`,
      'twice.yml',
    );
    expect(inv2.hosts.map((h) => h.name)).toEqual(['r1', 'r2']);
    expect(host(inv2, 'r1').groups).toEqual(['all', 'a', 'b']);
  });
});

const INI_INV = `# comment
solo ansible_host=192.0.2.9

[east]
edge[01:03] ansible_host=127.0.0.1
edge04:2225 ansible_host=127.0.0.1 note="two words" flag=True count=3 ratio=0.5 none=None raw=yes # an inline comment

[east_core]
edge02 x=from-host
edge03

[east:vars]
x=from-east
ansible_network_os=ios
port_text=2222

[east_core:vars]
x=from-east-core

[regions:children]
east

[east:children]
east_core

[all:vars]
x=from-all
ansible_user=admin
ansible_connection=network_cli
`;

describe('INI inventories', () => {
  const inv = parseInventory(INI_INV, 'inv.ini');

  test('hosts before any section are ungrouped; ranges and host:port expand', () => {
    expect(inv.hosts.map((h) => h.name)).toEqual(['solo', 'edge01', 'edge02', 'edge03', 'edge04']);
    expect(inv.groups.get('ungrouped')!.hosts).toEqual(['solo']);
    expect(host(inv, 'edge04').port).toBe(2225);
  });

  test('inline values are literals, :vars values are strings (Ansible docs)', () => {
    const v = host(inv, 'edge04').vars;
    expect(v.note).toBe('two words');
    expect(v.flag).toBe(true);
    expect(v.count).toBe(3);
    expect(v.ratio).toBe(0.5);
    expect(v.none).toBeNull();
    expect(v.raw).toBe('yes');
    expect(v.port_text).toBe('2222');
    expect(Object.keys(v)).not.toContain('#');
  });

  test('precedence: all < parent < child < host, and children sections build the tree', () => {
    expect(host(inv, 'solo').vars.x).toBe('from-all');
    expect(host(inv, 'edge01').vars.x).toBe('from-east');
    expect(host(inv, 'edge03').vars.x).toBe('from-east-core');
    expect(host(inv, 'edge02').vars.x).toBe('from-host');
    expect(host(inv, 'edge01').groups).toEqual(['all', 'regions', 'east']);
    expect(inv.groups.get('regions')!.hosts).toEqual(['edge01', 'edge02', 'edge03', 'edge04']);
    expect(host(inv, 'edge03').groups).toEqual(['all', 'regions', 'east', 'east_core']);
  });

  test('a sibling group loses to a deeper group whatever its name', () => {
    const inv2 = parseInventory(
      '[top:children]\nmid\n[mid]\nr1\n[zz]\nr1\n[mid:vars]\nv=mid\n[zz:vars]\nv=zz\n',
      'd.ini',
    );
    expect(host(inv2, 'r1').vars.v).toBe('mid');
    expect(host(inv2, 'r1').groups).toEqual(['all', 'top', 'zz', 'mid']);
  });

  test('ansible_network_os ios maps to cisco-iosxe; ansible_connection is ignored', () => {
    expect(host(inv, 'edge01')).toMatchObject({
      platform: 'cisco-iosxe',
      user: 'admin',
      address: '127.0.0.1',
    });
    expect(host(inv, 'solo').platform).toBeUndefined();
  });

  test('host positions point at the defining line', () => {
    expect(host(inv, 'edge04').pos).toEqual({ file: 'inv.ini', line: 6, col: 1 });
    expect(host(inv, 'edge02').pos).toEqual({ file: 'inv.ini', line: 5, col: 1 });
  });

  test('a host listed in [ungrouped] and in another group is not ungrouped (Ansible reconcile)', () => {
    const inv2 = parseInventory('[ungrouped]\nr1\nr2\n[east]\nr1\n', 'u.ini');
    expect(host(inv2, 'r1').groups).toEqual(['all', 'east']);
    expect(inv2.groups.get('ungrouped')!.hosts).toEqual(['r2']);
  });

  test('ports from a :vars section are accepted as numeric strings', () => {
    const inv2 = parseInventory('[r]\nr1\n[r:vars]\nansible_port=2202\n', 'p.ini');
    expect(host(inv2, 'r1').port).toBe(2202);
  });

  test('a [g:vars] section may come before the group and a child before its declaration', () => {
    const inv2 = parseInventory('[late:vars]\nv=1\n[top:children]\nlate\n[late]\nr1\n', 'order.ini');
    expect(host(inv2, 'r1').vars.v).toBe('1');
    expect(host(inv2, 'r1').groups).toEqual(['all', 'top', 'late']);
  });
});

describe('ansible_network_os and platform', () => {
  test.each([
    ['cisco.ios.ios', 'cisco-iosxe'],
    ['cisco.ios', 'cisco-iosxe'],
    ['ios', 'cisco-iosxe'],
  ])('%s runs as %s', (os, platform) => {
    const inv = parseInventory(`[r]\nr1 ansible_network_os=${os}\n`, 'os.ini');
    expect(inv.hosts[0]!.platform).toBe(platform);
  });

  test('our platform var wins over ansible_network_os, even from a lower-precedence group', () => {
    const inv = parseInventory(
      'all:\n  vars: {platform: cisco-iosxe-sdwan}\n  hosts:\n    r1: {ansible_network_os: cisco.ios.ios}\n',
      'p.yml',
    );
    expect(inv.hosts[0]!.platform).toBe('cisco-iosxe-sdwan');
  });

  test('an unknown network os names the host, the value and the supported values', () => {
    let err: unknown;
    try {
      parseInventory('[r]\nr1 ansible_network_os=vyos.vyos.vyos\n', 'os.ini');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    const v = err as ValidationError;
    expect(v.code).toBe('E_INVENTORY');
    expect(v.diagnostics).toHaveLength(1);
    expect(v.diagnostics[0]!.message).toBe(
      "ansible_network_os of host 'r1' is 'vyos.vyos.vyos', which runbook does not support",
    );
    expect(v.diagnostics[0]!.pos).toEqual({ file: 'os.ini', line: 2, col: 23 });
    expect(v.diagnostics[0]!.hint).toContain('cisco.ios.ios');
    expect(v.diagnostics[0]!.hint).toContain('cisco-iosxe-sdwan');
  });
});

describe('format detection and files', () => {
  test('by extension, else by the first meaningful line', () => {
    expect(detectFormat('a.yml', '[x]')).toBe('yaml');
    expect(detectFormat('a.ini', 'all:')).toBe('ini');
    expect(detectFormat('hosts', '# c\n\nall:\n  hosts: {}')).toBe('yaml');
    expect(detectFormat('hosts', '; c\n[east]\nr1')).toBe('ini');
    expect(detectFormat('hosts', 'r1:2222 ansible_host=1.2.3.4')).toBe('ini');
    expect(detectFormat('hosts', '---\nall:')).toBe('yaml');
  });

  test('a byte-order mark is ignored', () => {
    expect(parseInventory('\uFEFF[east]\nr1\n', 'bom.ini').hosts.map((h) => h.groups)).toEqual([
      ['all', 'east'],
    ]);
  });

  test('an extensionless YAML file loads as YAML', () => {
    const inv = parseInventory('all:\n  hosts:\n    r1:\n', 'hosts');
    expect(inv.hosts.map((h) => h.name)).toEqual(['r1']);
  });

  test('a missing file is E_INVENTORY with a hint', async () => {
    await expect(loadInventory('test/fixtures/no-such-inventory.yml')).rejects.toMatchObject({
      code: 'E_INVENTORY',
      message: expect.stringContaining('cannot read inventory test/fixtures/no-such-inventory.yml: ENOENT'),
      hint: 'check the path given to -i',
    });
  });

  test('an empty inventory is refused', () => {
    expect(() => parseInventory('# nothing\n', 'empty.ini')).toThrow(/defines no hosts/);
    expect(() => parseInventory('', 'empty.yml')).toThrow(/inventory is empty/);
  });
});

describe('examples/inventory', () => {
  test.each(['examples/inventory/lab.yml', 'examples/inventory/lab.ini'])(
    '%s: three lab routers on 127.0.0.1:2222-2224 by region',
    async (file) => {
      const inv = await loadInventory(file);
      expect(inv.hosts.map((h) => [h.name, h.address, h.port, h.platform])).toEqual([
        ['edge01', '127.0.0.1', 2222, 'cisco-iosxe'],
        ['edge02', '127.0.0.1', 2223, 'cisco-iosxe'],
        ['edge03', '127.0.0.1', 2224, 'cisco-iosxe'],
      ]);
      expect(inv.groups.get('region_east')!.hosts).toEqual(['edge01', 'edge02']);
      expect(inv.groups.get('region_west')!.hosts).toEqual(['edge03']);
      expect(inv.groups.get('regions')!.hosts).toEqual(['edge01', 'edge02', 'edge03']);
      expect(inv.hosts[2]!.vars.site_prefix).toBe('west');
      expect(inv.hosts[2]!.groups).toEqual(['all', 'regions', 'region_west']);
    },
  );

  test('the YAML and INI examples describe the same inventory', async () => {
    const [y, i] = await Promise.all([
      loadInventory('examples/inventory/lab.yml'),
      loadInventory('examples/inventory/lab.ini'),
    ]);
    const strip = (inv: Inventory) => inv.hosts.map(({ pos: _pos, ...rest }) => rest);
    expect(strip(i)).toEqual(strip(y));
  });
});

describe('schemas/inventory.schema.json', () => {
  test('accepts the YAML example and agrees with the platform tables', async () => {
    const schema = JSON.parse(await readFile('schemas/inventory.schema.json', 'utf8'));
    const validate = new Ajv({ allErrors: true }).compile(schema);
    expect(validate(parse(await readFile('examples/inventory/lab.yml', 'utf8')))).toBe(true);
    expect(validate({ all: { hosts: { r1: { ansible_port: 70000 } } } })).toBe(false);
    expect(validate({ all: { host: {} } })).toBe(false);
    // platform names come from the loaded profiles (user dirs too): the code checks them, not the schema
    const vars = schema.definitions.vars.properties;
    expect(vars.platform.type).toBe('string');
    expect(vars.ansible_network_os.type).toBe('string');
    expect(platformNames()).toContain('cisco-iosxe');
  });
});
