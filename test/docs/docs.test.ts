/**
 * The README and docs stay true: every field of the runbook schema is documented in
 * docs/runbook-format.md, every `runbook` subcommand and exec flag appears in the README, and the
 * README shows the two set-up commands.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';

const root = new URL('../../', import.meta.url);
const read = (p: string): string => readFileSync(new URL(p, root), 'utf8');

type SchemaNode = {
  properties?: Record<string, SchemaNode>;
  $defs?: Record<string, SchemaNode>;
  definitions?: Record<string, SchemaNode>;
};

describe('documentation', () => {
  it('docs/runbook-format.md lists every field of the runbook schema with its description', () => {
    const schema = JSON.parse(read('schemas/runbook.schema.json')) as SchemaNode;
    const doc = read('docs/runbook-format.md');
    const nodes = [schema, ...Object.values(schema.$defs ?? schema.definitions ?? {})];
    const fields = nodes.flatMap((n) => Object.keys(n.properties ?? {}));
    expect(fields.length).toBeGreaterThan(40);
    const missing = [...new Set(fields)].filter((f) => !doc.includes(`| \`${f}\` |`));
    expect(missing).toEqual([]);
  });

  it('the README documents every command and every exec flag', () => {
    const readme = read('README.md');
    const program = buildProgram();
    for (const cmd of program.commands) {
      expect(readme, `command ${cmd.name()}`).toContain(`runbook ${cmd.name()}`);
      if (cmd.name() !== 'exec') continue;
      for (const opt of cmd.options) expect(readme, `exec ${opt.long}`).toContain(opt.long!);
    }
  });

  it('the README shows the set-up commands CI and users run', () => {
    const readme = read('README.md');
    expect(readme).toContain('npm install && npm run demo');
    expect(readme).toContain('npm test');
    expect(read('.ci/run')).toMatch(/^npm test$/m);
  });
});
