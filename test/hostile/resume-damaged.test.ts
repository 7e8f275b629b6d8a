/**
 * `runbook resume` over a journal damaged after the run stopped: the damaged record is named
 * (file:line), left out, and only its step is put in doubt; the rest resumes, proven from the
 * hostile device's own log.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/sshd.js';
import { deviceEnv, execOnDevice, trustDevice } from './cli-runs.js';
import { startHostileDevice, type HostileDevice } from './device.js';

let dev: HostileDevice;
let dir: string;
let known: string;

beforeAll(async () => {
  dev = await startHostileDevice({ password: 'Hostile-Pw-5521' });
  dir = tempDir('runbook-resume-damaged-');
  known = trustDevice(dev, dir);
});
afterAll(async () => {
  await dev.close();
});

const env = (): Record<string, string> => deviceEnv(dev);

describe('resume over a damaged journal', () => {
  it('an edited record is named and left out; only its step runs again, the change is sent once', async () => {
    const file = join(dir, 'damaged.yaml');
    writeFileSync(
      file,
      [
        'runbook: damaged',
        'platform: cisco-iosxe',
        'steps:',
        '  - id: look',
        '    run: show version',
        '  - id: change',
        '    run: show echo changed',
        '    changes: Stands for a change',
        '',
      ].join('\n'),
    );
    const state = join(dir, 'state');
    const first = await execOnDevice(dev, known, file, state);
    // no terminal and no --yes: it stops before the change, awaiting approval
    expect(first.code, first.stdout + first.stderr).toBe(4);
    const id = /run (\d{8}-\d{6}-[0-9a-f]{4})/.exec(first.stdout + first.stderr)![1]!;
    const hosts = join(state, 'runs', id, 'hosts');
    const journal = join(
      hosts,
      readdirSync(hosts).find((f) => f.endsWith('.jsonl'))!,
    );
    const lines = readFileSync(journal, 'utf8').split('\n');
    const end = lines.findIndex((l) => l.includes('"type":"step-end"') && l.includes('"key":"look"'));
    expect(end).toBeGreaterThan(0);
    lines[end] = lines[end]!.replace('"outcome":"ok"', '"outcome":"skipped"');
    writeFileSync(journal, lines.join('\n'));

    const runs = await runCli(['runs', id, '--state-dir', state]);
    // `runbook runs` refuses to show it as if it were whole, and points at resume
    expect(runs.code).toBe(2);
    expect(runs.stderr).toContain(`${journal}:${end + 1}: the record was changed after it was written`);
    expect(runs.stderr).toContain('`runbook resume` leaves the damaged records out');

    const before = dev.log.length;
    const resumed = await runCli(['resume', id, '--state-dir', state, '--yes'], env());
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(
      `damaged journal record left out: ${journal}:${end + 1}: the record was changed after it was written`,
    );
    expect(resumed.stderr).toContain('step look is put in doubt');
    expect(dev.log.slice(before).filter((l) => l.startsWith('line: show'))).toEqual([
      'line: show version',
      'line: show echo changed',
    ]);
  });
});
