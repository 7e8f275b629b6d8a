import { test } from 'vitest';
import { compileRunbookSource } from '../../src/runbook/load.js';
import { ValidationError, formatDiagnostic } from '../../src/errors.js';
import { readFileSync } from 'node:fs';
test('scratch', () => {
  const text = readFileSync('/tmp/s.yaml', 'utf8');
  try { const rb = compileRunbookSource(text, 's.yaml'); console.log(JSON.stringify(rb, (k, v) => typeof v === 'bigint' ? String(v) : k === 'pos' ? undefined : v, 1).slice(0, 3000)); }
  catch (e) { if (e instanceof ValidationError) console.log(e.diagnostics.map(formatDiagnostic).join('\n')); else throw e; }
});
