/**
 * Secrets never land anywhere: a password given by environment variable and a `secret: true` runbook
 * var are used (the lab's audit log proves the var reached the device) yet appear in no file the run
 * wrote (run record, journals, transcripts, known_hosts, locks) and in no output (stdout, stderr,
 * --json), with --verbose streaming device output and --transcript on.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startLab, type Lab } from '../../src/lab/index.js';
import { tempDir } from '../helpers/sshd.js';
import { runCli } from '../helpers/cli.js';

const PASSWORD = 'Pw-7f3a9c-not-in-any-file';
const TOKEN = 'TOKEN7d1e9b';

const labs: Lab[] = [];
afterAll(async () => {
  await Promise.all(labs.map((l) => l.close()));
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

const run = (args: string[]) => runCli(args, { LAB_PASSWORD: PASSWORD, SSH_AUTH_SOCK: '' });

describe('secrets over the CLI', () => {
  it('a password from --password-env and a secret var appear in no file and no output', async () => {
    const lab = await startLab({ scenario: 'healthy', port: 0, user: 'admin', password: PASSWORD });
    labs.push(lab);
    const r = lab.routers[0]!;
    const dir = tempDir('runbook-secrets-');
    const known = join(dir, 'known_hosts');
    writeFileSync(known, `[127.0.0.1]:${r.port} ${r.hostKey}\n`);
    const runbook = join(dir, 'secret.yaml');
    writeFileSync(
      runbook,
      [
        'runbook: secret-check',
        'platform: cisco-iosxe-sdwan',
        'vars:',
        '  token: {type: string, pattern: "[A-Za-z0-9]+", required: true, secret: true}',
        'steps:',
        '  - id: grep-log',
        '    run: show logging | include {{ token }}',
        '  - id: version',
        '    run: show version',
        '    capture:',
        '      ver: {regex: "Version (?<v>\\\\S+)"}',
        '',
      ].join('\n'),
    );
    const common = [
      '--host',
      `127.0.0.1:${r.port}`,
      '--user',
      'admin',
      '--password-env',
      'LAB_PASSWORD',
      '--known-hosts',
      known,
      '--ssh-config',
      'none',
      '--state-dir',
      join(dir, 'state'),
      '--transcript',
      join(dir, 'transcripts'),
      '--var',
      `token=${TOKEN}`,
    ];
    const verbose = await run(['exec', runbook, ...common, '--verbose']);
    const json = await run(['exec', runbook, ...common, '--json']);
    expect(verbose.code, verbose.stderr).toBe(0);
    expect(json.code, json.stderr).toBe(0);

    // the secret var did reach the device: the test could fail
    expect(r.audit().map((a) => a.command)).toContain(`show logging | include ${TOKEN}`);
    expect(JSON.parse(json.stdout).hosts[0].outcome).toBe('ok');

    const files = filesUnder(dir).filter((f) => f !== runbook);
    expect(files.some((f) => f.includes('transcripts'))).toBe(true);
    expect(files.some((f) => f.endsWith('.jsonl'))).toBe(true);
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      expect(text, f).not.toContain(PASSWORD);
      expect(text, f).not.toContain(TOKEN);
    }
    for (const out of [verbose.stdout, verbose.stderr, json.stdout, json.stderr]) {
      expect(out).not.toContain(PASSWORD);
      expect(out).not.toContain(TOKEN);
    }
    // what was sent is still visible, masked
    expect(verbose.stderr).toContain('show logging | include ********');
  });
});
