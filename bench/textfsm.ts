/**
 * The TextFSM engine against Debian's python3-textfsm (clitable, as ntc-templates' parse_output),
 * same inputs, same run: several MB built by repeating the ntc-templates corpus outputs of
 * `show interfaces` (cisco_ios), `show ip route` (cisco_ios) and `show interface` (cisco_nxos).
 * End to end per run: index lookup, template compile, parse, records with lower-cased keys (ours
 * compiles the template afresh each run too: no cache). Best of REPEAT runs each side, after which
 * both sides' records must hash the same (sha256 of their JSON), or the bench fails.
 * Results: the `textfsm` section of bench/results.md.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toRecords } from '../src/parse/clitable.js';
import { parseRows } from '../src/parse/fsm.js';
import { findTemplates } from '../src/parse/lookup.js';
import { compileTemplate } from '../src/parse/template.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');
const PYTHON = '/usr/bin/python3';
const REF = join(ROOT, 'test', 'parse', 'textfsm_ref.py');

interface Input {
  platform: string;
  command: string;
  folder: string;
}

const INPUTS: Input[] = [
  { platform: 'cisco_ios', command: 'show interfaces', folder: 'cisco_ios/show_interfaces' },
  { platform: 'cisco_ios', command: 'show ip route', folder: 'cisco_ios/show_ip_route' },
  { platform: 'cisco_nxos', command: 'show interface', folder: 'cisco_nxos/show_interface' },
];

export interface TextfsmRow {
  platform: string;
  command: string;
  bytes: number;
  records: number;
  ours: { bestS: number; firstS: number };
  python: { bestS: number };
  same: boolean;
}

function ntcRoot(): string {
  for (let dir = resolve(ROOT, '..'); ; dir = dirname(dir)) {
    const p = join(dir, 'shared', 'ntc-templates');
    if (existsSync(p)) return p;
    if (dirname(dir) === dir) throw new Error('ntc-templates not found in any ancestor shared/ folder');
  }
}

/** The corpus outputs of a command folder, repeated to at least `mb` MB. */
function buildInput(tests: string, folder: string, mb: number): string {
  const dir = join(tests, folder);
  const parts = readdirSync(dir)
    .filter((f) => f.endsWith('.raw'))
    .sort()
    .map((f) => readFileSync(join(dir, f), 'utf8').replace(/\r\n?/g, '\n').replace(/\n*$/, '\n'));
  const one = parts.join('');
  return one.repeat(Math.ceil((mb * 1e6) / one.length));
}

/** One end-to-end parse as parse_output does it; returns the records' JSON. */
function ours(templates: string, input: Input, text: string): string {
  const found = findTemplates([templates], input.platform, input.command);
  if (!found) throw new Error(`no template for ${input.platform} ${input.command}`);
  const path = found.paths[0]!;
  const t = compileTemplate(readFileSync(path, 'utf8'), path);
  return JSON.stringify(toRecords(t.header, parseRows(t, text), true));
}

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

export function benchTextfsm(opts: { mb: number; repeat: number }): TextfsmRow[] {
  const root = ntcRoot();
  const templates = join(root, 'templates');
  const work = mkdtempSync(join(tmpdir(), 'runbook-textfsm-bench-'));
  const rows: TextfsmRow[] = [];
  try {
    for (const input of INPUTS) {
      const text = buildInput(join(root, 'tests'), input.folder, opts.mb);
      const file = join(work, 'input.txt');
      writeFileSync(file, text);
      const times: number[] = [];
      let json = '';
      for (let i = 0; i < opts.repeat; i++) {
        const t0 = performance.now();
        json = ours(templates, input, text);
        times.push((performance.now() - t0) / 1000);
      }
      const py = spawnSync(
        PYTHON,
        [REF, 'bench', templates, input.platform, input.command, file, String(opts.repeat)],
        { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
      );
      if (py.status !== 0) throw new Error(`python3-textfsm failed: ${py.stderr}`);
      const ref = JSON.parse(py.stdout) as { seconds: number; records: number; sha256: string };
      const row: TextfsmRow = {
        platform: input.platform,
        command: input.command,
        bytes: Buffer.byteLength(text),
        records: (JSON.parse(json) as unknown[]).length,
        ours: { bestS: Math.min(...times), firstS: times[0]! },
        python: { bestS: ref.seconds },
        same: ref.sha256 === sha(json),
      };
      rows.push(row);
      process.stderr.write(
        `bench textfsm: ${input.platform} ${input.command}: ${(row.bytes / 1e6).toFixed(1)} MB, ours ${row.ours.bestS.toFixed(3)} s, python ${row.python.bestS.toFixed(3)} s, ${(row.python.bestS / row.ours.bestS).toFixed(1)}x${row.same ? '' : ' (RECORDS DIFFER)'}\n`,
      );
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return rows;
}

/** The results.md section (bench/sections.ts wraps it in its markers). */
export function formatTextfsm(rows: TextfsmRow[], repeat: number): string {
  const mbs = (bytes: number, s: number) => (bytes / 1e6 / s).toFixed(1);
  const lines = [
    '## TextFSM engine vs python3-textfsm',
    '',
    `Measured by \`npm run bench -- --only textfsm\` (bench/textfsm.ts) on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} cores, Node ${process.version}, Debian python3-textfsm.`,
    'Inputs: the ntc-templates corpus outputs of each command repeated to several MB, parsed end to end as',
    "ntc-templates' parse_output does (index lookup, template compile, parse, records with lower-cased keys) by both",
    `sides in the same run; best of ${repeat} runs each (first run of ours, JIT cold, beside it). Both sides' records`,
    'hash the same (sha256 of their JSON), or the bench fails.',
    '',
    '| platform | command | input MB | records | ours s (first) | ours MB/s | python s | python MB/s | ratio | same records |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---|',
    ...rows.map(
      (r) =>
        `| ${r.platform} | ${r.command} | ${(r.bytes / 1e6).toFixed(1)} | ${r.records} | ${r.ours.bestS.toFixed(3)} (${r.ours.firstS.toFixed(3)}) | ${mbs(r.bytes, r.ours.bestS)} | ${r.python.bestS.toFixed(3)} | ${mbs(r.bytes, r.python.bestS)} | **${(r.python.bestS / r.ours.bestS).toFixed(1)}x** | ${r.same ? 'yes' : 'NO'} |`,
    ),
    '',
    `Target: at least 5x python3-textfsm end to end: ${rows.every((r) => r.python.bestS / r.ours.bestS >= 5) ? 'met' : 'NOT met'} (lowest ${Math.min(...rows.map((r) => r.python.bestS / r.ours.bestS)).toFixed(1)}x).`,
  ];
  return `${lines.join('\n')}\n`;
}
