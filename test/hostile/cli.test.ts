/**
 * `runbook exec` against the hostile device (test/hostile/device.ts), as a user runs it: each run
 * ends with a clear error and a run record `runbook runs` can show, the device's log proves nothing
 * unintended reached it, and no secret (SSH password, secret var, echoed by the device and picked up
 * by a capture) lands in any file the run wrote or any output.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliRun } from '../helpers/cli.js';
import { tempDir } from '../helpers/sshd.js';
import { execOnDevice, trustDevice, writeRunbook } from './cli-runs.js';
import { startHostileDevice, type HostileDevice } from './device.js';

const TOKEN = 'Tok3nZ9q';
let dev: HostileDevice;
let dir: string;
let known: string;

beforeAll(async () => {
  dev = await startHostileDevice({ password: 'Hostile-Pw-5521' });
  dir = tempDir('runbook-hostile-');
  known = trustDevice(dev, dir);
});
afterAll(async () => {
  await dev.close();
});

function filesUnder(d: string): string[] {
  return readdirSync(d).flatMap((name) => {
    const p = join(d, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

function runbook(name: string, lines: string[]): string {
  return writeRunbook(dir, name, lines);
}

function exec(file: string, state: string, extra: string[] = []): Promise<CliRun> {
  return execOnDevice(dev, known, file, state, extra);
}

/** Lines the device received from `from` on (its log is shared by the runs of this file). */
const since = (from: number): string[] => dev.log.slice(from);

async function recorded(state: string): Promise<string> {
  const runs = await runCli(['runs', '--state-dir', state]);
  expect(runs.code, runs.stderr).toBe(0);
  const id = /^(\d{8}-\d{6}-[0-9a-f]{4})/m.exec(runs.stdout)?.[1];
  expect(id).toBeDefined();
  const shown = await runCli(['runs', id!, '--state-dir', state]);
  expect(shown.code, shown.stderr).toBe(0);
  return shown.stdout;
}

