/**
 * Resource limits of the runbook format: every one is a validation error (exit 2) with file:line,
 * never a crash, a hang or an OOM.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { CelBinding, MAX_RESULT_SIZE } from '../../src/expr/cel.js';
import { compileRunbookSource, loadRunbook } from '../../src/runbook/load.js';
import { tempDir } from '../helpers/sshd.js';

function diagnostics(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    if (e instanceof ValidationError)
      return e.diagnostics.map((d) => `${d.pos.line}:${d.pos.col} ${d.message}`);
    throw e;
  }
  throw new Error('expected a ValidationError');
}

const HEAD = 'runbook: limits\nplatform: cisco-iosxe\nsteps:\n';

describe('runbook limits', () => {
  it('a regex that repeats a repeat is refused at its position', () => {
    const d = diagnostics(() =>
      compileRunbookSource(
        `${HEAD}  - id: look\n    run: show version\n    capture:\n      v: {regex: '(?<v>(a+)+)$'}\n`,
        'rb.yaml',
      ),
    );
    expect(d).toHaveLength(1);
    expect(d[0]).toMatch(
      /^7:\d+ .*may take exponential time: the group at offset 5 \(\(a\+\)\+\) repeats a repeat/,
    );
  });

  it('an alias bomb is refused with the line of the first alias', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
    ].join('\n');
    const d = diagnostics(() =>
      compileRunbookSource(`${bomb}\n${HEAD}  - id: v\n    run: show version\n`, 'rb.yaml'),
    );
    expect(d).toEqual(['2:8 YAML aliases expand to more than 100 copies (an alias bomb?)']);
  });

  it('deep nesting is refused before the YAML parser sees it', () => {
    const deep = `${HEAD}  - id: v\n    run: show version\nx: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`;
    const d = diagnostics(() => compileRunbookSource(deep, 'rb.yaml'));
    expect(d).toEqual(['6:67 the YAML nests more than 64 levels deep here']);
    const block = Array.from({ length: 80 }, (_, i) => `${'  '.repeat(i)}k${i}:`).join('\n');
    expect(diagnostics(() => compileRunbookSource(`${block}\n`, 'rb.yaml'))[0]).toMatch(
      /^65:129 the YAML nests more than 64/,
    );
  });

  it('a file too large is refused at once', () => {
    const d = diagnostics(() => compileRunbookSource(`${HEAD}# ${'x'.repeat(5 * 1024 * 1024)}\n`, 'rb.yaml'));
    expect(d[0]).toMatch(/^1:1 the file has \d+ characters; a runbook may have at most 4194304$/);
  });

  it('invalid UTF-8 is refused with its byte offset', async () => {
    const file = join(tempDir(), 'latin1.yaml');
    const bytes = Buffer.concat([
      Buffer.from(`${HEAD}  - id: v\n    run: show caf`),
      Buffer.from([0xe9]),
      Buffer.from('\n'),
    ]);
    writeFileSync(file, bytes);
    const e = await loadRunbook(file).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(ValidationError);
    const d = (e as ValidationError).diagnostics[0]!;
    expect(`${d.pos.line}:${d.pos.col} ${d.message}`).toBe(
      `5:18 the file is not valid UTF-8: byte offset ${bytes.indexOf(0xe9)} (0xe9)`,
    );
  });

  it('a CEL expression too large to parse is a validation error, and a huge result an E_EXPR', () => {
    const big = Array.from({ length: 1500 }, () => '1').join(' + ');
    const d = diagnostics(() =>
      compileRunbookSource(`${HEAD}  - id: v\n    when: ${big} > 0\n    run: show version\n`, 'rb.yaml'),
    );
    expect(d).toHaveLength(1);
    const cel = new CelBinding(new Map());
    expect(() => cel.fromCel('x'.repeat(MAX_RESULT_SIZE + 1))).toThrow(/larger than 16777216 characters/);
    expect(cel.fromCel(['x'.repeat(1000)])).toEqual(['x'.repeat(1000)]);
  });
});

describe('CEL matches() patterns', () => {
  it('a literal pattern that repeats a repeat is fine: matches() is RE2, linear time', () => {
    const rb = compileRunbookSource(
      `${HEAD}  - id: v\n    run: show version\n    expect: {expression: 'output.matches("(x+)+y")'}\n`,
      'rb.yaml',
    );
    expect(rb.steps).toHaveLength(1);
  });

  it('a literal pattern RE2 cannot run (a lookahead) is refused at validate time', () => {
    const d = diagnostics(() =>
      compileRunbookSource(
        `${HEAD}  - id: v\n    run: show version\n    expect: {expression: 'output.matches("x(?=y)")'}\n`,
        'rb.yaml',
      ),
    );
    expect(d).toHaveLength(1);
    expect(d[0]).toMatch(/^6:\d+ .*invalid regular expression "x\(\?=y\)" for matches\(\) \(RE2 syntax\)/);
  });
});
