/**
 * The read-only classifier cannot be talked around: every state-changing form of the corpus is
 * refused by validation unless its step declares `changes:`, on every platform, in process and by
 * `runbook validate` itself; every known read-only form stays accepted.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { getProfile } from '../../src/platforms/index.js';
import { classifyCommand } from '../../src/platforms/readonly.js';
import { compileRunbookSource } from '../../src/runbook/load.js';
import { runCli } from '../helpers/cli.js';
import { READS, WRITES } from './corpus.js';
import { corpusRunbook } from './yaml-runbook.js';

const total = Object.values(WRITES).reduce((n, l) => n + l.length, 0);

function diagnosticsOf(src: string, file: string): string[] {
  try {
    compileRunbookSource(src, file);
  } catch (err) {
    if (err instanceof ValidationError) return err.diagnostics.map((d) => `${d.pos.line} ${d.message}`);
    throw err;
  }
  return [];
}

describe('state-changing forms', () => {
  it('the corpus has over 100 forms, on every shipped platform family', () => {
    expect(total).toBeGreaterThanOrEqual(100);
    expect(Object.keys(WRITES).sort()).toEqual([
      'arista-eos',
      'cisco-iosxe',
      'cisco-iosxr',
      'cisco-nxos',
      'juniper-junos',
      'linux',
    ]);
  });

  for (const [platform, forms] of Object.entries(WRITES)) {
    it(`${platform}: none is read-only`, () => {
      const accepted = forms.filter((c) => classifyCommand(getProfile(platform), c).readOnly);
      expect(accepted).toEqual([]);
    });

    it(`${platform}: validation refuses each one without changes, and accepts it with changes`, () => {
      const d = diagnosticsOf(corpusRunbook(platform, forms), `${platform}.yaml`);
      forms.forEach((c, i) => {
        expect(
          d.some((m) => m.includes(`step 's${i}' runs`) && m.includes('not a read-only command')),
          JSON.stringify(c),
        ).toBe(true);
      });
      const declared = diagnosticsOf(
        corpusRunbook(platform, forms, 'changes: test corpus'),
        `${platform}.yaml`,
      );
      expect(declared.filter((m) => m.includes('not a read-only command'))).toEqual([]);
    });
  }

  it('IOS rules apply to SD-WAN edges too', () => {
    const sdwan = getProfile('cisco-iosxe-sdwan');
    for (const c of WRITES['cisco-iosxe']!) expect(classifyCommand(sdwan, c).readOnly, c).toBe(false);
  });

  it('the reason names what makes the command a write', () => {
    const ios = getProfile('cisco-iosxe');
    expect(classifyCommand(ios, 'show run | red flash:x')).toEqual({
      readOnly: false,
      reason: 'its output pipe `| red` is `| redirect`, which writes',
    });
    expect(classifyCommand(ios, 's run')).toMatchObject({ reason: '`s` is not a read-only command' });
    expect(classifyCommand(getProfile('linux'), 'cat x | sh')).toEqual({
      readOnly: false,
      reason: '`sh` is not a known read-only command',
    });
  });
});

describe('read-only forms', () => {
  for (const [platform, forms] of Object.entries(READS)) {
    it(`${platform}: each is read-only and validates without changes`, () => {
      const refused = forms
        .map((c) => ({ c, v: classifyCommand(getProfile(platform), c) }))
        .filter((x) => !x.v.readOnly);
      expect(refused).toEqual([]);
      expect(diagnosticsOf(corpusRunbook(platform, forms), `${platform}.yaml`)).toEqual([]);
    });
  }
});

describe('runbook validate (the CLI) on the corpus', () => {
  const dir = mkdtempSync(join(tmpdir(), 'runbook-corpus-'));
  const writes = Object.entries(WRITES).map(([p, forms]) => {
    const file = join(dir, `writes-${p}.yaml`);
    writeFileSync(file, corpusRunbook(p, forms));
    return { file, forms };
  });
  const reads = Object.entries(READS).map(([p, forms]) => {
    const file = join(dir, `reads-${p}.yaml`);
    writeFileSync(file, corpusRunbook(p, forms));
    return file;
  });

  it('exits 2 naming every state-changing step at its file:line', async () => {
    const r = await runCli(['validate', ...writes.map((w) => w.file)]);
    expect(r.code).toBe(2);
    for (const w of writes) {
      w.forms.forEach((c, i) => {
        // step s<i> has its run at line 5 + 2i
        expect(r.stderr, JSON.stringify(c)).toContain(`${w.file}:${5 + 2 * i}:`);
      });
    }
    expect(r.stderr.match(/which is not a read-only command/g)?.length).toBe(total);
  });

  it('exits 0 for the read-only forms, the shipped runbooks and the examples', async () => {
    const r = await runCli([
      'validate',
      ...reads,
      'runbooks/recover-inv-spi.yaml',
      'examples/iosxe-interface-check.yaml',
      'examples/linux-disk-check.yaml',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});
