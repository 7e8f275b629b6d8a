/**
 * The built CLI recovers a lab router that logs in at privilege 1 (`edge1>`), with the login
 * password and the enable secret taken from a group_vars file that Debian's real `ansible-vault`
 * encrypted at test time; the secrets and the vault password appear in no file the run wrote (run
 * record, journals, retry files, transcripts) and in no output. A wrong enable secret is exit 3 with
 * a clear message; a wrong or missing vault password is exit 2 naming the file, no stack trace.
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab, type LabRouter } from '../../src/lab/index.js';
import { tempDir } from '../helpers/sshd.js';
import { CLI, runCli } from '../helpers/cli.js';
import { encryptFile, passwordFile, requireAnsibleVault, skipVault } from '../helpers/ansible-vault.js';

const LOGIN = 'Login-7c2e-from-vault';
const ENABLE = 'En4ble-b81d-from-vault';
const VAULT_PW = 'vault-pw-0f4a-2e';
const REKEY = 'request platform software sdwan security ipsec-rekey';

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

async function router(): Promise<LabRouter> {
  const lab = await startLab({
    scenario: 'mixed',
    port: 0,
    user: 'admin',
    password: LOGIN,
    device: { bfdDelayMs: 200, enableSecret: ENABLE },
  });
  labs.push(lab);
  return lab.routers[0]!;
}

/** An inventory for the router in `dir`/in, group_vars/edges.yml vaulted with `groupVars`. */
function inventory(dir: string, r: LabRouter, groupVars: string): string {
  const inDir = join(dir, 'in');
  mkdirSync(join(inDir, 'group_vars'), { recursive: true });
  const inv = join(inDir, 'hosts.yml');
  writeFileSync(
    inv,
    `all:\n  children:\n    edges:\n      hosts:\n        edge1: {ansible_host: 127.0.0.1, ansible_port: ${r.port}}\n`,
  );
  const gv = join(inDir, 'group_vars', 'edges.yml');
  writeFileSync(gv, groupVars);
  encryptFile(gv, { passwordFile: passwordFile(join(dir, 'in'), 'vault.pw', VAULT_PW) });
  writeFileSync(join(inDir, 'known_hosts'), `[127.0.0.1]:${r.port} ${r.hostKey}\n`);
  return inv;
}

const GROUP_VARS = [
  'ansible_user: admin',
  `ansible_password: ${LOGIN}`,
  'ansible_become: true',
  'ansible_become_method: enable',
  `ansible_become_password: ${ENABLE}`,
  '',
].join('\n');

function args(dir: string, inv: string, extra: string[]): string[] {
  return [
    'exec',
    'runbooks/recover-inv-spi.yaml',
    '-i',
    inv,
    '--known-hosts',
    join(dir, 'in', 'known_hosts'),
    '--ssh-config',
    'none',
    '--state-dir',
    join(dir, 'out', 'state'),
    '--transcript',
    join(dir, 'out', 'transcripts'),
    ...extra,
  ];
}

const run = (a: string[]) => runCli(a, { SSH_AUTH_SOCK: '' });

