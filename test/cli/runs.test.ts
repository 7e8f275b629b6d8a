import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { register, runsCommand } from '../../src/cli/runs.js';
import { RunbookError } from '../../src/errors.js';
import { RunStore, type RunMeta } from '../../src/store/runs.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'runbook-runs-cli-'));
const meta = (hosts: string[], mode: RunMeta['mode'] = 'exec'): Omit<RunMeta, 'id' | 'createdAt'> => ({
  runbookPath: '/abs/runbooks/recover.yaml',
  runbookName: 'recover-inv-spi',
  contentHash: '0123456789abcdef'.repeat(4),
  vars: { peer: '10.0.0.2', password: '<redacted>' },
  targets: hosts.map((name, i) => ({ name, address: '127.0.0.1', port: 2201 + i, platform: 'cisco-iosxe' })),
  mode,
  argv: [],
});

/** edge-1 finished; edge-2 was killed during the disruptive clear-sa. */
async function recordedRun(dir: string) {
  const run = await new RunStore(dir).create(meta(['edge-1', 'edge-2']));
  const j1 = run.journal('edge-1');
  j1.append({ type: 'host-start', at: 1000, runbook: 'recover-inv-spi', dryRun: false });
  j1.append({
    type: 'step-start',
    at: 1000,
    key: 'find-events',
    stepId: 'find-events',
    title: 'find-events',
    disruptive: false,
  });
  j1.append({
    type: 'step-end',
    at: 2200,
    key: 'find-events',
    stepId: 'find-events',
    outcome: 'ok',
    durationMs: 1200,
    commands: ['show logging | include RECVD_PKT_INV_SPI'],
    captures: { events: [{ peer: '10.0.0.2', count: 3n }] },
    scope: {},
  });
  j1.append({
    type: 'step-start',
    at: 2200,
    key: 'clear-sa',
    stepId: 'clear-sa',
    title: 'clear-sa',
    disruptive: true,
  });
  j1.append({ type: 'approval', at: 2300, key: 'clear-sa', stepId: 'clear-sa', approved: true });
  j1.append({
    type: 'command',
    at: 2300,
    key: 'clear-sa',
    stepId: 'clear-sa',
    command: 'clear crypto sa peer 10.0.0.2',
    attempt: 1,
  });
  j1.append({
    type: 'step-end',
    at: 2500,
    key: 'clear-sa',
    stepId: 'clear-sa',
    outcome: 'ok',
    durationMs: 300,
    commands: ['clear crypto sa peer 10.0.0.2'],
    captures: {},
    scope: {},
  });
  j1.append({
    type: 'host-end',
    at: 2500,
    outcome: 'ok',
    message: 'recovered',
    durationMs: 1500,
    disruptive: ['clear crypto sa peer 10.0.0.2'],
  });
  const j2 = run.journal('edge-2');
  j2.append({ type: 'host-start', at: 1000, runbook: 'recover-inv-spi', dryRun: false });
  j2.append({
    type: 'step-start',
    at: 1000,
    key: 'find-events',
    stepId: 'find-events',
    title: 'find-events',
    disruptive: false,
  });
  j2.append({
    type: 'step-end',
    at: 2000,
    key: 'find-events',
    stepId: 'find-events',
    outcome: 'ok',
    durationMs: 1000,
    commands: ['show logging | include RECVD_PKT_INV_SPI'],
    captures: { secret: '<redacted>' },
    scope: {},
  });
  j2.append({
    type: 'step-start',
    at: 2000,
    key: 'clear-sa',
    stepId: 'clear-sa',
    title: 'clear-sa',
    disruptive: true,
  });
  j2.append({
    type: 'command',
    at: 2100,
    key: 'clear-sa',
    stepId: 'clear-sa',
    command: 'clear crypto sa peer 10.0.0.3',
    attempt: 1,
  });
  run.close();
  return run.meta;
}

afterEach(() => vi.restoreAllMocks());

