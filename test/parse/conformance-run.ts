import { isDeepStrictEqual } from 'node:util';
import { parseOutput } from '../../src/parse/lookup.js';
import { corpusCases, expected, NTC_TEMPLATES } from './ntc-corpus.js';
let ok = 0,
  bad = 0;
const t0 = performance.now();
for (const c of corpusCases()) {
  try {
    const got = parseOutput({ dirs: [NTC_TEMPLATES], platform: c.platform, command: c.command, text: c.raw });
    const exp = expected(c);
    if (isDeepStrictEqual(JSON.parse(JSON.stringify(got)), exp)) ok++;
    else {
      bad++;
      console.log(
        'MISMATCH',
        c.id,
        JSON.stringify(got).slice(0, 300),
        '\n   exp',
        JSON.stringify(exp).slice(0, 300),
      );
    }
  } catch (e) {
    bad++;
    console.log('ERR', c.id, (e as Error).message.slice(0, 300));
  }
}
console.log(ok, bad, performance.now() - t0);
