import { test } from 'vitest';
import { parseSource } from '../../src/runbook/source.js';
import { checkSchema } from '../../src/runbook/schema.js';
import { formatDiagnostic } from '../../src/errors.js';
import { readFileSync } from 'node:fs';
test('scratch', () => {
  const text = readFileSync('/tmp/s.yaml', 'utf8');
  const r = parseSource(text, 's.yaml');
  if (!r.ok) { console.log(r.diagnostics.map(formatDiagnostic).join('\n')); return; }
  const s = checkSchema(r.doc);
  console.log(s.diagnostics.map(formatDiagnostic).join('\n'));
});