describe.runIf(existsSync(CLI) && !skipVault)('vaulted group_vars and enable over the CLI', () => {
  beforeAll(() => {
    requireAnsibleVault();
  });

  it('recovers a privilege-1 router with the password and enable secret from the vault; no secret leaks', async () => {
    const r = await router();
    const dir = tempDir('runbook-vault-cli-');
    const inv = inventory(dir, r, GROUP_VARS);
    const vars = join(dir, 'in', 'vars.yml');
    writeFileSync(vars, 'escalation: [port_hop, omp, control]\n');
    const pw = join(dir, 'in', 'vault.pw');
    const verbose = await run(
      args(dir, inv, ['--vault-password-file', pw, '-e', `@${vars}`, '--yes', '--verbose']),
    );
    expect(verbose.code, verbose.stderr + verbose.stdout).toBe(0);
    const audit = r.audit().map((a) => a.command);
    expect(audit).toContain('enable');
    expect(audit).toContain(REKEY);
    expect(r.state().peers.every((p) => p.sa === 'ok')).toBe(true);

    // a second run, healthy now, with --json (stdout is one document)
    const json = await run(args(dir, inv, ['--vault-password-file', pw, '--yes', '--json']));
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout).hosts[0].outcome).toBe('ok');

    const written = filesUnder(join(dir, 'out'));
    expect(written.some((f) => f.includes('transcripts'))).toBe(true);
    expect(written.some((f) => f.endsWith('.jsonl'))).toBe(true);
    for (const f of written) {
      const text = readFileSync(f, 'utf8');
      for (const secret of [LOGIN, ENABLE, VAULT_PW]) expect(text, f).not.toContain(secret);
    }
    for (const out of [verbose.stdout, verbose.stderr, json.stdout, json.stderr]) {
      for (const secret of [LOGIN, ENABLE, VAULT_PW]) expect(out).not.toContain(secret);
    }
    // the transcript shows the enable phase, the secret masked
    const transcript = readFileSync(join(dir, 'out', 'transcripts', 'edge1.log'), 'utf8');
    expect(transcript).toContain('privileged EXEC reached');
  });

  it('resume reads the inventory and the vault password file again (recorded as paths only)', async () => {
    const r = await router();
    const dir = tempDir('runbook-vault-cli-');
    const inv = inventory(dir, r, GROUP_VARS);
    const pw = join(dir, 'in', 'vault.pw');
    // no terminal and no --yes: the run stops before the first disruptive step (exit 4)
    const first = await run(args(dir, inv, ['--vault-password-file', pw]));
    expect(first.code, first.stderr + first.stdout).toBe(4);
    const id = /runbook resume (\S+)/.exec(first.stdout + first.stderr)![1]!;
    const resumed = await runCli(['resume', id, '--state-dir', join(dir, 'out', 'state'), '--yes'], {
      SSH_AUTH_SOCK: '',
    });
    expect(resumed.code, resumed.stderr + resumed.stdout).toBe(0);
    expect(r.audit().filter((a) => a.command === 'enable')).toHaveLength(2);
    expect(r.audit().map((a) => a.command)).toContain(REKEY);
    for (const f of filesUnder(join(dir, 'out'))) {
      const text = readFileSync(f, 'utf8');
      for (const secret of [LOGIN, ENABLE, VAULT_PW]) expect(text, f).not.toContain(secret);
    }
    for (const out of [first.stdout, first.stderr, resumed.stdout, resumed.stderr])
      for (const secret of [LOGIN, ENABLE, VAULT_PW]) expect(out).not.toContain(secret);
  });

  it('a wrong enable secret (vault password from an executable script) is exit 3 with a clear message', async () => {
    const r = await router();
    const dir = tempDir('runbook-vault-cli-');
    const inv = inventory(dir, r, GROUP_VARS.replace(ENABLE, 'not-the-enable-secret'));
    const script = join(dir, 'in', 'vault-pass.sh');
    writeFileSync(script, `#!/bin/sh\necho '${VAULT_PW}'\n`);
    chmodSync(script, 0o700);
    const ran = await run(args(dir, inv, ['--vault-id', `prod@${script}`, '--yes']));
    expect(ran.code, ran.stderr + ran.stdout).toBe(3);
    const out = ran.stdout + ran.stderr;
    expect(out).toContain('refused the enable secret');
    expect(out).toContain('ansible_become_password');
    expect(out).not.toContain('not-the-enable-secret');
    expect(r.audit().map((a) => a.command)).not.toContain(REKEY);
  });

  it('a wrong vault password is exit 2 naming the file, without a stack trace; none at all says how to give it', async () => {
    const r = await router();
    const dir = tempDir('runbook-vault-cli-');
    const inv = inventory(dir, r, GROUP_VARS);
    const wrong = passwordFile(dir, 'wrong.pw', 'wrong-vault-pw-9');
    const ran = await run(args(dir, inv, ['--vault-password-file', wrong, '--yes']));
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain(join(dir, 'in', 'group_vars', 'edges.yml'));
    expect(ran.stderr).toContain('wrong vault password');
    expect(ran.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
    expect(ran.stderr + ran.stdout).not.toContain('wrong-vault-pw-9');
    const none = await run(args(dir, inv, ['--yes']));
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no vault password was given');
    expect(none.stderr).toContain('--vault-password-file');
    expect(r.audit()).toEqual([]);
  });
});
