/**
 * The ntc-templates corpus beside the repository (../shared/ntc-templates, never copied here):
 * every test case as ntc-templates' own runner reads it (platform = folder above, command = folder
 * name with `_` read as a space, expected = `parsed_sample` of the .yml, loaded as YAML 1.1 like
 * PyYAML does).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { parse } from 'yaml';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `<repo>/../shared` (as CI lays it out), else the nearest ancestor's `shared/` (a worktree's). */
export function sharedDir(): string {
  for (let dir = resolve(ROOT, '..'); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'shared'))) return join(dir, 'shared');
    if (dirname(dir) === dir) return resolve(ROOT, '..', 'shared');
  }
}

export const NTC_ROOT = join(sharedDir(), 'ntc-templates');
export const NTC_TEMPLATES = join(NTC_ROOT, 'templates');
export const NTC_TESTS = join(NTC_ROOT, 'tests');

export interface CorpusCase {
  /** platform/command_folder/case, for test names. */
  id: string;
  platform: string;
  command: string;
  raw: string;
  rawPath: string;
  ymlPath: string;
}

export function corpusAvailable(): boolean {
  return existsSync(NTC_TEMPLATES) && existsSync(NTC_TESTS);
}

export function corpusCases(): CorpusCase[] {
  const cases: CorpusCase[] = [];
  for (const platform of readdirSync(NTC_TESTS).sort()) {
    const pdir = join(NTC_TESTS, platform);
    if (!existsSync(join(pdir)) || platform.includes('.')) continue;
    for (const folder of readdirSync(pdir).sort()) {
      const cdir = join(pdir, folder);
      let files: string[];
      try {
        files = readdirSync(cdir);
      } catch {
        continue;
      }
      for (const f of files.sort()) {
        if (!f.endsWith('.raw')) continue;
        const base = f.slice(0, -4);
        const ymlPath = join(cdir, `${base}.yml`);
        if (!existsSync(ymlPath)) continue;
        const rawPath = join(cdir, f);
        cases.push({
          id: `${platform}/${folder}/${base}`,
          platform,
          command: folder.split('_').join(' '),
          raw: readFileSync(rawPath, 'utf8').replace(/\r\n?/g, '\n'),
          rawPath,
          ymlPath,
        });
      }
    }
  }
  return cases;
}

/** The expected records of a case (`parsed_sample`), read as PyYAML would. */
export function expected(c: CorpusCase): unknown[] {
  const doc = parse(readFileSync(c.ymlPath, 'utf8'), { version: '1.1' }) as {
    parsed_sample?: unknown[];
  } | null;
  return doc?.parsed_sample ?? [];
}

/** Compare like tests/test_structured_data_against_parsed_reference_files.py; '' when equal. */
export function runnerDiff(processed: unknown[], reference: unknown[]): string {
  if (processed.length !== reference.length)
    return `${processed.length} records, expected ${reference.length}`;
  for (let i = 0; i < reference.length; i++) {
    const p = processed[i] as Record<string, unknown>;
    const r = reference[i] as Record<string, unknown>;
    const pk = Object.keys(p);
    const rk = Object.keys(r);
    const diff = [...pk.filter((k) => !rk.includes(k)), ...rk.filter((k) => !pk.includes(k))];
    if (diff.length > 0) return `entry #${i}: key diffs: ${diff.join(', ')}`;
    for (const k of rk) {
      if (!isDeepStrictEqual(p[k], r[k])) {
        return `entry #${i}, key: ${k}: ${JSON.stringify(p[k])} != ${JSON.stringify(r[k])}`;
      }
    }
  }
  return '';
}
