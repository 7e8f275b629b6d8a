import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { RunbookError, ValidationError, formatPos } from '../../src/errors.js';
import { loadInventory, parseInventory, type Inventory } from '../../src/fleet/inventory.js';
import { readVarsFiles } from '../../src/fleet/inventory-vars-dirs.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** A temp dir holding `files` (relative path -> content); returns its path. */
async function tree(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'runbook-vars-'));
  dirs.push(root);
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, rel)), { recursive: true });
    await writeFile(join(root, rel), text);
  }
  return root;
}

function host(inv: Inventory, name: string) {
  const h = inv.hosts.find((x) => x.name === name);
  if (!h) throw new Error(`no host ${name}`);
  return h;
}

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

const YAML_INV = `all:
  vars:
    x: inv-all
  children:
    east:
      vars:
        x: inv-east
        y: inv-east
      hosts:
        edge01:
        edge02:
          x: inv-host
      children:
        east_core:
          vars:
            x: inv-east-core
          hosts:
            edge03:
    west:
      hosts:
        w1:
`;

const INI_INV = `[east]
edge01
edge02 x=inv-host
[east:vars]
x=inv-east
[east_core]
edge03
[east_core:vars]
x=inv-east-core
[east:children]
east_core
[west]
w1
`;

describe('group_vars/ and host_vars/ files beside the inventory', () => {
  test.each([
    ['YAML', 'hosts.yml', YAML_INV],
    ['INI', 'hosts', INI_INV],
  ])(
    '%s inventory: files with and without extensions, each layer over the one below',
    async (_kind, name, text) => {
      const root = await tree({
        [name]: text,
        'group_vars/all.yml': 'z: gv-all\n',
        'group_vars/east': 'y: gv-east\nansible_network_os: cisco.ios.ios\n',
        'host_vars/edge01.json': '{"x": "hv-edge01", "ansible_host": "127.0.0.1", "ansible_port": 2201}\n',
        'host_vars/edge03.yaml': 'ansible_user: netops\n',
      });
      const inv = await loadInventory(join(root, name));
      expect(host(inv, 'edge01')).toMatchObject({
        address: '127.0.0.1',
        port: 2201,
        platform: 'cisco-iosxe',
      });
      expect(host(inv, 'edge01').vars).toMatchObject({ x: 'hv-edge01', y: 'gv-east', z: 'gv-all' });
      expect(host(inv, 'edge02').vars.x).toBe('inv-host');
      expect(host(inv, 'edge03')).toMatchObject({
        user: 'netops',
        platform: 'cisco-iosxe',
        address: 'edge03',
      });
      expect(host(inv, 'edge03').vars.x).toBe('inv-east-core');
      expect(host(inv, 'w1').vars).toMatchObject({ z: 'gv-all' });
      expect(host(inv, 'w1').platform).toBeUndefined();
      expect(inv.groups.get('east')!.vars).toMatchObject({
        x: 'inv-east',
        y: 'gv-east',
        ansible_network_os: 'cisco.ios.ios',
      });
    },
  );

  test('precedence: inventory group vars < group_vars (all < parent < child) < inventory host vars < host_vars', async () => {
    const root = await tree({
      'hosts.yml': YAML_INV,
      'group_vars/all.yml': 'x: gv-all\nonly_all: gv-all\n',
      'group_vars/east.yml': 'x: gv-east\n',
      'group_vars/east_core.yml': 'x: gv-east-core\n',
      'host_vars/edge03.yml': 'x: hv-edge03\n',
    });
    const inv = await loadInventory(join(root, 'hosts.yml'));
    // group_vars/east beats the inventory file's vars of its child east_core (Ansible's default
    // VARIABLE_PRECEDENCE: all inventory-file group vars, then all group_vars files).
    expect(host(inv, 'edge01').vars.x).toBe('gv-east');
    expect(host(inv, 'w1').vars.x).toBe('gv-all');
    // The child's file beats the parent's; the inventory file's host var beats every group file.
    expect(host(inv, 'edge02').vars.x).toBe('inv-host');
    expect(host(inv, 'edge03').vars.x).toBe('hv-edge03');
    await rm(join(root, 'host_vars/edge03.yml'));
    expect(host(await loadInventory(join(root, 'hosts.yml')), 'edge03').vars.x).toBe('gv-east-core');
  });

  test('group_vars files of siblings follow ansible_group_priority from the inventory, then name', async () => {
    const inv = '[a]\nr1\n[b]\nr1\n[c]\nr1\n[a:vars]\nansible_group_priority=10\n';
    const root = await tree({
      'hosts.ini': inv,
      'group_vars/a.yml': 'v: a\n',
      'group_vars/b.yml': 'v: b\nansible_group_priority: 99\n',
      'group_vars/c.yml': 'v: c\n',
    });
    expect(host(await loadInventory(join(root, 'hosts.ini')), 'r1').vars.v).toBe('a');
    await rm(join(root, 'group_vars/a.yml'));
    // b's file cannot raise b's priority (Ansible reads it from the inventory only): c wins by name.
    expect(host(await loadInventory(join(root, 'hosts.ini')), 'r1').vars.v).toBe('c');
  });

  test('a directory per group or host: its files merged in name order, subdirectories included', async () => {
    const root = await tree({
      'hosts.yml': YAML_INV,
      'group_vars/east/10-base.yml': 'a: base\nb: base\nc: base\n',
      'group_vars/east/20-site.yaml': 'b: site\n',
      'group_vars/east/30-extra/x.json': '{"c": "sub"}\n',
      'group_vars/east/40-plain': 'd: plain\n',
      'group_vars/east/.hidden.yml': 'a: hidden\n',
      'group_vars/east/50-backup.yml~': 'a: backup\n',
      'group_vars/east/README.md': 'a: readme\n',
      'host_vars/edge01/main.yml': 'ansible_port: 2222\n',
      'host_vars/edge01/more.yml': 'ansible_port: 2223\n',
    });
    const inv = await loadInventory(join(root, 'hosts.yml'));
    expect(host(inv, 'edge02').vars).toMatchObject({ a: 'base', b: 'site', c: 'sub', d: 'plain' });
    expect(host(inv, 'edge01').port).toBe(2223);
  });

  test('the bare name is used before name.yml, like Ansible', async () => {
    const root = await tree({
      'hosts.yml': YAML_INV,
      'group_vars/west': 'v: bare\n',
      'group_vars/west.yml': 'v: yml\n',
    });
    expect(host(await loadInventory(join(root, 'hosts.yml')), 'w1').vars.v).toBe('bare');
  });

  test('files for groups and hosts the inventory does not define are ignored, even broken ones', async () => {
    const root = await tree({
      'hosts.yml': YAML_INV,
      'group_vars/nosuch.yml': 'a: [unclosed\n',
      'group_vars/retired/vault.yml': '$ANSIBLE_VAULT;1.1;AES256\n6162\n',
      'host_vars/ghost.yml': '- not a mapping\n',
      'host_vars/edge0': 'ansible_port: nope\n',
    });
    const inv = await loadInventory(join(root, 'hosts.yml'));
    expect(inv.hosts.map((h) => h.name)).toEqual(['edge01', 'edge02', 'edge03', 'w1']);
    expect(inv.groups.has('nosuch')).toBe(false);
  });

  test('an empty vars file sets nothing, and an inventory without the directories is unaffected', async () => {
    const root = await tree({ 'hosts.yml': YAML_INV, 'group_vars/east.yml': '# nothing yet\n' });
    const withDirs = await loadInventory(join(root, 'hosts.yml'));
    expect(withDirs.hosts).toEqual(parseInventory(YAML_INV, join(root, 'hosts.yml')).hosts);
  });

  test('parseInventory takes files already read (no I/O), as readVarsFiles returns them', async () => {
    const root = await tree({ 'hosts.ini': INI_INV, 'host_vars/w1.yml': 'ansible_host: 192.0.2.1\n' });
    const { files, diagnostics } = await readVarsFiles(join(root, 'hosts.ini'), {
      groups: ['east', 'all'],
      hosts: ['w1', 'edge01'],
    });
    expect(diagnostics).toEqual([]);
    expect(files).toEqual([
      { owner: 'host', name: 'w1', path: join(root, 'host_vars/w1.yml'), text: 'ansible_host: 192.0.2.1\n' },
    ]);
    expect(host(parseInventory(INI_INV, 'hosts.ini', 'ini', { varsFiles: files }), 'w1').address).toBe(
      '192.0.2.1',
    );
  });
});

