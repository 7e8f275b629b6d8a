/**
 * Every broken runbook in test/fixtures/invalid/ declares its expected diagnostics at the top,
 * one `# expect: <line>:<col> <message>` line each, in order; the loader must report exactly those.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { compileRunbookSource } from '../../src/runbook/load.js';

const dir = 'test/fixtures/invalid';
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

function expectedOf(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('# expect: '))
    .map((l) => l.slice('# expect: '.length));
}

describe('invalid runbooks are reported at file:line:col', () => {
  it('has at least 25 broken runbooks, each declaring what it expects', () => {
    expect(files.length).toBeGreaterThanOrEqual(25);
    for (const f of files) expect(expectedOf(readFileSync(join(dir, f), 'utf8')), f).not.toEqual([]);
  });

  it.each(files)('%s', (f) => {
    const file = join(dir, f);
    const text = readFileSync(file, 'utf8');
    let error: unknown;
    try {
      compileRunbookSource(text, file);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const diagnostics = (error as ValidationError).diagnostics;
    // A problem inside a part (`use:`) is at the part's file, named relative to this folder.
    const where = (d: (typeof diagnostics)[number]): string =>
      d.pos.file === file ? '' : `${relative(dir, d.pos.file)}:`;
    expect(diagnostics.map((d) => `${where(d)}${d.pos.line}:${d.pos.col} ${d.message}`)).toEqual(
      expectedOf(text),
    );
    expect((error as ValidationError).code).toBe('E_RUNBOOK_INVALID');
  });
});