describe('runbook exec against a hostile device', () => {
  it('a mode change stops the host: the next step is never sent', async () => {
    const file = runbook('mode', [
      'steps:',
      '  - id: look',
      '    run: show mode-change',
      '  - id: after',
      '    run: show version',
    ]);
    const from = dev.log.length;
    const state = join(dir, 'state-mode');
    const r = await exec(file, state);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout + r.stderr).toContain('the device is in another mode (prompt "edge1(config)#")');
    expect(since(from)).toEqual([
      'line: terminal length 0',
      'line: terminal width 0',
      'line: show mode-change',
    ]);
    expect(await recorded(state)).toMatch(/look/);
  });

  it('endless output fails the step at max_output with Ctrl-C, in bounded time, with a record', async () => {
    const file = runbook('flood', [
      'steps:',
      '  - id: flood',
      '    run: show endless',
      '    max_output: 1MB',
      '  - id: after',
      '    run: show version',
    ]);
    const from = dev.log.length;
    const state = join(dir, 'state-flood');
    const r = await exec(file, state);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout + r.stderr).toContain('printed more than 1000000 bytes; Ctrl-C was sent');
    const got = since(from);
    expect(got.slice(0, 4)).toEqual([
      'line: terminal length 0',
      'line: terminal width 0',
      'line: show endless',
      'key: ^C',
    ]);
    expect(got.filter((l) => l.startsWith('line: show'))).toEqual(['line: show endless']);
    expect(await recorded(state)).toMatch(/flood/);
  });

  it('a regex that could backtrack forever on device output is refused before connecting', async () => {
    const file = runbook('redos', [
      'steps:',
      '  - id: look',
      '    run: show redos',
      '    capture:',
      "      a: {regex: '(?<a>(a+)+)$'}",
    ]);
    const from = dev.log.length;
    const r = await exec(file, join(dir, 'state-redos'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/redos\.yaml:7:\d+: .*may take exponential time/);
    expect(since(from)).toEqual([]);
  });

  it('a regex that backtracks on device output is stopped at the step timeout, not the process', async () => {
    const file = runbook('redos-run', [
      'steps:',
      '  - id: look',
      '    run: show redos',
      '    timeout: 2s',
      '    capture:',
      "      a: {regex: '(?<a>(?:a|a)*)b'}",
      '  - id: after',
      '    run: show version',
    ]);
    const from = dev.log.length;
    const state = join(dir, 'state-redos-run');
    const r = await exec(file, state);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout + r.stderr).toContain('the regex ran for more than 2000 ms');
    expect(since(from).filter((l) => l.startsWith('line: show'))).toEqual(['line: show redos']);
    expect(await recorded(state)).toMatch(/look/);
  });

  it('an expect regex that backtracks on device output is stopped at the step timeout', async () => {
    const file = runbook('redos-expect', [
      'steps:',
      '  - id: look',
      '    run: show redos',
      '    timeout: 2s',
      "    expect: {regex: '(?:a|a)*b'}",
      '  - id: after',
      '    run: show version',
    ]);
    const from = dev.log.length;
    const state = join(dir, 'state-redos-expect');
    const r = await exec(file, state);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout + r.stderr).toContain('expect regex: the regex ran for more than 2000 ms');
    expect(since(from).filter((l) => l.startsWith('line: show'))).toEqual(['line: show redos']);
    expect(await recorded(state)).toMatch(/look/);
  });

  it('CEL matches() with a runtime pattern is RE2: hostile output cannot make it backtrack', async () => {
    const file = runbook('redos-cel', [
      'steps:',
      '  - id: pattern',
      '    set:',
      '      pat: \'"^(a|a)*b$"\'',
      '  - id: look',
      '    run: show redos',
      '    expect: {expression: output.matches(pat)}',
      '  - id: after',
      '    run: show version',
    ]);
    const from = dev.log.length;
    const state = join(dir, 'state-redos-cel');
    const r = await exec(file, state);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout + r.stderr).toContain('expected `output.matches(pat)` to hold (it is false)');
    expect(since(from).filter((l) => l.startsWith('line: show'))).toEqual(['line: show redos']);
    expect(await recorded(state)).toMatch(/look/);
  });

  it('an expression too costly for the device output fails the step with its cost limit', async () => {
    const file = runbook('cost', [
      'steps:',
      '  - id: look',
      '    run: show redos',
      '    expect:',
      '      expression: >-',
      '        output.split("").map(a, output.split("").map(b, output.split("").map(c,',
      '        output.split("").map(d, output.split("").map(e, a + e))))).size() > 0',
      '  - id: after',
      '    run: show version',
    ]);
    const from = dev.log.length;
    const state = join(dir, 'state-cost');
    const r = await exec(file, state);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout + r.stderr).toMatch(
      /cost\.yaml:8:9: output\.split.*the expression was stopped: it went over the cost limit of one evaluation/,
    );
    expect(since(from).filter((l) => l.startsWith('line: show'))).toEqual(['line: show redos']);
    expect(await recorded(state)).toMatch(/look/);
  });

  it('no secret reaches a file or an output, even echoed by the device and captured', async () => {
    const file = runbook('secrets', [
      'vars:',
      '  token: {type: string, pattern: "[A-Za-z0-9]+", required: true, secret: true}',
      'steps:',
      '  - id: echo-token',
      '    run: show echo {{ token }}',
      '    capture:',
      "      echoed: {regex: 'echo: (?<v>\\S+)'}",
      '  - id: echo-password',
      '    run: show secret-echo',
      '    capture:',
      "      pw: {regex: 'password is (?<p>\\S+)'}",
      '  - id: stall',
      '    run: show stall',
      '    timeout: 1s',
    ]);
    const state = join(dir, 'state-secrets');
    const transcripts = join(dir, 'transcripts');
    const from = dev.log.length;
    const args = ['--var', `token=${TOKEN}`, '--transcript', transcripts];
    const plain = await exec(file, state, [...args, '--verbose']);
    const json = await exec(file, state, [...args, '--json']);
    // the secrets did reach the device and came back: the test could fail
    expect(since(from)).toContain(`line: show echo ${TOKEN}`);
    expect(plain.code, plain.stderr).toBe(1);
    expect(json.code, json.stderr).toBe(1);
    expect(plain.stdout + plain.stderr).toContain(`--var 'token=<secret, give it again>'`);
    const doc = JSON.parse(json.stdout) as { hosts: { steps: { id: string; captures?: unknown }[] }[] };
    expect(JSON.stringify(doc.hosts[0]!.steps)).toContain('********');
    const outputs = [plain.stdout, plain.stderr, json.stdout, json.stderr];
    const shown = await recorded(state);
    outputs.push(shown);
    const files = filesUnder(dir).filter((f) => !f.endsWith('.yaml') && f !== known);
    expect(files.some((f) => f.endsWith('.jsonl'))).toBe(true);
    expect(files.some((f) => f.startsWith(transcripts))).toBe(true);
    for (const secret of [TOKEN, dev.password]) {
      for (const f of files) expect(readFileSync(f, 'utf8'), `${f} holds a secret`).not.toContain(secret);
      for (const o of outputs) expect(o).not.toContain(secret);
    }
  });
});
