/**
 * Differential: the engine and Debian's python3-textfsm (clitable, as ntc-templates' parse_output)
 * give the same records, in the same key order, for every case of the shared corpus, and refuse the
 * same inputs. Under CI=true a missing python3-textfsm fails this suite.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseOutput } from '../../src/parse/lookup.js';
import { corpusAvailable, corpusCases, NTC_TEMPLATES } from './ntc-corpus.js';

const PYTHON = '/usr/bin/python3';
const REF = join(dirname(fileURLToPath(import.meta.url)), 'textfsm_ref.py');
const CI = process.env['CI'] === 'true';

function hasTextfsm(): boolean {
  return existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import textfsm'], { stdio: 'ignore' }).status === 0;
}

const available = hasTextfsm() && corpusAvailable();

describe('engine vs python3-textfsm', () => {
  it.runIf(CI || !available)('python3-textfsm and the corpus are installed', () => {
    expect(hasTextfsm(), `${PYTHON} -c 'import textfsm' failed: apt-get install python3-textfsm`).toBe(true);
    expect(corpusAvailable()).toBe(true);
  });

  it.runIf(available)(
    'every corpus case gives the same records or the same refusal',
    () => {
      const cases = corpusCases();
      const res = spawnSync(PYTHON, [REF, 'cases', NTC_TEMPLATES], {
        input: JSON.stringify(
          cases.map((c) => ({ platform: c.platform, command: c.command, raw: c.rawPath })),
        ),
        encoding: 'utf8',
        maxBuffer: 256 * 1024 * 1024,
      });
      expect(res.status, res.stderr).toBe(0);
      const ref = JSON.parse(res.stdout) as ({ records: unknown[] } | { error: string })[];
      const diffs: string[] = [];
      cases.forEach((c, i) => {
        const r = ref[i]!;
        let mine: unknown;
        try {
          mine = parseOutput({
            dirs: [NTC_TEMPLATES],
            platform: c.platform,
            command: c.command,
            text: c.raw,
          });
        } catch (err) {
          mine = { error: (err as Error).message };
        }
        const theirs = 'records' in r ? r.records : r;
        const same =
          'records' in r
            ? JSON.stringify(mine) === JSON.stringify(theirs)
            : typeof mine === 'object' && 'error' in mine!;
        if (!same)
          diffs.push(
            `${c.id}: ${JSON.stringify(mine).slice(0, 200)} != ${JSON.stringify(theirs).slice(0, 200)}`,
          );
      });
      expect(diffs).toEqual([]);
    },
    300_000,
  );
});
