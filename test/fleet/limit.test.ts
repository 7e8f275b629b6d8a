import { describe, expect, test } from 'vitest';
import { parseInventory } from '../../src/fleet/inventory.js';
import { selectHosts, splitPattern } from '../../src/fleet/limit.js';
import { RunbookError } from '../../src/errors.js';

// The groups of Ansible's pattern documentation, plus names to exercise wildcards and regexes.
const inv = parseInventory(
  `[webservers]
one.example.com
two.example.com
web3.example.org

[dbservers]
db1.example.com
db2.example.com

[staging]
two.example.com
db2.example.com

[phoenix]
db2.example.com

[edges]
edge01
edge02
edge03
edge10

[atlanta]
edge02
edge10
192.0.2.50
`,
  'limit.ini',
);

const select = (p: string | undefined, files: Record<string, string> = {}) =>
  selectHosts(inv, p, (path) => {
    const text = files[path];
    if (text === undefined) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
    return text;
  }).map((h) => h.name);

const usageError = (fn: () => unknown): RunbookError => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(RunbookError);
    expect((e as RunbookError).code).toBe('E_USAGE');
    return e as RunbookError;
  }
  throw new Error('no error thrown');
};

describe('Ansible host patterns', () => {
  test('no pattern, all and * select every host in inventory order', () => {
    const everyone = inv.hosts.map((h) => h.name);
    expect(select(undefined)).toEqual(everyone);
    expect(select('')).toEqual(everyone);
    expect(select('all')).toEqual(everyone);
    expect(select('*')).toEqual(everyone);
  });

  test('a host name, a group name, and an IP address as a host name', () => {
    expect(select('edge02')).toEqual(['edge02']);
    expect(select('dbservers')).toEqual(['db1.example.com', 'db2.example.com']);
    expect(select('192.0.2.50')).toEqual(['192.0.2.50']);
  });

  test('union with : or , keeps inventory order, not pattern order', () => {
    expect(select('edges:webservers')).toEqual([
      'one.example.com',
      'two.example.com',
      'web3.example.org',
      'edge01',
      'edge02',
      'edge03',
      'edge10',
    ]);
    expect(select('edge03,edge01')).toEqual(['edge01', 'edge03']);
    expect(select('edge03, edge01')).toEqual(['edge01', 'edge03']);
  });

  test('exclusion: webservers:!phoenix-like and all:!host', () => {
    expect(select('dbservers:!phoenix')).toEqual(['db1.example.com']);
    expect(select('edges:!atlanta')).toEqual(['edge01', 'edge03']);
    expect(select('all:!edges:!webservers:!dbservers')).toEqual(['192.0.2.50']);
  });

  test('intersection: webservers:&staging', () => {
    expect(select('webservers:&staging')).toEqual(['two.example.com']);
    expect(select('edges:&atlanta')).toEqual(['edge02', 'edge10']);
  });

  test('an exclusion alone applies to all hosts', () => {
    expect(select('!edges')).toHaveLength(inv.hosts.length - 4);
    expect(select('!edges')).not.toContain('edge01');
  });

  test("order of operations: unions, then intersections, then exclusions (Ansible's a:b:&c:!d:!e == &c:a:!d:b:!e == !d:a:!e:&c:b)", () => {
    const a = select('webservers:dbservers:&staging:!phoenix');
    expect(a).toEqual(['two.example.com']);
    expect(select('&staging:webservers:!phoenix:dbservers')).toEqual(a);
    expect(select('!phoenix:webservers:&staging:dbservers')).toEqual(a);
    // Left to right, the intersection would have dropped db2 before the union added it back.
    expect(select('webservers:&staging:dbservers')).toEqual(['two.example.com', 'db2.example.com']);
  });

  test('wildcards: prefix, suffix, ?, character classes, IP wildcard', () => {
    expect(select('edge*')).toEqual(['edge01', 'edge02', 'edge03', 'edge10']);
    expect(select('*.example.com')).toEqual([
      'one.example.com',
      'two.example.com',
      'db1.example.com',
      'db2.example.com',
    ]);
    expect(select('edge0?')).toEqual(['edge01', 'edge02', 'edge03']);
    expect(select('edge0[1-2]')).toEqual(['edge01', 'edge02']);
    expect(select('edge0[!13]')).toEqual(['edge02']);
    expect(select('192.0.*')).toEqual(['192.0.2.50']);
    expect(select('one*.com:dbservers')).toEqual(['one.example.com', 'db1.example.com', 'db2.example.com']);
  });

  test('wildcards match group names too (their hosts are selected)', () => {
    expect(select('db*')).toEqual(['db1.example.com', 'db2.example.com']);
    expect(select('stag*')).toEqual(['two.example.com', 'db2.example.com']);
  });

  test('a dot is literal in a wildcard', () => {
    expect(() => select('one?example.com')).not.toThrow();
    expect(select('one?example.com')).toEqual(['one.example.com']);
    usageError(() => select('oneXexample.com'));
  });

  test('regex with ~ is anchored at the start only (Python re.match)', () => {
    expect(select('~(web|db).*\\.example\\.com')).toEqual(['db1.example.com', 'db2.example.com']);
    expect(select('~edge0[12]')).toEqual(['edge01', 'edge02']);
    expect(usageError(() => select('~dge')).message).toBe(
      "host pattern '~dge' matches no host or group of inventory limit.ini",
    );
    expect(select('~.*dge1')).toEqual(['edge10']);
  });

  test('group subscripts index the group in inventory order, slices are inclusive', () => {
    expect(select('edges[0]')).toEqual(['edge01']);
    expect(select('edges[-1]')).toEqual(['edge10']);
    expect(select('edges[1:2]')).toEqual(['edge02', 'edge03']);
    expect(select('edges[2:]')).toEqual(['edge03', 'edge10']);
    expect(select('edges[:1]')).toEqual(['edge01', 'edge02']);
  });

  test('@file reads one host per line (retry file), and combines with other terms', () => {
    const files = { 'failed.retry': 'edge03\nedge01\n\n# comment\ndb2.example.com\n' };
    expect(select('@failed.retry', files)).toEqual(['db2.example.com', 'edge01', 'edge03']);
    expect(select('@failed.retry:&edges', files)).toEqual(['edge01', 'edge03']);
    expect(select('all:!@failed.retry', files)).not.toContain('edge01');
  });

  test('@file that cannot be read or is empty is a usage error', () => {
    expect(usageError(() => select('@missing.retry')).message).toBe(
      'cannot read host list missing.retry given to --limit: ENOENT',
    );
    expect(usageError(() => select('@empty', { empty: '\n' })).message).toBe(
      'host list empty given to --limit is empty',
    );
  });

  test('a term that matches nothing is an error naming it, even in an exclusion', () => {
    const e = usageError(() => select('edges:!edge07'));
    expect(e.message).toBe(
      "'edge07' in host pattern 'edges:!edge07' matches no host or group of inventory limit.ini",
    );
    expect(e.hint).toContain('groups: webservers, dbservers, staging, phoenix, edges, atlanta');
    expect(usageError(() => select('nosuchgroup')).message).toBe(
      "host pattern 'nosuchgroup' matches no host or group of inventory limit.ini",
    );
  });

  test('a pattern whose terms match but whose result is empty is an error', () => {
    const e = usageError(() => select('phoenix:&edges'));
    expect(e.message).toBe("host pattern 'phoenix:&edges' selects no host of inventory limit.ini");
  });

  test('a bad regex is a usage error', () => {
    expect(usageError(() => select('~edge[')).message).toMatch(
      /^host pattern '~edge\[' is not a valid regular expression/,
    );
  });
});

