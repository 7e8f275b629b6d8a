/** The schema itself: strict, documented, closed, and its own examples validate. */
import { Ajv } from 'ajv';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { compileRunbookSource } from '../../src/runbook/load.js';

const schema = JSON.parse(readFileSync('schemas/runbook.schema.json', 'utf8')) as Record<string, unknown>;
type Node = Record<string, unknown>;

/** Every subschema with the path to it. */
function* walk(node: unknown, path: string): Generator<[string, Node]> {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return;
  const n = node as Node;
  yield [path, n];
  for (const key of ['properties', 'definitions']) {
    for (const [k, v] of Object.entries((n[key] as Node | undefined) ?? {}))
      yield* walk(v, `${path}/${key}/${k}`);
  }
  for (const key of ['items', 'additionalProperties', 'then'])
    if (typeof n[key] === 'object') yield* walk(n[key], `${path}/${key}`);
}

describe('schemas/runbook.schema.json', () => {
  it('compiles in ajv strict mode', () => {
    const ajv = new Ajv({ strict: true, strictRequired: false, allowUnionTypes: true });
    expect(() => ajv.compile(schema)).not.toThrow();
  });

  it('describes every field', () => {
    const missing = [...walk(schema, '#')]
      .filter(([path]) => /\/properties\/[^/]+$/.test(path) || /^#\/definitions\/[^/]+$/.test(path))
      .filter(([, n]) => typeof n.description !== 'string' || n.description.length < 10)
      .map(([path]) => path);
    expect(missing).toEqual([]);
  });

  it('closes every object with properties (additionalProperties: false)', () => {
    const open = [...walk(schema, '#')]
      .filter(([, n]) => n.properties !== undefined && n.additionalProperties !== false)
      .map(([p]) => p);
    expect(open).toEqual([]);
  });

  it('accepts its own examples of a whole runbook', () => {
    for (const example of schema.examples as unknown[]) {
      const text = JSON.stringify(example);
      expect(() => compileRunbookSource(text, 'example.json')).not.toThrow();
    }
  });

  it('accepts each definition example against its definition', () => {
    const ajv = new Ajv({ allowUnionTypes: true, strictTypes: false });
    ajv.addSchema(schema, 'rb');
    const defs = schema.definitions as Record<string, Node>;
    let checked = 0;
    for (const [name, def] of Object.entries(defs)) {
      for (const ex of (def.examples as unknown[] | undefined) ?? []) {
        const ok = ajv.validate({ $ref: `rb#/definitions/${name}` }, ex);
        expect(ok, `${name}: ${JSON.stringify(ex)} ${ajv.errorsText()}`).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(10);
  });

  it('hints where a misplaced field belongs', () => {
    try {
      compileRunbookSource(
        'runbook: x\nplatform: linux\nsteps:\n  - id: a\n    run: uptime\n    until: "true"\n',
        'x.yaml',
      );
      throw new Error('valid');
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).diagnostics).toEqual([
        {
          pos: { file: 'x.yaml', line: 6, col: 5 },
          message: "unknown field 'until' in step 'a'",
          hint: '`until` belongs in retry: `retry: {times: 5, delay: 2s, until: <expression>}`',
        },
      ]);
    }
  });
});