describe('problems in vars files are reported at their file:line:col', () => {
  test.each([
    ['group_vars/east.yml', 'a: 1\nb: {c: 1\n', '3:1', /^YAML syntax error: /, /fix the YAML syntax/],
    [
      'group_vars/east.yml',
      '- a\n- b\n',
      '1:1',
      /^a vars file must be a mapping of variable names to values, not a list$/,
      /`name: value`/,
    ],
    [
      'group_vars/east',
      'just text\n',
      '1:1',
      /^a vars file must be a mapping of variable names to values, not 'just text'$/,
      /`name: value`/,
    ],
    [
      'host_vars/edge01.yml',
      'x: 1\nx: 2\n',
      '2:1',
      /^'x' is given twice in the same mapping \(first at .*host_vars\/edge01\.yml:1:1\)$/,
      /merge the two/,
    ],
    [
      'host_vars/edge01.yml',
      'ansible_user: netops\nansible_port: 70000\n',
      '2:15',
      /^ansible_port of host 'edge01' is 70000, not a port number$/,
      /from 1 to 65535/,
    ],
    [
      'group_vars/east_core.yml',
      '---\nansible_network_os: vyos.vyos.vyos\n',
      '2:21',
      /^ansible_network_os of host 'edge03' is 'vyos\.vyos\.vyos', which runbook does not support$/,
      /use one of: .*cisco\.ios\.ios, cisco\.ios, ios.*; or set our var platform to one of: /,
    ],
    [
      'group_vars/all/10-conn.yml',
      'ansible_host: "two words"\n',
      '1:15',
      /^ansible_host of hosts 'edge01' and 3 more is 'two words', not a host name or address$/,
      /IP address or DNS name/,
    ],
    [
      'group_vars/east.json',
      '{\n  "platform": "junos"\n}\n',
      '2:15',
      /^platform of hosts 'edge01' and 2 more is 'junos', not a supported platform$/,
      /cisco-iosxe, cisco-iosxe-sdwan, .*linux/,
    ],
  ])('%s: %j -> %s', async (rel, text, at, message, hint) => {
    const root = await tree({ 'hosts.yml': YAML_INV, [rel]: text });
    const found = await problems(join(root, 'hosts.yml'));
    expect(found).toHaveLength(1);
    expect(found[0]!.at).toBe(`${join(root, rel)}:${at}`);
    expect(found[0]!.message).toMatch(message);
    expect(found[0]!.hint).toMatch(hint);
  });

  test('a vars value overridden by a higher layer is not checked, as in the inventory file', async () => {
    const root = await tree({
      'hosts.yml': YAML_INV,
      'group_vars/all.yml': 'ansible_port: 0\n',
      'host_vars/edge01.yml': 'ansible_port: 22\n',
    });
    const found = await problems(join(root, 'hosts.yml'));
    expect(found.map((p) => p.message)).toEqual([
      "ansible_port of hosts 'edge02' and 2 more is 0, not a port number",
    ]);
  });

  test('every problem at once: the inventory file first, then each vars file, in file order', async () => {
    const root = await tree({
      'hosts.ini': '[east]\nedge01 ansible_port=0\n[west]\nw1\n',
      'group_vars/west.yml': 'a: 1\nansible_network_os: vyos\n',
      'group_vars/east.yml': 'platform: junos\n',
      'host_vars/w1.yml': '[1, 2]\n',
    });
    const found = await problems(join(root, 'hosts.ini'));
    expect(found.map((p) => `${p.at.slice(root.length + 1)}: ${p.message}`)).toEqual([
      "hosts.ini:2:21: ansible_port of host 'edge01' is 0, not a port number",
      "group_vars/east.yml:1:11: platform of host 'edge01' is 'junos', not a supported platform",
      "group_vars/west.yml:2:21: ansible_network_os of host 'w1' is 'vyos', which runbook does not support",
      'host_vars/w1.yml:1:1: a vars file must be a mapping of variable names to values, not a list',
    ]);
  });
});

test('a directory given as the inventory is refused, pointing at the inventory file inside it', async () => {
  const root = await tree({ 'inventory/hosts.yml': YAML_INV, 'inventory/group_vars/all.yml': 'x: 1\n' });
  const err = await loadInventory(join(root, 'inventory')).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(RunbookError);
  expect((err as RunbookError).code).toBe('E_INVENTORY');
  expect((err as RunbookError).message).toBe(`inventory ${join(root, 'inventory')} is a directory`);
  expect((err as RunbookError).hint).toBe(
    `pass the inventory file inside it to -i (e.g. -i ${join(root, 'inventory/hosts.yml')}); the group_vars/ and host_vars/ beside that file are read too`,
  );
});