describe('splitting patterns', () => {
  test('colons inside brackets and IPv6 addresses do not split', () => {
    expect(splitPattern('edges[1:2]:!edge02')).toEqual([
      { op: 'union', text: 'edges[1:2]' },
      { op: 'not', text: 'edge02' },
    ]);
    expect(splitPattern('2001:db8::1,fe80::1')).toEqual([
      { op: 'union', text: '2001:db8::1' },
      { op: 'union', text: 'fe80::1' },
    ]);
    expect(splitPattern('a,&b:!c')).toEqual([
      { op: 'union', text: 'a' },
      { op: 'and', text: 'b' },
      { op: 'not', text: 'c' },
    ]);
  });
});

describe('large inventories', () => {
  test('a group subscript on 100k hosts selects the right hosts (the group is matched once)', () => {
    const names = Array.from({ length: 100_000 }, (_, i) => `edge${i}`);
    const big = parseInventory(`[fleet]\n${names.join('\n')}\n`, 'big.ini');
    const picked = selectHosts(big, 'fleet[0:2]', () => '').map((h) => h.name);
    expect(picked).toEqual(['edge0', 'edge1', 'edge2']);
    expect(selectHosts(big, 'fleet[-1]', () => '').map((h) => h.name)).toEqual(['edge99999']);
  });
});
