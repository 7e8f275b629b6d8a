/** docs/testing.md documents every field of the mock device and test suite schemas; the README every `runbook test` flag. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';

const read = (p: string): string => readFileSync(new URL(`../../${p}`, import.meta.url), 'utf8');

type Node = { properties?: Record<string, Node>; definitions?: Record<string, Node>; [k: string]: unknown };

/** Every property name anywhere in a schema. */
function fields(node: unknown, out = new Set<string>()): Set<string> {
  if (node === null || typeof node !== 'object') return out;
  const n = node as Node;
  for (const k of Object.keys(n.properties ?? {})) out.add(k);
  for (const v of Object.values(n)) fields(v, out);
  return out;
}

describe('testing documentation', () => {
  it.each(['schemas/device.schema.json', 'schemas/test-suite.schema.json'])(
    'docs/testing.md lists every field of %s',
    (file) => {
      const doc = read('docs/testing.md');
      const all = [...fields(JSON.parse(read(file)))];
      expect(all.length).toBeGreaterThan(10);
      expect(all.filter((f) => !doc.includes(`\`${f}\``))).toEqual([]);
    },
  );

  it('the README and docs/testing.md document runbook test, its flags and lab --device', () => {
    const readme = read('README.md');
    const doc = read('docs/testing.md');
    const test = buildProgram().commands.find((c) => c.name() === 'test')!;
    for (const o of test.options) expect(readme + doc, o.long).toContain(o.long!);
    expect(readme).toContain('runbook lab --device');
    expect(readme).toContain('## Testing your runbook');
  });
});
