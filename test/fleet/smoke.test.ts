import { test } from 'vitest';
import { parseInventory } from '../../src/fleet/inventory.js';
test('smoke', () => {
  const y = parseInventory(`all:
  vars: {x: all, ansible_user: admin}
  hosts:
    solo:
  children:
    east:
      vars: {x: east}
      hosts:
        edge[01:03]: {ansible_network_os: cisco.ios.ios}
      children:
        east_core:
          vars: {x: core}
          hosts: {edge02: }
`, 'inv.yml');
  console.log(JSON.stringify(y.hosts, null, 1), [...y.groups.values()]);
  const i = parseInventory(`solo ansible_port=2200
[east]
edge[01:03]:2222 ansible_host=127.0.0.1 a=True b="x y" c=1.5
[east:vars]
x=east
[region:children]
east
`, 'inv.ini');
  console.log(JSON.stringify(i.hosts, null, 1), [...i.groups.values()]);
});
