/** Every rules file in examples/ validates (its runbooks included), through `runbook validate` too. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRules } from '../../src/watch/rules.js';
import { runCli } from '../helpers/cli.js';

const files = readdirSync('examples')
  .filter((f) => /\.rules\.ya?ml$/.test(f))
  .map((f) => join('examples', f));

describe('example rules files', () => {
  it('include the INV_SPI rules users copy', () => {
    expect(files).toContain(join('examples', 'inv-spi.rules.yaml'));
  });

  it.each(files)('%s compiles: runbooks load, groups are their vars, vars are typed', async (file) => {
    const { rules } = await loadRules(file);
    expect(rules.length).toBeGreaterThan(0);
    const spi = rules.find((r) => r.name === 'recover-inv-spi');
    if (spi) {
      expect(spi.groups).toEqual(['peer']);
      expect(spi.approval).toBe('ask');
      expect(spi.vars.escalation).toEqual(['port_hop', 'omp']);
    }
  });

  it('runbook validate accepts runbooks and rules files in one call (the README tour)', async () => {
    const r = await runCli(['validate', 'examples/iosxe-interface-check.yaml', ...files]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ok: examples/inv-spi.rules.yaml (2 watch rules)');
  });
});
