/**
 * The output benchmark (`npm run bench`, section `output`; `--only output` runs it alone): the shell
 * transport's output processing on huge outputs, each case in a fresh process (bench/output-case):
 * 200 MB of 100-byte lines (max_output raised to 256 MB), one 20 MB line, and 200 MB under the
 * default 64 MiB limit (the command must fail with E_OUTPUT_LIMIT). Wall seconds and peak RSS.
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

interface CaseResult {
  seconds: number;
  peakRssMb: number;
  outcome: string;
}

const CASES = [
  { name: 'lines', what: '200 MB of 100-byte lines (max_output 256MB)', expect: /^ok/ },
  { name: 'one-line', what: 'one 20 MB line', expect: /^ok/ },
  { name: 'capped', what: '200 MB under the default 64 MiB limit', expect: /^E_OUTPUT_LIMIT$/ },
];

/** Runs every case; `met` is false when a case did not end as it must. */
export function benchOutput(): { markdown: string; met: boolean } {
  const rows: string[] = [];
  let met = true;
  for (const c of CASES) {
    const child = spawnSync(process.execPath, [join(HERE, 'output-case.js'), c.name], { encoding: 'utf8' });
    if (child.status !== 0) throw new Error(`output case ${c.name} failed: ${child.stderr}`);
    const r = JSON.parse(child.stdout) as CaseResult;
    if (!c.expect.test(r.outcome)) met = false;
    process.stderr.write(
      `bench: output: ${c.what}: ${r.seconds.toFixed(2)} s, peak RSS ${r.peakRssMb.toFixed(0)} MB, ${r.outcome}\n`,
    );
    rows.push(`| ${c.what} | ${r.seconds.toFixed(2)} | ${r.peakRssMb.toFixed(0)} | ${r.outcome} |`);
  }
  const markdown = [
    '## Output processing (bench/output.ts)',
    '',
    `Measured on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}.`,
    'A ShellSession over an in-memory IOS-like channel, fed in 32 KiB chunks as fast as it takes them; each case in its',
    'own process (peak RSS is the whole process: Node itself is about 45 MB). Wall = login + the command. Work per',
    'chunk is bounded (only the end of the current line is searched), so time and memory grow linearly with the output.',
    '',
    '| case | seconds | peak RSS MB | outcome |',
    '|---|---:|---:|---|',
    ...rows,
  ].join('\n');
  return { markdown, met };
}
