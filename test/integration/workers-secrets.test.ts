/**
 * Secrets and crashes over workers, with real PostgreSQL, worker processes and the lab:
 * - a runbook that needs a secret var runs through a worker that holds it (a vaulted `-e @file`
 *   decrypted with the worker's own vault password): the lab's audit log proves the value reached
 *   the device, yet neither it nor the SSH password is anywhere in the database (pg_dump) or in any
 *   file the run wrote; `exec --workers` refuses a secret `--var` and says how to give it to workers;
 * - a worker that crashes says so on stderr, naming the hosts it leaves, and exits non-zero.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ResultDocument } from '../../src/report/json.js';
import { encryptFile, passwordFile, skipVault } from '../helpers/ansible-vault.js';
import { CLI, ROOT } from '../helpers/cli.js';
import { PG_BIN } from '../helpers/postgres.js';
import { postgresPerFile } from '../helpers/postgres-file.js';
import { commandsOf, startFleetLab } from './fleet-lab.js';
import {
  execWorkers,
  LAB_PASSWORD,
  labFlags,
  PASSWORD_ENV,
  startWorker,
  stopWorker,
} from './workers-harness.js';

const TOKEN = 'Tok3nSecret9f2c';
const VAULT_PW = 'vault-pw-workers-4e1';
const { enabled, cluster: pg } = postgresPerFile();

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

const RUNBOOK = [
  'runbook: secret-over-workers',
  'platform: cisco-iosxe-sdwan',
  'vars:',
  '  token: {type: string, pattern: "[A-Za-z0-9]+", required: true, secret: true}',
  'steps:',
  '  - id: grep-log',
  '    run: show logging | include {{ token }}',
  '',
].join('\n');

describe.skipIf(!enabled)('runbook worker: secrets and crashes', () => {
  it.skipIf(skipVault)(
    'a secret var given to the worker reaches the device and is in no database row and no file',
    { timeout: 180_000 },
    async () => {
      const url = pg().createDatabase('workers_secrets');
      const f = await startFleetLab({ scenarios: ['healthy', 'healthy'] });
      const runbook = join(f.dir, 'secret.yaml');
      writeFileSync(runbook, RUNBOOK);
      const vars = join(f.dir, 'worker-secrets.yml');
      writeFileSync(vars, `token: ${TOKEN}\nother_runbooks_secret: not-for-this-one\n`);
      const pw = passwordFile(f.dir, 'vault-pw', VAULT_PW);
      encryptFile(vars, { passwordFile: pw });
      const worker = startWorker(url, f, ['-e', `@${vars}`, '--vault-password-file', pw]);
      try {
        await worker.waitFor(/serving group/);
        // the operator may not send it ...
        const refused = execWorkers(url, f, runbook, ['--var', `token=${TOKEN}`]);
        expect(await refused.exited).toBe(2);
        expect(refused.stderr()).toContain("--workers: the secret var 'token' cannot be sent to the workers");
        expect(refused.stderr()).toContain('runbook worker -e @secrets.yml');
        expect(refused.stderr()).not.toContain(TOKEN);
        // ... and need not: the worker has it
        const exec = execWorkers(url, f, runbook, ['--forks', '2']);
        const code = await exec.exited;
        const doc = JSON.parse(exec.stdout()) as ResultDocument;
        expect(code, exec.stderr() + worker.stderr()).toBe(0);
        expect(doc.hosts.map((h) => h.outcome)).toEqual(['ok', 'ok']);
        // it reached the devices: the test could fail
        for (const r of f.lab.routers) expect(commandsOf(r)).toContain(`show logging | include ${TOKEN}`);
      } finally {
        await stopWorker(worker);
      }
      const dump = execFileSync(join(PG_BIN!, 'pg_dump'), ['--data-only', url], { encoding: 'utf8' });
      expect(dump).toContain('show logging | include'); // the dump holds the run's journal
      for (const secret of [TOKEN, LAB_PASSWORD, VAULT_PW]) expect(dump).not.toContain(secret);
      // every file under the test's dir (the exec's state dir is there), but the user's own vault
      // password file and the lab's (the devices') own state and audit log
      const lab = join(f.dir, 'lab');
      for (const file of filesUnder(f.dir).filter((p) => p !== pw && !p.startsWith(`${lab}/`))) {
        const text = readFileSync(file, 'latin1');
        for (const secret of [TOKEN, LAB_PASSWORD, VAULT_PW]) expect(text, file).not.toContain(secret);
      }
      expect(worker.stderr() + worker.stdout()).not.toContain(TOKEN);
      await f.close();
    },
  );

  it(
    'a worker without a secret the runbook needs fails the host, saying how to give it',
    { timeout: 120_000 },
    async () => {
      const url = pg().createDatabase('workers_nosecret');
      const f = await startFleetLab({ scenarios: ['healthy'] });
      const runbook = join(f.dir, 'secret.yaml');
      writeFileSync(runbook, RUNBOOK);
      const worker = startWorker(url, f);
      try {
        await worker.waitFor(/serving group/);
        const exec = execWorkers(url, f, runbook, []);
        expect(await exec.exited).toBe(1);
        const doc = JSON.parse(exec.stdout()) as ResultDocument;
        expect(doc.hosts[0]!.outcome).toBe('failed');
        expect(doc.hosts[0]!.message).toContain(
          "needs the secret var 'token', which this worker was not given",
        );
        expect(doc.hosts[0]!.message).toContain('runbook worker -e @secrets.yml');
        expect(commandsOf(f.router('edge1')).some((c) => c.startsWith('show logging'))).toBe(false);
      } finally {
        await stopWorker(worker);
        await f.close();
      }
    },
  );

  it(
    'a worker that crashes says so on stderr, naming the hosts it leaves, and exits 1',
    { timeout: 120_000 },
    async () => {
      const url = pg().createDatabase('workers_crash');
      const f = await startFleetLab({ scenarios: ['sdwan'] });
      // a fault injected into the worker process: an error nothing catches, once a host is running
      const fault =
        'data:text/javascript,' +
        encodeURIComponent(
          'const w=process.stderr.write.bind(process.stderr);' +
            'process.stderr.write=(s,...a)=>{if(/: (starting|resuming)/.test(String(s)))setTimeout(()=>{throw new Error("injected fault")},300);return w(s,...a)};',
        );
      const child = spawn(
        process.execPath,
        ['--import', fault, CLI, 'worker', '--store', url, '--concurrency', '2', ...labFlags(f)],
        {
          cwd: ROOT,
          env: { ...process.env, [PASSWORD_ENV]: LAB_PASSWORD, RUNBOOK_NO_PROGRESS: '1', NO_COLOR: '1' },
        },
      );
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      const exec = execWorkers(url, f, resolveRunbook(), ['--forks', '1']);
      try {
        expect(await exited).toBe(1);
        expect(err).toMatch(/runbook worker: crashed: Error: injected fault/);
        expect(err).toMatch(/its hosts return to the queue: \S+ edge1/);
      } finally {
        exec.child.kill('SIGKILL');
        await exec.exited;
        if (child.exitCode === null) child.kill('SIGKILL');
        await f.close();
      }
    },
  );
});

function resolveRunbook(): string {
  return join(ROOT, 'runbooks/recover-inv-spi.yaml');
}