describe('runbook runs', () => {
  it('lists runs with id, when, runbook, hosts and outcome', async () => {
    const dir = tmp();
    const m = await recordedRun(dir);
    const dry = await new RunStore(dir).create(meta(['a', 'b', 'c', 'd', 'e'], 'dry-run'));
    const text = await runsCommand({ stateDir: dir, json: false });
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+WHEN\s+RUNBOOK\s+HOSTS\s+OUTCOME$/);
    expect(lines[1]).toMatch(
      new RegExp(
        `^${dry.meta.id}  \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d  recover-inv-spi  a, b, c \\+2\\s+interrupted \\(dry run\\)$`,
      ),
    );
    expect(lines[2]).toMatch(new RegExp(`^${m.id}  .*  recover-inv-spi  edge-1, edge-2\\s+interrupted$`));
    const json = JSON.parse(await runsCommand({ stateDir: dir, json: true })) as {
      id: string;
      hostStates: Record<string, string>;
    }[];
    expect(json.map((r) => r.id)).toEqual([dry.meta.id, m.id]);
    expect(json[1]!.hostStates).toEqual({ 'edge-1': 'ok', 'edge-2': 'interrupted' });
  });

  it('says where it looked when there are no runs', async () => {
    const dir = tmp();
    expect(await runsCommand({ stateDir: dir, json: false })).toBe(
      `no runs recorded in ${join(dir, 'runs')}\n`,
    );
  });

  it('shows one run per host, per step: outcome, duration, commands, captures, in-doubt step and the resume command', async () => {
    const dir = tmp();
    const m = await recordedRun(dir);
    const text = await runsCommand({ id: m.id, stateDir: dir, json: false });
    const lines = text.split('\n');
    expect(lines[0]).toBe(`Run ${m.id}: interrupted`);
    expect(lines).toContain('  runbook  recover-inv-spi (/abs/runbooks/recover.yaml, sha256 0123456789ab)');
    expect(lines).toContain('  vars     peer="10.0.0.2" password="<redacted>"');
    const from = (h: string) => lines.slice(lines.indexOf(h));
    expect(from('edge-1: ok (1.5s): recovered').slice(0, 9)).toEqual([
      'edge-1: ok (1.5s): recovered',
      '  find-events  ok  1.2s',
      '      > show logging | include RECVD_PKT_INV_SPI',
      '      events = [{"peer":"10.0.0.2","count":3}]',
      '  clear-sa     ok  0.3s  [disruptive, approved]',
      '      > clear crypto sa peer 10.0.0.2',
      '  endpoint 127.0.0.1:2201',
      expect.stringMatching(/^ {2}approval clear-sa: approved \(yes\) at [\d-]+ [\d:]+$/),
      '',
    ]);
    expect(from('edge-2: interrupted').slice(0, 6)).toEqual([
      'edge-2: interrupted',
      '  find-events  ok  1.0s',
      '      > show logging | include RECVD_PKT_INV_SPI',
      '      secret = "<redacted>"',
      '  clear-sa     IN DOUBT (started, never finished)  [disruptive]',
      '      > clear crypto sa peer 10.0.0.3',
    ]);
    expect(text).toContain(`To continue this run: runbook resume ${m.id} --state-dir ${dir}`);
  });

  it('an unknown id is E_RUN_NOT_FOUND with a hint to list runs', async () => {
    const err = await runsCommand({ id: 'nope', stateDir: tmp(), json: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunbookError);
    expect((err as RunbookError).code).toBe('E_RUN_NOT_FOUND');
    expect((err as RunbookError).hint).toMatch(/runbook runs/);
  });

  it('is a commander subcommand: `runs <id> --json` prints the record as JSON', async () => {
    const dir = tmp();
    const m = await recordedRun(dir);
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
      out += String(s);
      return true;
    });
    const program = new Command('runbook').exitOverride();
    register(program);
    await program.parseAsync(['runs', m.id, '--state-dir', dir, '--json'], { from: 'user' });
    vi.restoreAllMocks();
    const view = JSON.parse(out) as {
      outcome: string;
      hosts: { host: string; steps: { key: string; outcome: string }[] }[];
    };
    expect(view.outcome).toBe('interrupted');
    expect(view.hosts[1]!.steps.map((s) => [s.key, s.outcome])).toEqual([
      ['find-events', 'ok'],
      ['clear-sa', 'in-doubt'],
    ]);
  });
});
