/**
 * Test suites (`*.test.yaml`, schemas/test-suite.schema.json) loaded into plain cases: paths
 * resolved against the suite's folder, defaults (runbook, device) filled, positions kept for
 * messages. Every problem of a suite is reported at once (ValidationError E_TEST_INVALID).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Ajv } from 'ajv';
import schema from '../../schemas/test-suite.schema.json' with { type: 'json' };
import { RunbookError, ValidationError, type SourcePos } from '../errors.js';
import type { HostOutcome, StepOutcome } from '../engine/events.js';
import type { Scenario } from '../lab/topology.js';
import { explainSchemaErrors } from '../runbook/schema-errors.js';
import { parseSource } from '../runbook/source.js';

const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, verbose: true });
const validate = ajv.compile(schema);

/** Where a case's device comes from. */
export type DeviceSpec =
  | { kind: 'file'; file: string; replay: 'strict' | 'model' }
  | {
      kind: 'lab';
      scenario: Scenario;
      confirm: boolean;
      bfdDelayMs: number;
      dropOnControlClear: boolean;
      hostname: string;
    };

export interface Expectations {
  outcome?: HostOutcome;
  sent?: string[];
  wouldRun?: string[];
  message?: string;
  messageRegex?: string;
  notMessage?: string;
  stoppedAt?: string;
  steps?: Record<string, StepOutcome>;
  captures?: Record<string, Record<string, unknown>>;
  /** Exactly the host's result rows, in order, each a subset of its row's fields. */
  results?: Record<string, unknown>[];
  commands?: string[];
}

export interface TestHost {
  /** Host name; absent: the device's hostname. */
  name?: string;
  device: DeviceSpec;
  expect: Expectations;
}

export interface TestCase {
  name: string;
  /** Absolute path of the runbook. */
  runbook: string;
  hosts: TestHost[];
  vars: string[];
  dryRun: boolean;
  approve: 'all' | 'none' | string[];
  startAt?: string;
  pos: SourcePos;
}

export interface TestSuite {
  file: string;
  cases: TestCase[];
}

type Raw = Record<string, unknown>;

export function loadSuite(file: string): TestSuite {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new RunbookError('E_USAGE', `cannot read test suite ${file}: ${(err as Error).message}`, {
      hint: 'give a *.test.yaml file, or a runbook with --cassette FILE',
      cause: err,
    });
  }
  const parsed = parseSource(text.replace(/^\uFEFF/, ''), file);
  if (!parsed.ok) throw new ValidationError(parsed.diagnostics, 'E_TEST_INVALID');
  const doc = parsed.doc;
  const raw = doc.data as Raw | undefined;
  if (raw && typeof raw === 'object' && 'steps' in raw && !('cases' in raw)) {
    throw new RunbookError('E_TEST_INVALID', `${file} is a runbook, not a test suite`, {
      hint: `replay a cassette against it (runbook test ${file} --cassette FILE), or write a suite beside it (${file.replace(/\.ya?ml$/, '')}.test.yaml, see docs/testing.md)`,
    });
  }
  if (!validate(doc.data)) {
    throw new ValidationError(
      explainSchemaErrors(validate.errors ?? [], doc, 'the test suite'),
      'E_TEST_INVALID',
    );
  }
  const d = doc.data as Raw;
  const base = dirname(resolve(file));
  const diagnostics = [];
  const cases: TestCase[] = [];
  for (const [i, c] of (d.cases as Raw[]).entries()) {
    const pos = doc.keyPos(['cases', i]);
    const runbook = (c.runbook ?? d.runbook) as string | undefined;
    const device = c.device ?? d.device;
    if (runbook === undefined) {
      diagnostics.push({
        pos,
        message: `case '${String(c.name)}' names no runbook`,
        hint: 'add `runbook: FILE` to the case or to the suite',
      });
      continue;
    }
    let hosts: TestHost[];
    const expect = expectations((c.expect ?? {}) as Raw);
    if (c.hosts) {
      hosts = Object.entries(c.hosts as Record<string, Raw>).map(([name, h]) => ({
        name,
        device: deviceSpec(h.device, base),
        expect: h.expect ? expectations(h.expect as Raw) : expect,
      }));
    } else if (device !== undefined) {
      hosts = [{ device: deviceSpec(device, base), expect }];
    } else {
      diagnostics.push({
        pos,
        message: `case '${String(c.name)}' names no device`,
        hint: 'add `device: FILE` (a mock device or cassette), `device: {lab: classic}`, or `hosts:`',
      });
      continue;
    }
    const tc: TestCase = {
      name: String(c.name),
      runbook: resolve(base, runbook),
      hosts,
      vars: Object.entries((c.vars ?? {}) as Raw).map(
        ([k, v]) => `${k}=${Array.isArray(v) ? JSON.stringify(v) : String(v)}`,
      ),
      dryRun: c.dry_run === true,
      approve: (c.approve as TestCase['approve'] | undefined) ?? 'all',
      pos,
    };
    if (typeof c.start_at === 'string') tc.startAt = c.start_at;
    cases.push(tc);
  }
  if (diagnostics.length > 0) throw new ValidationError(diagnostics, 'E_TEST_INVALID');
  return { file, cases };
}

export function deviceSpec(v: unknown, base: string): DeviceSpec {
  if (typeof v === 'string') return { kind: 'file', file: resolve(base, v), replay: 'strict' };
  const r = v as Raw;
  if (typeof r.file === 'string') {
    return {
      kind: 'file',
      file: resolve(base, r.file),
      replay: (r.replay as 'strict' | 'model' | undefined) ?? 'strict',
    };
  }
  return {
    kind: 'lab',
    scenario: r.lab as Scenario,
    confirm: r.confirm === true,
    bfdDelayMs: (r.bfd_delay as number | undefined) ?? 3000,
    dropOnControlClear: r.drop_on_control_clear === true,
    hostname: (r.hostname as string | undefined) ?? 'edge1',
  };
}

function expectations(e: Raw): Expectations {
  const out: Expectations = {};
  if (e.outcome !== undefined) out.outcome = e.outcome as HostOutcome;
  if (e.sent !== undefined) out.sent = e.sent as string[];
  if (e.would_run !== undefined) out.wouldRun = e.would_run as string[];
  if (e.message !== undefined) out.message = e.message as string;
  if (e.message_regex !== undefined) out.messageRegex = e.message_regex as string;
  if (e.not_message !== undefined) out.notMessage = e.not_message as string;
  if (e.stopped_at !== undefined) out.stoppedAt = e.stopped_at as string;
  if (e.steps !== undefined) out.steps = e.steps as Record<string, StepOutcome>;
  if (e.captures !== undefined) out.captures = e.captures as Record<string, Record<string, unknown>>;
  if (e.commands !== undefined) out.commands = e.commands as string[];
  if (e.results !== undefined) out.results = e.results as Record<string, unknown>[];
  return out;
}
