import { compileRunbookSource } from '../../src/runbook/load.js';
import { readFileSync } from 'node:fs';
try { const rb = compileRunbookSource(readFileSync('test/engine/fixtures/inv-spi.yaml','utf8'), 't.yaml'); console.log(JSON.stringify(rb.steps.map(s=>[s.id,s.kind]), null, 0)); } catch (e) { console.log(e.message) }
