/** examples/sdwan-bfd-check.yaml (TextFSM captures, for_each, a shared part) against the lab over SSH. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const exec = (scenario: string, extra: string[]) =>
  runCli([
    'exec',
    'examples/sdwan-bfd-check.yaml',
    '--lab',
    scenario,
    '--state-dir',
    mkdtempSync(join(tmpdir(), 'rb-bfd-')),
    ...extra,
  ]);

describe('examples/sdwan-bfd-check.yaml against the lab', () => {
  it('port hops the colour whose BFD session is down, then verifies it through the verify-bfd part (the run ends ok only if BFD came up)', async () => {
    const r = await exec('sdwan', ['--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('port hopped biz-internet; BFD up again');
    expect(r.stdout).toContain('disruptive: request platform software sdwan port_hop biz-internet');
  }, 60_000);

  it('a dry-run sends no change and says what it would do', async () => {
    const r = await exec('sdwan', ['--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('would port hop biz-internet');
    expect(r.stdout).not.toContain('disruptive:');
  }, 60_000);

  it('ends ok without a change when every BFD session is up', async () => {
    const r = await exec('healthy', ['--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/all \d+ BFD sessions up/);
  }, 60_000);
});
