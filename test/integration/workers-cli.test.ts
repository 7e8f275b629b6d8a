/**
 * The shared store's bad input through the CLI: wrong credentials and an unreachable database are
 * exit 3 naming the URL with its password masked (never printed); `--workers` without a shared
 * store is a usage error; `$RUNBOOK_STORE` stands in for `--store`.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { postgresPerFile } from '../helpers/postgres-file.js';
import { freePort } from '../helpers/sshd.js';

const RUNBOOK = resolve('runbooks/recover-inv-spi.yaml');
const { enabled, cluster: pg } = postgresPerFile();

describe.skipIf(!enabled)('--store on the command line', () => {
  it('wrong credentials: exit 3, the URL with its password masked, the password nowhere', async () => {
    const url = `postgres://runbook:not-the-pw-42@127.0.0.1:${pg().port}/runbook`;
    for (const args of [
      ['runs', '--store', url],
      ['worker', '--store', url],
      ['exec', RUNBOOK, '--host', '127.0.0.1:1', '--store', url, '--yes'],
    ]) {
      const r = await runCli(args);
      expect(r.code, args[0]).toBe(3);
      expect(r.stderr).toContain(`postgres://runbook:****@127.0.0.1:${pg().port}/runbook`);
      expect(r.stdout + r.stderr).not.toContain('not-the-pw-42');
      expect(r.stderr).not.toMatch(/^\s+at /m);
    }
  });

  it('an unreachable database: exit 3 naming the URL', async () => {
    const port = await freePort();
    const r = await runCli(['runs'], { RUNBOOK_STORE: `postgres://ops:hidden-pw@127.0.0.1:${port}/runbook` });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`store postgres://ops:****@127.0.0.1:${port}/runbook: cannot connect`);
    expect(r.stderr).not.toContain('hidden-pw');
  });

  it('--workers without a shared store is a usage error', async () => {
    const r = await runCli(['exec', RUNBOOK, '--host', '127.0.0.1:1', '--workers', '--yes'], {
      RUNBOOK_STORE: '',
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--workers needs a shared store');
  });

  it('runs --store lists the runs of the shared store (none yet)', async () => {
    const url = pg().createDatabase('cli_runs');
    const r = await runCli(['runs', '--store', url]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`no runs recorded in postgres://runbook:****@127.0.0.1:${pg().port}/cli_runs`);
  });
});
